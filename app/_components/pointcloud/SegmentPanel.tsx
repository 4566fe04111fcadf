'use client';
/**
 * "Segment" on a point-cloud study: the PointNet++ instance model (models/pointnet-scenes) run in
 * this page (WebGPU, app/_components/browser-pointcloud-run.ts; the CPU twin only when the browser
 * has no adapter) or on the server (pointclouds.segment, device auto | cpu | gpu). Shows the phase
 * and progress while it runs, then the stored Run's location, runner, device and adapter, or the
 * error. The panel follows its own run — or one started elsewhere on this study — by polling while
 * it is active; the parent is told when a run starts and when it ends (it then shows its labels).
 *
 * Test ids: pc-run-on (-browser, -server), pc-server-device, pc-webgpu-adapter, pc-segment-button,
 * pc-run-progress (data-status, data-run-id), pc-run-status, pc-run-stage, pc-run-device
 * (data-location, data-runner, data-device, data-adapter), pc-run-done (data-instances), pc-run-error.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { skipToken, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, useTRPCClient } from '../trpc';
import { type RunOn } from '../RunOnPicker';
import WebGpuRunOnPicker, { useGpuProbe } from '../WebGpuRunOnPicker';
import RunProgress, { RunDevice } from '../RunProgress';
import { describeError, isActive } from '../run-status';
import type { PointCloudRunPhase } from '../browser-pointcloud-run';

type ServerDevice = 'auto' | 'cpu' | 'gpu';
const SERVER_DEVICES: [ServerDevice, string][] = [
  ['auto', 'auto (GPU if the server has one, else CPU)'],
  ['cpu', 'CPU (the CPU twins)'],
  ['gpu', 'GPU (Dawn)'],
];
const DEVICE_LABEL: Record<string, string> = { webgpu: 'WebGPU', cpu: 'CPU' };

export default function SegmentPanel(props: {
  studyId: string;
  /** The study's original file name (the browser reads it with lib/formats/pointcloud). */
  filename: string | null;
  onRunStarted: (runId: string) => void;
  onRunFinished: (runId: string, status: string) => void;
}) {
  const { studyId, filename, onRunStarted, onRunFinished } = props;
  const trpc = useTRPC();
  const trpcClient = useTRPCClient();
  const queryClient = useQueryClient();

  const gpuProbe = useGpuProbe('unknown adapter');
  const [runOnChoice, setRunOnChoice] = useState<RunOn | null>(null);
  const [serverDevice, setServerDevice] = useState<ServerDevice>('auto');
  const [ownRunId, setOwnRunId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [phase, setPhase] = useState<PointCloudRunPhase | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Default: Browser when navigator.gpu gives an adapter, else Server; the user's choice wins.
  const runOn: RunOn = runOnChoice ?? (gpuProbe.state === 'unavailable' ? 'server' : 'browser');

  // The study's runs, polled while one is active (runs started in another tab show up too).
  const runs = useQuery(
    trpc.runs.list.queryOptions(
      { studyId },
      { refetchInterval: (q) => ((q.state.data ?? []).some((r) => isActive(r.status)) ? 1000 : false), staleTime: 0 },
    ),
  );
  const activeElsewhere = useMemo(
    () => (runs.data ?? []).filter((r) => isActive(r.status)).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0] ?? null,
    [runs.data],
  );
  // A run started elsewhere is followed to its end like this page's own.
  useEffect(() => {
    if (!ownRunId && !busy && activeElsewhere) setOwnRunId(activeElsewhere.id);
  }, [ownRunId, busy, activeElsewhere]);
  const runId = ownRunId;

  const run = useQuery(
    trpc.runs.get.queryOptions(runId ? { id: runId } : skipToken, {
      refetchInterval: (q) => (q.state.data && !isActive(q.state.data.status) ? false : 500),
      staleTime: 0,
    }),
  );
  const r = run.data && run.data.id === runId ? run.data : null;

  useEffect(() => {
    if (!r || isActive(r.status)) return;
    onRunFinished(r.id, r.status);
    void queryClient.invalidateQueries(trpc.runs.list.queryFilter({ studyId }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [r?.id, r?.status]);

  const started = useCallback(
    (id: string) => {
      setOwnRunId(id);
      onRunStarted(id);
      void queryClient.invalidateQueries(trpc.runs.list.queryFilter({ studyId }));
    },
    [onRunStarted, queryClient, trpc, studyId],
  );

  const runServer = useMutation(
    trpc.pointclouds.segment.mutationOptions({
      onSuccess: ({ runId: id }) => started(id),
      onError: (e) => setError(describeError(e)),
    }),
  );

  const runBrowser = useCallback(async () => {
    if (!filename) return;
    setBusy(true);
    setError(null);
    setPhase('loading');
    try {
      const { runPointCloudInBrowser } = await import('../browser-pointcloud-run');
      await runPointCloudInBrowser({
        studyId,
        filename,
        api: {
          model: () => trpcClient.pointclouds.model.query(),
          createBrowserRun: (i) => trpcClient.pointclouds.createBrowserRun.mutate(i),
          reportProgress: (i) => trpcClient.runs.reportProgress.mutate(i as Parameters<typeof trpcClient.runs.reportProgress.mutate>[0]),
          failBrowserRun: (i) => trpcClient.runs.failBrowserRun.mutate(i),
        },
        onRun: (info) => started(info.runId),
        onPhase: setPhase,
      });
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
      setPhase(null);
      void queryClient.invalidateQueries(trpc.runs.get.queryFilter());
    }
  }, [studyId, filename, trpcClient, queryClient, trpc, started]);

  const running = busy || runServer.isPending || (!!r && isActive(r.status));
  const stage = busy && phase ? phase : (r?.stage ?? null);

  return (
    <section className="panel" data-testid="pc-segment-panel">
      <h2>Segment</h2>
      <div className="subtle small" style={{ marginBottom: 6 }}>
        PointNet++ instance model (pointnet-scenes): per-point class and instance, shown in the view and the table.
      </div>
      <WebGpuRunOnPicker
        id="pc-run-on"
        adapterTestId="pc-webgpu-adapter"
        gpuProbe={gpuProbe}
        runOn={runOn}
        onRunOn={setRunOnChoice}
        device={{ testId: 'pc-server-device', value: serverDevice, options: SERVER_DEVICES, onChange: setServerDevice }}
      />
      <button
        type="button"
        className="btn btn-primary"
        data-testid="pc-segment-button"
        disabled={running || !filename}
        onClick={() => {
          setError(null);
          setOwnRunId(null);
          if (runOn === 'browser') void runBrowser();
          else runServer.mutate({ studyId, device: serverDevice });
        }}
      >
        {running ? 'Segmenting…' : 'Segment'}
      </button>
      {error && (
        <div className="alert alert-error" role="alert" data-testid="pc-run-error">
          {error}
        </div>
      )}
      {(r || busy) && (
        <RunProgress
          // test ids: pc-run-progress, pc-run-status, pc-run-stage
          prefix="pc-run"
          run={r}
          stage={stage}
          data={{ 'data-run-id': r?.id ?? '' }}
          done={{
            testId: 'pc-run-done',
            data: { 'data-instances': r?.instanceCount ?? 0 },
            content: (
              <>
                {r?.instanceCount ?? 0} instances
                {typeof (r?.timings as Record<string, unknown> | null | undefined)?.totalMs === 'number' &&
                  ` · ${Math.round((r?.timings as Record<string, number>).totalMs)} ms`}
              </>
            ),
          }}
        >
          {r && (
            <RunDevice
              testId="pc-run-device"
              run={r}
              runner={r.runner}
              device={DEVICE_LABEL[r.device] ?? r.device}
              data={{ 'data-runner': r.runner, 'data-adapter': r.adapter ?? '' }}
            />
          )}
        </RunProgress>
      )}
    </section>
  );
}
