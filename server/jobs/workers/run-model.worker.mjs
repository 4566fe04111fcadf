// Long-lived worker thread for model runs (server/jobs/run-model.ts): keeps the server's event loop
// free while a network runs (normalise → tensor → our engine on Dawn or onnxruntime-node → class
// map → instances). Loads server/inference through tsx from the project root. The process-wide
// Dawn device of server/inference lives in this thread and is reused across runs (the GPU object
// must never be garbage-collected, so the thread is never torn down between runs). Jobs run one at
// a time. The main thread chose VK_ICD_FILENAMES before starting this worker.
//
// Messages in:  { type: 'job', id, bytes: Uint8Array, volume, card, device }
// Messages out: { type: 'progress', id, done, total }, { type: 'result', id, result }
//               (result = { classMap, instances, runInfo, params }; the instance label volume stays here),
//               { type: 'error', id, error: { name, code, message, where, hint } }
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register({ tsconfig: workerData.tsconfig });

let inference = null;

function serialise(e) {
  return { name: e?.name, message: String(e?.message ?? e), code: e?.code, where: e?.where, hint: e?.hint };
}

async function handle(m) {
  const { id, bytes, volume, card, device } = m;
  try {
    inference ??= await import(workerData.inferenceModule);
    const r = await inference.runModelOnVolume(bytes, volume, card, {
      device,
      onProgress: (done, total) => parentPort.postMessage({ type: 'progress', id, done, total }),
    });
    const result = { classMap: r.classMap, instances: r.instances, runInfo: r.runInfo, params: r.params };
    parentPort.postMessage({ type: 'result', id, result }, [r.classMap.buffer]);
  } catch (e) {
    parentPort.postMessage({ type: 'error', id, error: serialise(e) });
  }
}

let chain = Promise.resolve();
parentPort.on('message', (m) => {
  if (m?.type === 'job') chain = chain.then(() => handle(m)).catch(() => undefined);
});
