/** The root tRPC router. Client code imports only `type AppRouter` from here. */
import 'server-only';
import { instancesRouter } from './routers/instances';
import { modelsRouter } from './routers/models';
import { pointcloudsRouter } from './routers/pointclouds';
import { runsRouter } from './routers/runs';
import { studiesRouter } from './routers/studies';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  studies: studiesRouter,
  runs: runsRouter,
  instances: instancesRouter,
  models: modelsRouter,
  pointclouds: pointcloudsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
export type { InstanceRow, RunSummary, StudyDetail, StudySummary, AssetSummary, StudyMeta } from '../services/serialize';
export type { ModelSummary } from '../services/models';
