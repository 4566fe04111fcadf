import { z } from 'zod';
import { deleteModel, getModel, listModels } from '../../services/models';
import { protectedProcedure, router } from '../trpc';

const Id = z.object({ id: z.string().min(1).max(64) });

/** The model registry (registration itself is POST /api/models: it carries the ONNX bytes). */
export const modelsRouter = router({
  list: protectedProcedure.query(({ ctx }) => listModels(ctx)),
  get: protectedProcedure.input(Id).query(({ ctx, input }) => getModel(ctx, input.id)),
  /** Keeps the model's finished runs (their modelId becomes null); CONFLICT while one is in progress. */
  delete: protectedProcedure.input(Id).mutation(({ ctx, input }) => deleteModel(ctx, input.id)),
});
