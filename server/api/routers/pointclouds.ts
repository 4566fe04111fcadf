import { SegmentPointsInput, startSegmentPoints } from '../../jobs/segment-points';
import { CreateBrowserPointCloudRunInput, createBrowserPointCloudRun, pointNetModelInfo } from '../../services/pointcloud-runs';
import { protectedProcedure, router } from '../trpc';

export const pointcloudsRouter = router({
  /** PointNet++ instance segmentation of a point-cloud study on the server (device 'auto' | 'cpu' | 'gpu'). */
  segment: protectedProcedure.input(SegmentPointsInput).mutation(({ ctx, input }) => startSegmentPoints(ctx, input)),
  /**
   * A browser run of the same model: a 'running' Run (location 'browser', device 'webgpu' | 'cpu',
   * adapter); progress and failure through runs.reportProgress / runs.failBrowserRun, the result
   * through POST /api/runs/:id/point-result.
   */
  createBrowserRun: protectedProcedure.input(CreateBrowserPointCloudRunInput).mutation(({ ctx, input }) => createBrowserPointCloudRun(ctx, input)),
  /** The model the runs use: name, weights file and sha256, classes, and the URLs the page fetches. */
  model: protectedProcedure.query(() => pointNetModelInfo()),
});
