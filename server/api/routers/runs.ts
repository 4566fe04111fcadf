import { z } from 'zod';
import { SegmentCellsParams, getRun, listRuns, startSegmentCells } from '../../services/runs';
import {
  CreateBrowserRunInput,
  FailBrowserRunInput,
  ReportProgressInput,
  createBrowserRun,
  failBrowserRun,
  reportBrowserProgress,
} from '../../services/browser-runs';
import { protectedProcedure, router } from '../trpc';

const Id = z.string().min(1).max(64);

export const runsRouter = router({
  /** device: 'auto' (Dawn when the server has an adapter, else CPU) | 'cpu' | 'gpu' (fails without an adapter). */
  segmentCells: protectedProcedure
    .input(
      z.object({
        studyId: Id,
        params: SegmentCellsParams.optional(),
        device: z.enum(['auto', 'cpu', 'gpu']).optional(),
        location: z.enum(['server', 'browser']).optional(),
      }),
    )
    .mutation(({ ctx, input }) => startSegmentCells(ctx, input)),
  /** A Run computed by the page (WebGPU or the CPU twin); its result goes to POST /api/runs/:id/result. */
  createBrowserRun: protectedProcedure.input(CreateBrowserRunInput).mutation(({ ctx, input }) => createBrowserRun(ctx, input)),
  reportProgress: protectedProcedure.input(ReportProgressInput).mutation(({ ctx, input }) => reportBrowserProgress(ctx, input)),
  failBrowserRun: protectedProcedure.input(FailBrowserRunInput).mutation(({ ctx, input }) => failBrowserRun(ctx, input)),
  get: protectedProcedure.input(z.object({ id: Id })).query(({ ctx, input }) => getRun(ctx, input.id)),
  list: protectedProcedure.input(z.object({ studyId: Id })).query(({ ctx, input }) => listRuns(ctx, input.studyId)),
});
