'use client';
/**
 * The study page: NiiVue viewer with the selected run's labels, the instance table, the run's
 * details and downloads, and the panels that segment: "Segment cells" (method: the classical
 * pipeline, or Tessera's bundled Nuclei / Cells 3-D U-Nets found in the model registry; Run on
 * Browser (WebGPU) | Server) and "Run model" (any registered model).
 *
 * Overlay colours: classical runs and 'cell-pipeline' model runs (params.cellPipeline: the labels
 * are instances) use the instance palette; other model runs hold class ids, coloured by the card.
 */
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { skipToken, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, useTRPCClient, type RouterOutputs } from './trpc';
import NiivueViewer, { type LabelLayer } from './NiivueViewer';
import InstanceTable, { type InstanceRow, type Review } from './InstanceTable';
import ModelRunPanel, { MODEL_SERVER_DEVICES, ModelRunStatus, engineLabel, useModelRun, type ModelServerDevice, type ModelSummary } from './ModelRunPanel';
import { type RunOn } from './RunOnPicker';
import WebGpuRunOnPicker, { useGpuProbe } from './WebGpuRunOnPicker';
import RunProgress, { RunDevice } from './RunProgress';
import { describeError, isActive, runModelLabel } from './run-status';
import { classLut, type ClassColour } from './class-colours';
import { fmtDate, fmtDuration, studyMeta } from './format';
import { instanceColorCss } from '@/lib/ui/palette';
import { fmtVec, type Vec3 } from '@/lib/ui/coords';

type Run = RouterOutputs['runs']['list'][number];
type ServerDevice = 'auto' | 'cpu' | 'gpu';
const SERVER_DEVICES: [ServerDevice, string][] = [
  ['auto', 'auto (GPU if available)'],
  ['gpu', 'GPU (WebGPU/Dawn)'],
  ['cpu', 'CPU'],
];

function time(d: unknown): number {
  const t = new Date(d instanceof Date ? d.getTime() : String(d)).getTime();
  return Number.isFinite(t) ? t : 0;
}

/** The registered model a Run used (Run.modelId, else params.model.id; null for the classical pipeline). */
function modelIdOf(run: unknown): string | null {
  if (!run || typeof run !== 'object') return null;
  const r = run as { modelId?: unknown; params?: { model?: { id?: unknown } } | null };
  const id = typeof r.modelId === 'string' && r.modelId ? r.modelId : r.params?.model?.id;
  return typeof id === 'string' && id ? id : null;
}

/** Class list of a model card (JSON from the registry or stored with the run), or null. */
function classesOf(card: unknown): ClassColour[] | null {
  const out = card && typeof card === 'object' ? (card as { output?: { classes?: unknown } }).output : null;
  const cs = out?.classes;
  if (!Array.isArray(cs) || cs.length === 0) return null;
  const ok = cs.filter(
    (c): c is ClassColour => !!c && typeof c === 'object' && typeof c.id === 'number' && typeof c.name === 'string' && typeof c.colour === 'string',
  );
  return ok.length ? ok : null;
}

/** The Segment panel's methods: the classical pipeline or a bundled model (registry name). */
type SegmentMethod = 'classical' | 'nuclei' | 'cells';
const BUNDLED_METHODS: { method: Exclude<SegmentMethod, 'classical'>; label: string; about: string }[] = [
  {
    method: 'nuclei',
    label: 'Nuclei model',
    about: 'Fluorescent nuclei. A 3-D U-Net predicts each voxel’s nucleus probability and whether it lies in a nucleus core; the cores seed a watershed.',
  },
  {
    method: 'cells',
    label: 'Cells model',
    about: 'Membrane-stained cells. A 3-D U-Net predicts cell and boundary probabilities; seeds from the distance to the boundaries, then a watershed on the boundary map.',
  },
];

/** The registered bundled model of that name (a 'cell-pipeline' card; the latest registered first in models.list), or null. */
function bundledModel(models: ModelSummary[] | undefined, name: string): ModelSummary | null {
  return models?.find((m) => m.name === name && (m.card as { output?: { instances?: unknown } })?.output?.instances === 'cell-pipeline') ?? null;
}

/** A model run whose labels are instance ids (a 'cell-pipeline' model: params.cellPipeline), not class ids. */
function holdsInstances(run: { params?: unknown } | null | undefined): boolean {
  const p = run?.params;
  return !!p && typeof p === 'object' && !!(p as { cellPipeline?: unknown }).cellPipeline;
}

function numOrUndef(s: string): number | undefined {
  if (s.trim() === '') return undefined;
  const x = Number(s);
  return Number.isFinite(x) ? x : undefined;
}

export default function StudyViewer({ studyId }: { studyId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();

  const study = useQuery(trpc.studies.get.queryOptions({ id: studyId }));
  const runs = useQuery(trpc.runs.list.queryOptions({ studyId }));

  const [selectedRunId, setSelectedRunId] = useState<string | null>(null);
  const [activeRunId, setActiveRunId] = useState<string | null>(null);
  const [selectedLabel, setSelectedLabel] = useState<number | null>(null);
  const [focus, setFocus] = useState<{ voxel: Vec3; seq: number } | null>(null);
  const [opacity, setOpacity] = useState(0.6);
  const [overlayVisible, setOverlayVisible] = useState(true);
  const [location, setLocation] = useState<{ voxel: Vec3; label: number | null } | null>(null);
  const [smooth, setSmooth] = useState('');
  const [minDistance, setMinDistance] = useState('');
  const [minSize, setMinSize] = useState('');
  const trpcClient = useTRPCClient();
  const gpuProbe = useGpuProbe();
  const [runOnChoice, setRunOnChoice] = useState<RunOn | null>(null);
  const [serverDevice, setServerDevice] = useState<ServerDevice>('auto');
  const [browserBusy, setBrowserBusy] = useState(false);
  const [browserStage, setBrowserStage] = useState<string | null>(null);
  const [browserError, setBrowserError] = useState<string | null>(null);
  const [method, setMethod] = useState<SegmentMethod>('classical');
  const [modelServerDevice, setModelServerDevice] = useState<ModelServerDevice>('auto');
  // Default: Browser when navigator.gpu gives an adapter, else Server; the user's choice wins.
  const runOn: RunOn = runOnChoice ?? (gpuProbe.state === 'available' ? 'browser' : 'server');

  const sortedRuns = useMemo(() => [...(runs.data ?? [])].sort((a, b) => time(b.createdAt) - time(a.createdAt)), [runs.data]);
  const latestSucceeded = sortedRuns.find((r) => r.status === 'succeeded') ?? null;
  const currentRun: Run | null = (selectedRunId ? sortedRuns.find((r) => r.id === selectedRunId) : null) ?? latestSucceeded;

  // A run that is already in flight (started elsewhere or before a reload) is tracked too.
  useEffect(() => {
    if (activeRunId) return;
    const inFlight = sortedRuns.find((r) => isActive(r.status));
    if (inFlight) setActiveRunId(inFlight.id);
  }, [sortedRuns, activeRunId]);

  const active = useQuery(
    trpc.runs.get.queryOptions(activeRunId ? { id: activeRunId } : skipToken, {
      refetchInterval: (q) => (q.state.data && !isActive(q.state.data.status) ? false : 300),
      staleTime: 0,
    }),
  );

  useEffect(() => {
    const r = active.data;
    if (!r || isActive(r.status)) return;
    void queryClient.invalidateQueries(trpc.runs.list.queryFilter({ studyId }));
    void queryClient.invalidateQueries(trpc.studies.list.queryFilter());
    if (r.status === 'succeeded') {
      setSelectedRunId(r.id);
      setSelectedLabel(null);
    }
  }, [active.data, queryClient, trpc, studyId]);

  const segment = useMutation(
    trpc.runs.segmentCells.mutationOptions({
      onSuccess: ({ runId }) => {
        setActiveRunId(runId);
        void queryClient.invalidateQueries(trpc.runs.list.queryFilter({ studyId }));
      },
    }),
  );

  const instances = useQuery(trpc.instances.list.queryOptions(currentRun ? { runId: currentRun.id } : skipToken));

  // A model run's label volume holds class ids: coloured by the model card's classes.
  const models = useQuery(trpc.models.list.queryOptions());
  const currentModelId = modelIdOf(currentRun);
  // A 'cell-pipeline' model run stores instance ids: instance colours, like the classical pipeline.
  const isModelRun = (!!currentModelId || (currentRun?.pipeline ?? '').startsWith('model:')) && !holdsInstances(currentRun);
  const classes: ClassColour[] | null = useMemo(() => {
    if (!isModelRun || !currentRun) return null;
    const registered = currentModelId ? models.data?.find((m) => m.id === currentModelId) : undefined;
    const stored = (currentRun.params as { model?: { card?: unknown } } | null)?.model?.card;
    return classesOf(registered?.card) ?? classesOf(stored);
  }, [isModelRun, currentRun, currentModelId, models.data]);
  const modelLut = useMemo(() => (classes ? classLut(classes) : null), [classes]);

  const startBrowserRun = useCallback(
    async (params: { smooth?: number; minDistance?: number; minSize?: number } | undefined) => {
      setBrowserBusy(true);
      setBrowserError(null);
      setBrowserStage('starting');
      try {
        const { runInBrowser } = await import('./browser-run');
        await runInBrowser({
          studyId,
          params,
          api: {
            createBrowserRun: (i) => trpcClient.runs.createBrowserRun.mutate(i),
            reportProgress: (i) => trpcClient.runs.reportProgress.mutate(i as Parameters<typeof trpcClient.runs.reportProgress.mutate>[0]),
            failBrowserRun: (i) => trpcClient.runs.failBrowserRun.mutate(i),
          },
          onRun: (runId) => {
            setActiveRunId(runId);
            void queryClient.invalidateQueries(trpc.runs.list.queryFilter({ studyId }));
          },
          onStage: (stage) => setBrowserStage(stage),
        });
      } catch (e) {
        setBrowserError(describeError(e));
      } finally {
        setBrowserBusy(false);
        setBrowserStage(null);
        void queryClient.invalidateQueries(trpc.runs.get.queryFilter());
        void queryClient.invalidateQueries(trpc.runs.list.queryFilter({ studyId }));
      }
    },
    [studyId, trpcClient, queryClient, trpc],
  );

  const setReview = useMutation(
    trpc.instances.setReview.mutationOptions({
      onSuccess: () => {
        if (currentRun) void queryClient.invalidateQueries(trpc.instances.list.queryFilter({ runId: currentRun.id }));
      },
    }),
  );

  const maxLabel = useMemo(() => {
    let m = currentRun?.instanceCount ?? 0;
    for (const r of instances.data ?? []) m = Math.max(m, r.labelId);
    return m;
  }, [instances.data, currentRun]);

  // A model run waits for the registry (its class colours) before the overlay loads.
  const waitingForClasses = isModelRun && !!currentModelId && models.isPending;
  const labels: LabelLayer | null = useMemo(
    () =>
      currentRun && currentRun.status === 'succeeded' && instances.data && !waitingForClasses
        ? {
            url: `/api/runs/${currentRun.id}/labels`,
            name: `labels-${currentRun.id}.nii.gz`,
            maxLabel,
            ...(modelLut ? { lut: modelLut } : {}),
          }
        : null,
    [currentRun, instances.data, maxLabel, modelLut, waitingForClasses],
  );

  const onModelRunStarted = useCallback(
    (runId: string) => {
      setActiveRunId(runId);
      void queryClient.invalidateQueries(trpc.runs.list.queryFilter({ studyId }));
    },
    [queryClient, trpc, studyId],
  );
  const onModelRunFinished = useCallback(
    (runId: string, status: string) => {
      void queryClient.invalidateQueries(trpc.runs.list.queryFilter({ studyId }));
      void queryClient.invalidateQueries(trpc.studies.list.queryFilter());
      if (status === 'succeeded') {
        setSelectedRunId(runId);
        setSelectedLabel(null);
      }
    },
    [queryClient, trpc, studyId],
  );
  // The Segment panel's bundled-model runs (the same machinery as the "Run model" panel).
  const segmentModelRun = useModelRun({ studyId, onRunStarted: onModelRunStarted, onRunFinished: onModelRunFinished });

  const onSelect = useCallback((row: InstanceRow) => {
    setSelectedLabel(row.labelId);
    setFocus((f) => ({ voxel: [row.centroid[0], row.centroid[1], row.centroid[2]], seq: (f?.seq ?? 0) + 1 }));
  }, []);

  const onReview = useCallback(
    (row: InstanceRow, review: Review) => setReview.mutate({ id: row.id, review }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [setReview.mutate],
  );

  const onLocation = useCallback((voxel: Vec3, label: number | null) => setLocation({ voxel, label }), []);

  if (study.isPending) return <div className="panel empty">Loading study…</div>;
  if (study.isError)
    return (
      <div className="alert alert-error" role="alert">
        {study.error.data?.code === 'NOT_FOUND' ? 'This study does not exist (it may have been deleted).' : describeError(study.error)}{' '}
        <Link href="/studies">Back to the studies</Link>
      </div>
    );

  const s = study.data;
  const meta = studyMeta(s.meta);
  const original = s.assets.find((a) => a.role === 'original');
  const volumeName = original?.filename && /\.nii(\.gz)?$/i.test(original.filename) ? original.filename : 'volume.nii.gz';
  const run = active.data;
  const running = (!!run && isActive(run.status)) || browserBusy || segmentModelRun.running;
  const methodInfo = BUNDLED_METHODS.find((b) => b.method === method) ?? null;
  const methodModel = methodInfo ? bundledModel(models.data, methodInfo.method) : null;
  // The Segment panel shows its own model run's box (tiles, runner) while that run is the active one.
  const showSegmentModelRun = segmentModelRun.busy || (!!segmentModelRun.run && (!run || run.id === segmentModelRun.run.id));

  return (
    <div data-testid="study-viewer" data-study-id={s.id}>
      <div className="page-head">
        <div>
          <div className="subtle small">
            <Link href="/studies">Studies</Link> /
          </div>
          <h1>{s.name}</h1>
          <div className="study-meta">
            <span>{s.kind}</span>
            {s.modality && <span>{s.modality}</span>}
            {meta.shape && <span>{meta.shape.join(' × ')} voxels</span>}
            {meta.spacing && (
              <span>
                voxel {meta.spacing.map((x) => +x.toFixed(4)).join(' × ')} {meta.units}
              </span>
            )}
            {meta.datatype && <span>{meta.datatype}</span>}
          </div>
        </div>
      </div>

      <div className="viewer-layout">
        <div>
          <div className="viewer-panel">
            <div className="viewer-toolbar">
              <label>
                Run
                <select
                  data-testid="run-select"
                  value={currentRun?.id ?? ''}
                  onChange={(e) => {
                    setSelectedRunId(e.target.value || null);
                    setSelectedLabel(null);
                  }}
                  disabled={sortedRuns.length === 0}
                >
                  {sortedRuns.length === 0 && <option value="">no runs yet</option>}
                  {sortedRuns.map((r) => (
                    <option key={r.id} value={r.id} disabled={r.status !== 'succeeded'}>
                      {fmtDate(r.createdAt)} · {runModelLabel(r) ?? r.pipeline} · {r.device} · {r.status}
                      {r.instanceCount !== null && r.instanceCount !== undefined ? ` · ${r.instanceCount} inst.` : ''}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                <input
                  type="checkbox"
                  data-testid="overlay-toggle"
                  checked={overlayVisible}
                  onChange={(e) => setOverlayVisible(e.target.checked)}
                />
                Labels
              </label>
              <label>
                Opacity
                <input
                  type="range"
                  min={0}
                  max={1}
                  step={0.05}
                  value={opacity}
                  data-testid="opacity-slider"
                  onChange={(e) => setOpacity(Number(e.target.value))}
                />
                <span className="mono">{opacity.toFixed(2)}</span>
              </label>
              {selectedLabel !== null && (
                <label>
                  <span className="swatch" style={{ background: instanceColorCss(selectedLabel) }} />
                  instance <span className="mono" data-testid="selected-label">{selectedLabel}</span>
                  <button className="btn btn-small" style={{ height: 22 }} onClick={() => setSelectedLabel(null)}>
                    clear
                  </button>
                </label>
              )}
            </div>
            {s.kind === 'volume' ? (
              <NiivueViewer
                volumeUrl={`/api/studies/${s.id}/volume`}
                volumeName={volumeName}
                labels={labels}
                selectedLabel={selectedLabel}
                opacity={opacity}
                overlayVisible={overlayVisible}
                focus={focus}
                onLocation={onLocation}
              />
            ) : (
              <div className="viewer-canvas-wrap">
                <div className="viewer-error">This study is a {s.kind}; the volume viewer shows NIfTI volumes only.</div>
              </div>
            )}
            <div className="viewer-foot" data-testid="viewer-location">
              <span>voxel {location ? fmtVec(location.voxel, 0) : '—'}</span>
              <span>
                {classes ? 'class' : 'label'}{' '}
                {location?.label ? (classes?.find((c) => c.id === location.label)?.name ?? location.label) : '—'}
              </span>
            </div>
            {classes && (
              <div className="viewer-foot small" data-testid="class-legend">
                {classes
                  .filter((c) => c.id > 0)
                  .map((c) => (
                    <span key={c.id} data-testid="class-legend-item" data-class-id={c.id} data-colour={c.colour}>
                      <span className="swatch" style={{ background: c.colour }} /> {c.name}
                    </span>
                  ))}
              </div>
            )}
          </div>

          <section className="panel instances-panel">
            <div className="instances-head">
              <h2 style={{ margin: 0 }}>
                Instances{' '}
                {instances.data && (
                  <span className="subtle" data-testid="instance-count">
                    ({instances.data.length})
                  </span>
                )}
              </h2>
              <span className="subtle small">Click a row to move the crosshair to its centroid.</span>
            </div>
            {!currentRun && <div className="empty">No segmentation yet. Run “Segment cells” to find instances.</div>}
            {currentRun && instances.isPending && <div className="empty">Loading instances…</div>}
            {instances.isError && <div className="alert alert-error">{describeError(instances.error)}</div>}
            {instances.data && (
              <InstanceTable rows={instances.data} units={meta.units} selectedLabel={selectedLabel} onSelect={onSelect} onReview={onReview} />
            )}
          </section>
        </div>

        <aside className="side">
          <section className="panel" data-testid="segment-panel">
            <h2>Segment cells</h2>
            <label className="field" style={{ marginBottom: 8 }}>
              Method
              <select
                data-testid="segment-method"
                value={method}
                disabled={running || segment.isPending}
                onChange={(e) => setMethod(e.target.value as SegmentMethod)}
              >
                <option value="classical">Classical pipeline</option>
                {BUNDLED_METHODS.map((b) => {
                  const m = bundledModel(models.data, b.method);
                  return (
                    <option key={b.method} value={b.method} disabled={!m} data-model-id={m?.id ?? ''}>
                      {b.label}
                      {m ? ` (v${m.version})` : models.isPending ? ' (loading…)' : ' (not installed)'}
                    </option>
                  );
                })}
              </select>
            </label>
            {method === 'classical' ? (
              <>
                <div className="subtle small" style={{ marginBottom: 10 }}>
                  Classical pipeline: smoothing, Otsu threshold, distance transform, seeded watershed. Leave a field empty for its default.
                </div>
                <div className="param-grid">
                  <label className="field">
                    Smoothing σ ({meta.units})
                    <input type="number" min={0} step="any" value={smooth} onChange={(e) => setSmooth(e.target.value)} data-testid="param-smooth" placeholder="auto" />
                  </label>
                  <label className="field">
                    Min distance ({meta.units})
                    <input type="number" min={0} step="any" value={minDistance} onChange={(e) => setMinDistance(e.target.value)} data-testid="param-min-distance" placeholder="auto" />
                  </label>
                  <label className="field">
                    Min size (voxels)
                    <input type="number" min={0} step={1} value={minSize} onChange={(e) => setMinSize(e.target.value)} data-testid="param-min-size" placeholder="auto" />
                  </label>
                </div>
              </>
            ) : (
              <div className="subtle small" style={{ marginBottom: 10 }} data-testid="segment-method-about">
                {methodInfo?.about} Trained by Tessera; the instances appear in the table below.
                {methodModel ? (
                  <span style={{ display: 'block', marginTop: 4 }} data-testid="segment-model" data-model-id={methodModel.id}>
                    Model {methodModel.name} v{methodModel.version} · {engineLabel(methodModel)}
                  </span>
                ) : (
                  <span style={{ display: 'block', marginTop: 4 }}>
                    Not in the model registry: the server registers it at start-up from models/{method}/ (see the server log).
                  </span>
                )}
              </div>
            )}
            <WebGpuRunOnPicker<string>
              id="run-on"
              adapterTestId="webgpu-adapter"
              gpuProbe={gpuProbe}
              runOn={runOn}
              onRunOn={setRunOnChoice}
              device={
                method === 'classical'
                  ? { testId: 'server-device', value: serverDevice, options: SERVER_DEVICES, onChange: (d) => setServerDevice(d as ServerDevice) }
                  : { testId: 'server-device', value: modelServerDevice, options: MODEL_SERVER_DEVICES, onChange: (d) => setModelServerDevice(d as ModelServerDevice) }
              }
            />
            <button
              className="btn btn-primary"
              data-testid="segment-button"
              disabled={s.kind !== 'volume' || running || segment.isPending || (method !== 'classical' && !methodModel)}
              onClick={() => {
                if (method !== 'classical') {
                  if (methodModel) segmentModelRun.start(methodModel, runOn, modelServerDevice);
                  return;
                }
                const params = { smooth: numOrUndef(smooth), minDistance: numOrUndef(minDistance), minSize: numOrUndef(minSize) };
                const any = Object.values(params).some((v) => v !== undefined);
                if (runOn === 'browser') {
                  void startBrowserRun(any ? params : undefined);
                  return;
                }
                segment.mutate({ studyId: s.id, device: serverDevice, ...(any ? { params } : {}) });
              }}
            >
              {running || segment.isPending ? 'Segmenting…' : method === 'nuclei' ? 'Segment nuclei' : 'Segment cells'}
            </button>
            {browserError && (
              <div className="alert alert-error" role="alert" data-testid="browser-run-error">
                {browserError}
              </div>
            )}
            {segment.isError && (
              <div className="alert alert-error" role="alert" data-testid="segment-error">
                {describeError(segment.error)}
              </div>
            )}
            {segmentModelRun.error && (
              <div className="alert alert-error" role="alert" data-testid="segment-model-error">
                {segmentModelRun.error}
              </div>
            )}
            {showSegmentModelRun ? (
              // test ids: segment-model-progress, -status, -stage, -tiles, -device, -fallback, -done
              <ModelRunStatus
                state={segmentModelRun}
                prefix="segment-model"
                done={
                  <>
                    {segmentModelRun.run?.instanceCount ?? 0} instances in {fmtDuration(segmentModelRun.run?.startedAt, segmentModelRun.run?.finishedAt)}
                  </>
                }
              />
            ) : (
              run && (
                <RunProgress
                  // test ids: run-progress, run-status, run-stage
                  prefix="run"
                  run={run}
                  stage={run.stage ?? null}
                  percentTestId="run-percent"
                  done={{ content: <>{run.instanceCount ?? 0} instances in {fmtDuration(run.startedAt, run.finishedAt)}</> }}
                >
                  <RunDevice
                    testId="run-device"
                    run={run}
                    runner={null}
                    device={run.device === 'webgpu' ? 'WebGPU' : 'CPU'}
                    suffix={browserBusy && browserStage && run.location === 'browser' ? ` · ${browserStage}` : ''}
                  />
                </RunProgress>
              )
            )}
          </section>

          <ModelRunPanel
            studyId={s.id}
            disabled={s.kind !== 'volume'}
            gpuProbe={gpuProbe.state}
            onRunStarted={onModelRunStarted}
            onRunFinished={onModelRunFinished}
          />

          {currentRun && (
            <section className="panel" data-testid="run-details">
              <h2>Run</h2>
              <dl className="kv">
                <dt>Pipeline</dt>
                <dd>
                  {currentRun.pipeline} v{currentRun.version}
                </dd>
                {runModelLabel(currentRun) && (
                  <>
                    <dt>Model</dt>
                    <dd data-testid="run-model" data-model-id={currentRun.modelId ?? ''} data-model-version={currentRun.modelVersion ?? ''}>
                      {runModelLabel(currentRun)}
                      {currentRun.modelId ? '' : ' (deleted from the registry)'}
                    </dd>
                  </>
                )}
                <dt>Runner</dt>
                <dd>
                  {currentRun.runner} ({currentRun.location})
                </dd>
                <dt>Device</dt>
                <dd>
                  {currentRun.device}
                  {currentRun.adapter ? ` · ${currentRun.adapter}` : ''}
                </dd>
                <dt>Status</dt>
                <dd>
                  <span className={`badge badge-${currentRun.status}`}>{currentRun.status}</span>
                </dd>
                <dt>Instances</dt>
                <dd>{currentRun.instanceCount ?? '—'}</dd>
                <dt>Started</dt>
                <dd>{fmtDate(currentRun.startedAt)}</dd>
                <dt>Time</dt>
                <dd>{fmtDuration(currentRun.startedAt, currentRun.finishedAt)}</dd>
                <dt>Parameters</dt>
                <dd>
                  <ParamList params={currentRun.params} />
                </dd>
              </dl>
              <h2 style={{ marginTop: 14 }}>Downloads</h2>
              <div className="downloads">
                <a className="btn btn-small" href={`/api/runs/${currentRun.id}/labels`} download data-testid="download-labels">
                  Labels (.nii.gz)
                </a>
                <a className="btn btn-small" href={`/api/runs/${currentRun.id}/instances.csv`} download data-testid="download-csv">
                  Instances (CSV)
                </a>
                <a className="btn btn-small" href={`/api/runs/${currentRun.id}/instances.json`} download data-testid="download-json">
                  Instances (JSON)
                </a>
              </div>
            </section>
          )}
        </aside>
      </div>
    </div>
  );
}

/** Run parameters as "name value" lines (the server's `resolved` block first when present). */
function ParamList({ params }: { params: Record<string, unknown> }) {
  const resolved = params.resolved && typeof params.resolved === 'object' ? (params.resolved as Record<string, unknown>) : null;
  const entries = Object.entries(resolved ?? params).filter(([, v]) => v !== undefined && v !== null);
  if (entries.length === 0) return <span className="subtle">defaults</span>;
  const show = (v: unknown): string =>
    typeof v === 'number' ? String(+v.toPrecision(6)) : Array.isArray(v) ? v.map(show).join(' × ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return (
    <span className="mono small" style={{ display: 'block', lineHeight: 1.6, overflowWrap: 'anywhere' }}>
      {entries.map(([k, v]) => (
        <span key={k} style={{ display: 'block' }}>
          {k} <span className="subtle">=</span> {show(v)}
        </span>
      ))}
    </span>
  );
}
