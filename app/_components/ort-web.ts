/**
 * onnxruntime-web (wasm execution provider) in the page: the fallback runner of a browser model run
 * when this browser has no WebGPU adapter or the model has an op the tessera engine lacks.
 *
 * The runtime is loaded on demand (`import('onnxruntime-web/wasm')`, the wasm-only build whose
 * Emscripten glue is bundled in). Its WebAssembly binary is served same-origin by
 * `app/api/ort/[file]/route.ts` from node_modules and located through `env.wasm.wasmPaths`, so
 * nothing is fetched from a CDN and the production build (Turbopack) needs no copy step.
 * Threads: 1 unless the page is cross-origin isolated (SharedArrayBuffer available); then the
 * threaded glue is loaded from the same route too.
 *
 * Models exported with fixed spatial dims would be rejected by onnxruntime on a volume of another
 * size; `freeSpatialDims` (gpu-kernels/onnx/meshnet-data.ts) makes every input/output dim after the
 * channel axis symbolic (the networks this runs are fully convolutional, as the tessera engine
 * assumes too).
 *
 * Browser-safe: imports lib/-level code and the isomorphic ONNX schema only.
 */
import { slidingWindow } from '@/lib/tensor/sliding-window';
import { freeSpatialDims } from '@/gpu-kernels/onnx/meshnet-data';

/** Same-origin folder that serves onnxruntime-web's dist files (see app/api/ort/[file]/route.ts). */
export const ORT_ASSET_PREFIX = '/api/ort/';

type Ort = typeof import('onnxruntime-web');

let ortPromise: Promise<Ort> | null = null;

/** Number of wasm threads this page can use: 1 unless cross-origin isolated. */
export function ortThreads(): number {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  if (!g.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, g.navigator?.hardwareConcurrency ?? 1));
}

/** onnxruntime-web, configured for this origin (loaded once). */
export function loadOrtWeb(): Promise<Ort> {
  ortPromise ??= (async () => {
    const ort = (await import('onnxruntime-web/wasm')) as Ort;
    const threads = ortThreads();
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths =
      threads > 1
        ? { wasm: `${ORT_ASSET_PREFIX}ort-wasm-simd-threaded.wasm`, mjs: `${ORT_ASSET_PREFIX}ort-wasm-simd-threaded.mjs` }
        : { wasm: `${ORT_ASSET_PREFIX}ort-wasm-simd-threaded.wasm` };
    return ort;
  })().catch((e: unknown) => {
    ortPromise = null;
    throw e;
  });
  return ortPromise;
}

export interface OrtWebOutput {
  data: Float32Array | Int32Array;
  dims: number[];
  type: 'float32' | 'int32';
}

export interface OrtWebStats {
  runner: 'onnxruntime-web';
  device: 'wasm';
  threads: number;
  /** Session creation and run times (ms). */
  sessionMs: number;
  ms: number;
}

/**
 * Runs the model's first output on onnxruntime-web (wasm) with one float32 input.
 * int64 outputs (ArgMax) come back as Int32Array, float outputs as Float32Array.
 */
export async function runOrtWeb(
  bytes: Uint8Array,
  input: { data: Float32Array; dims: number[] },
  sliding?: { window: number[]; overlap: number; mirror?: number[]; onProgress?: (done: number, total: number) => void } | null,
): Promise<{ output: OrtWebOutput; stats: OrtWebStats & { windows: number } }> {
  const ort = await loadOrtWeb();
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(freeSpatialDims(bytes), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const sessionMs = performance.now() - t0;
  try {
    const t1 = performance.now();
    const runOne = async (x: { data: Float32Array; dims: number[] }): Promise<OrtWebOutput> => {
      const res = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.data, x.dims) });
      const o = res[session.outputNames[0]];
      const dims = Array.from(o.dims as readonly number[]);
      if (o.type === 'float32') return { data: o.data as Float32Array, dims, type: 'float32' };
      if (o.type === 'int64' || o.type === 'int32' || o.type === 'uint8' || o.type === 'int8' || o.type === 'uint16' || o.type === 'int16') {
        return { data: Int32Array.from(o.data as ArrayLike<number | bigint>, Number), dims, type: 'int32' };
      }
      throw new Error(`onnxruntime-web: unsupported output type ${o.type} of '${session.outputNames[0]}'`);
    };
    let output: OrtWebOutput;
    let windows = 0;
    if (sliding) {
      const r = await slidingWindow(input, sliding, runOne);
      output = { data: r.data, dims: r.dims, type: 'float32' };
      windows = r.windows;
    } else {
      output = await runOne(input);
    }
    const ms = performance.now() - t1;
    return { output, stats: { runner: 'onnxruntime-web', device: 'wasm', threads: ort.env.wasm.numThreads ?? 1, sessionMs, ms, windows } };
  } finally {
    await session.release().catch(() => undefined);
  }
}
