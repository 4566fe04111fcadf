'use client';
/**
 * "Run model": pick a registered ONNX model and run it on this study, in the browser (tessera's
 * WebGPU engine, or onnxruntime-web when there is no adapter or the engine lacks an op) or on the
 * server (runs.runModel). Shows live progress ("tile k/n"), then the stored Run's runner, device
 * and adapter (and why the engine was not used, when it was not), or the error.
 *
 * The machinery is `useModelRun` (start a browser or server run of a model, follow it with
 * runs.get, progress/tiles/error) and `ModelRunStatus` (its status box), shared with the viewer's
 * Segment panel, which runs the bundled nuclei / cells models through them. The parent is told
 * when a run starts and ends so it can select it (a class map then shows as the overlay coloured
 * by the card's classes; a 'cell-pipeline' model's instance map in instance colours).
 */
import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { skipToken, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, useTRPCClient, type RouterOutputs } from './trpc';
import { parseModelCard } from '@/lib/model/card';
import type { ModelRunProgress } from './browser-model-run';
import RunOnPicker, { type RunOn } from './RunOnPicker';
import RunProgress, { RunDevice } from './RunProgress';
import { describeError, isActive } from './run-status';

export type ModelSummary = RouterOutputs['models']['list'][number];
type RunRow = RouterOutputs['runs']['get'];
export type ModelServerDevice = 'auto' | 'gpu' | 'cpu' | 'ort';
type ServerDevice = ModelServerDevice;
export const MODEL_SERVER_DEVICES: [ServerDevice, string][] = [
  ['auto', 'auto (tessera on the GPU if possible, else onnxruntime)'],
  ['gpu', 'GPU (tessera engine, Dawn)'],
  ['cpu', 'CPU (tessera engine)'],
  ['ort', 'onnxruntime-node (CPU)'],
];
const SERVER_DEVICES = MODEL_SERVER_DEVICES;

export type GpuProbeState = 'pending' | 'available' | 'unavailable';

/** "tessera engine" or "onnxruntime (unsupported: Erf, Floor)". */
export function engineLabel(m: { unsupportedOps: unknown }): string {
  const ops = Array.isArray(m.unsupportedOps) ? (m.unsupportedOps as unknown[]).map(String) : [];
  return ops.length === 0 ? 'tessera engine' : `onnxruntime (unsupported: ${ops.join(', ')})`;
}

/** Tiles "k/n" from a stage text such as "inference tile 3/8" (server runs), else null. */
function tilesFromStage(stage: string | null | undefined): { done: number; total: number } | null {
  const m = stage ? /(\d+)\s*\/\s*(\d+)/.exec(stage) : null;
  return m ? { done: Number(m[1]), total: Number(m[2]) } : null;
}

/** Why a browser run did not use the tessera engine, as stored on the Run (params.fallbackReason). */
export function fallbackOf(run: { params?: unknown } | null | undefined): string | null {
  const p = run?.params;
  if (!p || typeof p !== 'object') return null;
  const f = (p as Record<string, unknown>).fallbackReason;
  return typeof f === 'string' && f ? f : null;
}

/** "WebGPU", "CPU", or "WebAssembly" (onnxruntime-web's wasm backend, stored as device 'cpu'). */
function deviceLabel(run: { device: string; params?: unknown }): string {
  const ep = run.params && typeof run.params === 'object' ? (run.params as Record<string, unknown>).executionProvider : null;
  if (ep === 'wasm') return 'WebAssembly';
  return DEVICE_LABEL[run.device] ?? run.device;
}

const RUNNER_LABEL: Record<string, string> = { tessera: 'tessera', 'onnxruntime-web': 'onnxruntime-web', 'onnxruntime-node': 'onnxruntime-node' };
const DEVICE_LABEL: Record<string, string> = { webgpu: 'WebGPU', wasm: 'WebAssembly', cpu: 'CPU' };

/** What `useModelRun` gives a panel: start a run, and the state of the one it started last. */
export interface ModelRunState {
  /** Runs `model` in this page ('browser') or on the server (with `serverDevice`). */
  start: (model: ModelSummary, runOn: RunOn, serverDevice: ServerDevice) => void;
  /** The started Run as stored (polled until it ends); null before it exists. */
  run: RunRow | null;
  /** A browser run is computing in this page. */
  busy: boolean;
  /** Something is going on (page computing, request pending, Run queued/running). */
  running: boolean;
  /** The stage to show: the page's phase during a browser run, else the Run's stage. */
  phase: string | null;
  /** Tiles done/total (server: from the stage "tile k/n"; browser: this page's count). */
  tiles: { done: number; total: number } | null;
  /** Why onnxruntime-web was used instead of the tessera engine (browser runs). */
  fallback: string | null;
  error: string | null;
}

/**
 * Starts and follows model runs for one panel. `onRunStarted` / `onRunFinished` tell the parent
 * (the viewer selects the finished run).
 */
export function useModelRun(props: {
  studyId: string;
  onRunStarted: (runId: string) => void;
  onRunFinished: (runId: string, status: string) => void;
}): ModelRunState {
  const { studyId, onRunStarted, onRunFinished } = props;
  const trpc = useTRPC();
  const trpcClient = useTRPCClient();
  const queryClient = useQueryClient();
  const [runId, setRunId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<ModelRunProgress | null>(null);
  /** Last tile count of this page's run (kept after it finished). */
  const [browserTiles, setBrowserTiles] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = useQuery(
    trpc.runs.get.queryOptions(runId ? { id: runId } : skipToken, {
      refetchInterval: (q) => (q.state.data && !isActive(q.state.data.status) ? false : 400),
      staleTime: 0,
    }),
  );
  const r = run.data ?? null;

  useEffect(() => {
    if (!r || isActive(r.status)) return;
    onRunFinished(r.id, r.status);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [r?.id, r?.status]);

  const runServer = useMutation(
    trpc.runs.runModel.mutationOptions({
      onSuccess: ({ runId: id }) => {
        setRunId(id);
        onRunStarted(id);
      },
      onError: (e) => setError(describeError(e)),
    }),
  );

  const runBrowser = useCallback(
    async (m: ModelSummary) => {
      setBusy(true);
      setError(null);
      setProgress({ phase: 'loading', done: 0, total: 0, runner: null });
      setBrowserTiles(null);
      try {
        const { runModelInBrowser } = await import('./browser-model-run');
        await runModelInBrowser({
          studyId,
          model: { id: m.id, name: m.name, card: parseModelCard(m.card, `model ${m.name}`) },
          api: {
            createBrowserModelRun: (i) => trpcClient.runs.createBrowserModelRun.mutate(i),
            reportProgress: (i) => trpcClient.runs.reportProgress.mutate(i as Parameters<typeof trpcClient.runs.reportProgress.mutate>[0]),
            failBrowserRun: (i) => trpcClient.runs.failBrowserRun.mutate(i),
          },
          onRun: (info) => {
            setRunId(info.runId);
            onRunStarted(info.runId);
          },
          onProgress: (p) => {
            setProgress(p);
            if ((p.phase === 'inference' || p.phase === 'instances' || p.phase === 'uploading') && p.total > 0) setBrowserTiles({ done: p.done, total: p.total });
          },
        });
      } catch (e) {
        setError(describeError(e));
      } finally {
        setBusy(false);
        void queryClient.invalidateQueries(trpc.runs.get.queryFilter());
      }
    },
    [studyId, trpcClient, queryClient, trpc, onRunStarted],
  );

  const start = useCallback(
    (m: ModelSummary, runOn: RunOn, serverDevice: ServerDevice) => {
      setError(null);
      setRunId(null);
      setBrowserTiles(null);
      if (runOn === 'browser') void runBrowser(m);
      else runServer.mutate({ studyId, modelId: m.id, device: serverDevice });
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [runBrowser, runServer.mutate, studyId],
  );

  return {
    start,
    run: r,
    busy,
    running: busy || runServer.isPending || (!!r && isActive(r.status)),
    phase: busy && progress ? progress.phase : (r?.stage ?? null),
    tiles: r?.location === 'server' ? tilesFromStage(r.stage) : browserTiles,
    fallback: fallbackOf(r),
    error,
  };
}

/**
 * The status box of a `useModelRun` run: stage, tiles, progress, runner/device/adapter, fallback,
 * instance count. Test ids `<prefix>-progress|-status|-stage|-tiles|-device|-fallback|-done`.
 */
export function ModelRunStatus(props: { state: ModelRunState; prefix: string; done?: ReactNode }) {
  const { state, prefix } = props;
  const r = state.run;
  if (!r && !state.busy) return null;
  const tiles = state.tiles;
  return (
    <RunProgress
      prefix={prefix}
      run={r}
      stage={state.phase}
      headExtra={
        tiles &&
        tiles.total > 0 && (
          <span className="mono" data-testid={`${prefix}-tiles`} data-done={tiles.done} data-total={tiles.total}>
            {' '}
            · tile {tiles.done}/{tiles.total}
          </span>
        )
      }
      done={{ testId: `${prefix}-done`, data: { 'data-instances': r?.instanceCount ?? 0 }, content: props.done ?? <>{r?.instanceCount ?? 0} instances</> }}
    >
      {r && (
        <RunDevice
          testId={`${prefix}-device`}
          run={r}
          runner={RUNNER_LABEL[r.runner] ?? r.runner}
          device={deviceLabel(r)}
          data={{
            'data-runner': r.runner,
            'data-execution-provider': String((r.params as Record<string, unknown> | null)?.executionProvider ?? ''),
            'data-adapter': r.adapter ?? '',
          }}
        />
      )}
      {state.fallback && (
        <div className="subtle small" data-testid={`${prefix}-fallback`}>
          onnxruntime-web used: {state.fallback}
        </div>
      )}
    </RunProgress>
  );
}

export default function ModelRunPanel(props: {
  studyId: string;
  disabled: boolean;
  gpuProbe: GpuProbeState;
  /** A Run was created (browser or server). */
  onRunStarted: (runId: string) => void;
  /** The Run finished (succeeded or failed). */
  onRunFinished: (runId: string, status: string) => void;
}) {
  const { studyId, disabled, gpuProbe, onRunStarted, onRunFinished } = props;
  const trpc = useTRPC();
  const models = useQuery(trpc.models.list.queryOptions());
  const state = useModelRun({ studyId, onRunStarted, onRunFinished });

  const [modelId, setModelId] = useState<string>('');
  const [runOnChoice, setRunOnChoice] = useState<RunOn | null>(null);
  const [serverDevice, setServerDevice] = useState<ServerDevice>('auto');
  const runOn: RunOn = runOnChoice ?? (gpuProbe === 'unavailable' ? 'server' : 'browser');

  const list = useMemo(() => models.data ?? [], [models.data]);
  const model = list.find((m) => m.id === modelId) ?? list[0] ?? null;
  const running = state.running;

  return (
    <section className="panel" data-testid="model-run-panel">
      <h2>Run model</h2>
      <div className="subtle small" style={{ marginBottom: 10 }}>
        A registered ONNX model (<a href="/models">model registry</a>) on this volume: its class map (or, for cell-pipeline models, its
        instances) as the overlay, instances listed below.
      </div>
      {models.isError && (
        <div className="alert alert-error" role="alert">
          {describeError(models.error)}
        </div>
      )}
      <label className="field">
        Model
        <select
          data-testid="model-select"
          value={model?.id ?? ''}
          onChange={(e) => setModelId(e.target.value)}
          disabled={list.length === 0 || running}
        >
          {list.length === 0 && <option value="">{models.isPending ? 'loading…' : 'no models registered'}</option>}
          {list.map((m) => (
            <option key={m.id} value={m.id} data-model-name={m.name}>
              {m.name} v{m.version} · {engineLabel(m)}
            </option>
          ))}
        </select>
      </label>
      {model && (
        <div className="subtle small" data-testid="model-engine" style={{ marginTop: 4 }}>
          {engineLabel(model)}
        </div>
      )}
      <RunOnPicker
        id="model-run-on"
        runOn={runOn}
        onRunOn={setRunOnChoice}
        device={{ testId: 'model-server-device', value: serverDevice, options: SERVER_DEVICES, onChange: setServerDevice }}
      >
        {runOn === 'browser' && gpuProbe === 'unavailable' && (
          <div className="subtle small" style={{ marginTop: 4 }}>
            No WebGPU adapter in this browser: the model runs on onnxruntime-web (WebAssembly).
          </div>
        )}
      </RunOnPicker>
      <button
        className="btn btn-primary"
        data-testid="model-run-button"
        disabled={disabled || !model || running}
        onClick={() => {
          if (model) state.start(model, runOn, serverDevice);
        }}
      >
        {running ? 'Running…' : 'Run model'}
      </button>
      {state.error && (
        <div className="alert alert-error" role="alert" data-testid="model-run-error">
          {state.error}
        </div>
      )}
      {/* test ids: model-run-progress, -status, -stage, -tiles, -device, -fallback, -done */}
      <ModelRunStatus state={state} prefix="model-run" />
    </section>
  );
}
