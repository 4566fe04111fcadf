'use client';
/**
 * "Run model": pick a registered ONNX model and run it on this study, in the browser (tessera's
 * WebGPU engine, or onnxruntime-web when there is no adapter or the engine lacks an op) or on the
 * server (runs.runModel). Shows live progress ("tile k/n"), then the stored Run's runner, device
 * and adapter (and why the engine was not used, when it was not), or the error.
 *
 * The panel follows its own run with runs.get; the parent is told when a run starts and ends so
 * it can select it (the class map then shows as the overlay, coloured by the card's classes).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { skipToken, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, useTRPCClient, type RouterOutputs } from './trpc';
import { parseModelCard } from '@/lib/model/card';
import type { ModelRunProgress } from './browser-model-run';
import RunOnPicker, { type RunOn } from './RunOnPicker';
import RunProgress, { RunDevice } from './RunProgress';
import { describeError, isActive } from './run-status';

export type ModelSummary = RouterOutputs['models']['list'][number];
type ServerDevice = 'auto' | 'gpu' | 'cpu' | 'ort';
const SERVER_DEVICES: [ServerDevice, string][] = [
  ['auto', 'auto (tessera on the GPU if possible, else onnxruntime)'],
  ['gpu', 'GPU (tessera engine, Dawn)'],
  ['cpu', 'CPU (tessera engine)'],
  ['ort', 'onnxruntime-node (CPU)'],
];

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
  const trpcClient = useTRPCClient();
  const queryClient = useQueryClient();
  const models = useQuery(trpc.models.list.queryOptions());

  const [modelId, setModelId] = useState<string>('');
  const [runOnChoice, setRunOnChoice] = useState<RunOn | null>(null);
  const [serverDevice, setServerDevice] = useState<ServerDevice>('auto');
  const [runId, setRunId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<ModelRunProgress | null>(null);
  /** Last tile count of this page's run (kept after it finished). */
  const [browserTiles, setBrowserTiles] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const runOn: RunOn = runOnChoice ?? (gpuProbe === 'unavailable' ? 'server' : 'browser');

  const list = useMemo(() => models.data ?? [], [models.data]);
  const model = list.find((m) => m.id === modelId) ?? list[0] ?? null;

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
            if ((p.phase === 'inference' || p.phase === 'uploading') && p.total > 0) setBrowserTiles({ done: p.done, total: p.total });
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

  const running = busy || runServer.isPending || (!!r && isActive(r.status));
  const tiles = r?.location === 'server' ? tilesFromStage(r.stage) : browserTiles;
  const phase = busy && progress ? progress.phase : (r?.stage ?? null);
  const fallback = fallbackOf(r);

  return (
    <section className="panel" data-testid="model-run-panel">
      <h2>Run model</h2>
      <div className="subtle small" style={{ marginBottom: 10 }}>
        A registered ONNX model (<a href="/models">model registry</a>) on this volume: class map as the overlay, instances listed below.
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
          if (!model) return;
          setError(null);
          setRunId(null);
          setBrowserTiles(null);
          if (runOn === 'browser') void runBrowser(model);
          else runServer.mutate({ studyId, modelId: model.id, device: serverDevice });
        }}
      >
        {running ? 'Running…' : 'Run model'}
      </button>
      {error && (
        <div className="alert alert-error" role="alert" data-testid="model-run-error">
          {error}
        </div>
      )}
      {(r || busy) && (
        <RunProgress
          // test ids: model-run-progress, model-run-status, model-run-stage
          prefix="model-run"
          run={r}
          stage={phase}
          headExtra={
            tiles &&
            tiles.total > 0 && (
              <span className="mono" data-testid="model-run-tiles" data-done={tiles.done} data-total={tiles.total}>
                {' '}
                · tile {tiles.done}/{tiles.total}
              </span>
            )
          }
          done={{ testId: 'model-run-done', content: <>{r?.instanceCount ?? 0} instances</> }}
        >
          {r && (
            <RunDevice
              testId="model-run-device"
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
          {fallback && (
            <div className="subtle small" data-testid="model-run-fallback">
              onnxruntime-web used: {fallback}
            </div>
          )}
        </RunProgress>
      )}
    </section>
  );
}
