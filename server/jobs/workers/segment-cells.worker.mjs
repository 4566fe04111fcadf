// Worker thread for the classical pipeline: keeps the server's event loop free while a run
// computes, and streams stage/progress back. Plain JS entry that registers tsx so it can load
// the TypeScript sources of lib/ directly (the same code the CLI and the tests run).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register({ tsconfig: workerData.tsconfig });
const { segmentCells } = await import(workerData.pipelineModule);

try {
  const { volume, params } = workerData;
  const result = segmentCells(volume, params, (stage, fraction) => {
    parentPort.postMessage({ type: 'progress', stage, fraction });
  });
  parentPort.postMessage({ type: 'result', result }, [result.labels.data.buffer]);
} catch (e) {
  parentPort.postMessage({
    type: 'error',
    error: { name: e?.name, message: String(e?.message ?? e), code: e?.code, where: e?.where, hint: e?.hint },
  });
}
