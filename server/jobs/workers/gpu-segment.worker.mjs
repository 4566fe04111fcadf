// Long-lived worker thread for GPU segmentation on Dawn (WebGPU in Node). It acquires the device
// once (on the first job) and keeps it, and the Dawn GPU object, for its whole life: creating and
// tearing Dawn down per run is slow, and the GPU object must never be garbage-collected. Jobs run
// one at a time. The main thread chose VK_ICD_FILENAMES before starting this worker.
//
// Messages in:  { type: 'job', id, volume, params }
// Messages out: { type: 'device', id, adapter } once the device is acquired for a job,
//               { type: 'progress', id, stage, fraction }, { type: 'result', id, result },
//               { type: 'error', id, phase: 'acquire' | 'run', error: { code, message, where, hint } }
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register({ tsconfig: workerData.tsconfig });

let ctxPromise = null;
let pipeline = null;

function serialise(e) {
  return { name: e?.name, message: String(e?.message ?? e), code: e?.code, where: e?.where, hint: e?.hint };
}

async function context() {
  if (!ctxPromise) {
    ctxPromise = (async () => {
      let nodeGpu;
      try {
        nodeGpu = await import(workerData.nodeGpuModule);
      } catch (e) {
        throw Object.assign(new Error(`Dawn (npm webgpu) could not be loaded: ${e?.message ?? e}`), {
          code: 'GPU_UNAVAILABLE',
          where: 'server GPU worker',
          hint: 'Install the webgpu package and a Vulkan driver (see gpu-kernels/README.md).',
        });
      }
      const ctx = await nodeGpu.acquireNodeDevice({ label: 'tessera-server' });
      pipeline ??= await import(workerData.pipelineModule);
      return ctx;
    })();
    ctxPromise.catch(() => {
      ctxPromise = null; // retry acquiring on the next job (e.g. a driver installed meanwhile)
    });
  }
  return ctxPromise;
}

async function handle(m) {
  const { id, volume, params } = m;
  let ctx;
  try {
    ctx = await context();
    if (ctx.isLost) {
      ctxPromise = null;
      ctx = await context();
    }
  } catch (e) {
    parentPort.postMessage({ type: 'error', id, phase: 'acquire', error: { ...serialise(e), code: e?.code ?? 'GPU_UNAVAILABLE' } });
    return;
  }
  parentPort.postMessage({ type: 'device', id, adapter: ctx.adapterInfo.name });
  try {
    const result = await pipeline.segmentCellsGpu(ctx, volume, params, (stage, fraction) => {
      parentPort.postMessage({ type: 'progress', id, stage, fraction });
    });
    parentPort.postMessage({ type: 'result', id, result }, [result.labels.data.buffer]);
  } catch (e) {
    if (ctx.isLost || e?.code === 'GPU_DEVICE_LOST') ctxPromise = null;
    parentPort.postMessage({ type: 'error', id, phase: 'run', error: serialise(e) });
  }
}

let chain = Promise.resolve();
parentPort.on('message', (m) => {
  if (m?.type === 'job') chain = chain.then(() => handle(m)).catch(() => undefined);
});
