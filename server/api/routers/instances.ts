import { z } from 'zod';
import { SetReviewInput, listInstances, setReview } from '../../services/instances';
import { protectedProcedure, router } from '../trpc';

export const instancesRouter = router({
  list: protectedProcedure
    .input(z.object({ runId: z.string().min(1).max(64) }))
    .query(({ ctx, input }) => listInstances(ctx, input.runId)),
  setReview: protectedProcedure.input(SetReviewInput).mutation(({ ctx, input }) => setReview(ctx, input)),
});
