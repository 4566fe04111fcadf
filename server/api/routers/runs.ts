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
import { CreateBrowserModelRunInput, RunModelInput, createBrowserModelRun, startModelRun } from '../../services/model-runs';
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
  /** A registered model on a volume study, on the server: device 'auto' | 'gpu' | 'cpu' | 'ort' (docs/CONTRACTS.md, Model registry). */
  runModel: protectedProcedure.input(RunModelInput).mutation(({ ctx, input }) => startModelRun(ctx, input)),
  /** A registered model run by the page; its class map goes to POST /api/runs/:id/result. */
  createBrowserModelRun: protectedProcedure.input(CreateBrowserModelRunInput).mutation(({ ctx, input }) => createBrowserModelRun(ctx, input)),
  get: protectedProcedure.input(z.object({ id: Id })).query(({ ctx, input }) => getRun(ctx, input.id)),
  list: protectedProcedure.input(z.object({ studyId: Id })).query(({ ctx, input }) => listRuns(ctx, input.studyId)),
});
