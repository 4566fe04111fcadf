import { z } from 'zod';
import { deleteStudy, getStudy, listStudies } from '../../services/studies';
import { protectedProcedure, router } from '../trpc';

const Id = z.object({ id: z.string().min(1).max(64) });

export const studiesRouter = router({
  list: protectedProcedure.query(({ ctx }) => listStudies(ctx)),
  get: protectedProcedure.input(Id).query(({ ctx, input }) => getStudy(ctx, input.id)),
  delete: protectedProcedure.input(Id).mutation(({ ctx, input }) => deleteStudy(ctx, input.id)),
});
