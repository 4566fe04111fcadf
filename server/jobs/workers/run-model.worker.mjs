// Long-lived worker thread for model runs (server/jobs/run-model.ts): keeps the server's event loop
// free while a network runs (normalise → tensor → our engine on Dawn or onnxruntime-node → class
// map → instances). Loads server/inference through tsx from the project root. The process-wide
// Dawn device of server/inference lives in this thread and is reused across runs (the GPU object
// must never be garbage-collected, so the thread is never torn down between runs). Jobs run one at
// a time. The main thread chose VK_ICD_FILENAMES before starting this worker.
//
// Messages in:  { type: 'job', id, bytes: Uint8Array, volume, card, device, cellPipeline? }
// Messages out: { type: 'progress', id, done, total }, { type: 'result', id, result }
//               (result = { classMap, instances, instanceLabels, runInfo, params }; instanceLabels is
//               the Uint32Array instance map for 'cell-pipeline' cards, whose instances ARE the run's
//               labels; null otherwise: a connected-components map stays here, the class map is stored),
//               { type: 'error', id, error: { name, code, message, where, hint } }
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register({ tsconfig: workerData.tsconfig });

let inference = null;

function serialise(e) {
  return { name: e?.name, message: String(e?.message ?? e), code: e?.code, where: e?.where, hint: e?.hint };
}

async function handle(m) {
  const { id, bytes, volume, card, device, cellPipeline } = m;
  try {
    inference ??= await import(workerData.inferenceModule);
    const r = await inference.runModelOnVolume(bytes, volume, card, {
      device,
      ...(cellPipeline ? { cellPipeline } : {}),
      onProgress: (done, total) => parentPort.postMessage({ type: 'progress', id, done, total }),
    });
    const instanceLabels = card.output.instances === 'cell-pipeline' ? r.instanceLabels : null;
    const result = { classMap: r.classMap, instances: r.instances, instanceLabels, runInfo: r.runInfo, params: r.params };
    parentPort.postMessage({ type: 'result', id, result }, instanceLabels ? [r.classMap.buffer, instanceLabels.buffer] : [r.classMap.buffer]);
  } catch (e) {
    parentPort.postMessage({ type: 'error', id, error: serialise(e) });
  }
}

let chain = Promise.resolve();
parentPort.on('message', (m) => {
  if (m?.type === 'job') chain = chain.then(() => handle(m)).catch(() => undefined);
});
