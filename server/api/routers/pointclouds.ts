import { SegmentPointsInput, startSegmentPoints } from '../../jobs/segment-points';
import { protectedProcedure, router } from '../trpc';

export const pointcloudsRouter = router({
  /** PointNet++ instance segmentation of a point-cloud study on the server (device 'auto' | 'cpu' | 'gpu'). */
  segment: protectedProcedure.input(SegmentPointsInput).mutation(({ ctx, input }) => startSegmentPoints(ctx, input)),
});
