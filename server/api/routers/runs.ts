import { z } from 'zod';
import { SegmentCellsParams, getRun, listRuns, startSegmentCells } from '../../services/runs';
import { protectedProcedure, router } from '../trpc';

const Id = z.string().min(1).max(64);

export const runsRouter = router({
  segmentCells: protectedProcedure
    .input(z.object({ studyId: Id, params: SegmentCellsParams.optional() }))
    .mutation(({ ctx, input }) => startSegmentCells(ctx, input)),
  get: protectedProcedure.input(z.object({ id: Id })).query(({ ctx, input }) => getRun(ctx, input.id)),
  list: protectedProcedure.input(z.object({ studyId: Id })).query(({ ctx, input }) => listRuns(ctx, input.studyId)),
});
