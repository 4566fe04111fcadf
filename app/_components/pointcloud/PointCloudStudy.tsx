'use client';
/**
 * The study page of a point cloud: the three.js viewer (loaded on the client only), its toolbar
 * (colour mode, point size, up axis), which labels to show (the latest succeeded Run's by default,
 * else the file's own ground truth), the selected instance, downloads (labelled PLY, instance CSV /
 * JSON, original file) and the instance table, linked both ways with the 3D view.
 *
 * Data: `GET /api/studies/:id/points?labels=…` (binary, points-format.ts) and
 * `GET /api/studies/:id/instances.json?labels=…`. The Segment panel (SegmentPanel.tsx) runs the
 * PointNet++ model in the browser or on the server; when its run succeeds the page shows that run's
 * labels (the viewer panel's `data-labels-run` names the run whose labels are drawn).
 */
import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useCallback, useMemo, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, type RouterOutputs } from '../trpc';
import { fmtDate } from '../format';
import { decodePointsPayload, type PointsPayload } from '@/lib/formats/pointcloud/points-format';
import type { ColourMode, UpAxis } from './colours';
import type { PointInstanceTable as InstanceTableData } from '@/server/services/pointclouds';
import PointInstanceTable from './PointInstanceTable';
import SegmentPanel from './SegmentPanel';
import type { Vec3 } from './PointCloudViewer';
import { instanceColorCss } from '@/lib/ui/palette';

const PointCloudViewer = dynamic(() => import('./PointCloudViewer'), {
  ssr: false,
  loading: () => <div className="viewer-canvas-wrap"><div className="viewer-status">Starting the 3D view…</div></div>,
});

type Study = RouterOutputs['studies']['get'];

interface Meta {
  format?: string;
  points?: number;
  invalid?: number;
  organised?: { width: number; height: number } | null;
  fields?: { colours: boolean; normals: boolean; intensity: boolean; labels: string[] };
  bounds?: { min: Vec3; max: Vec3 };
  groundTruth?: { instanceField: string | null; classField: string | null; instances: number };
}

async function fetchOrThrow(url: string): Promise<Response> {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) {
    let msg = `HTTP ${r.status}`;
    try {
      const body = (await r.json()) as { error?: { message?: string; where?: string; hint?: string } };
      if (body.error?.message) msg = [body.error.message, body.error.where ? ` (${body.error.where})` : '', body.error.hint ? `. ${body.error.hint}` : ''].join('');
    } catch {
      /* not JSON */
    }
    throw new Error(msg);
  }
  return r;
}

function fmtN(x: number | undefined): string {
  return typeof x === 'number' ? x.toLocaleString() : '—';
}

export default function PointCloudStudy({ study }: { study: Study }) {
  const meta = study.meta as Meta;
  const succeeded = useMemo(
    () =>
      study.runs
        .filter((r) => r.status === 'succeeded' && r.labelAssetId)
        .sort((a, b) => Date.parse(b.finishedAt ?? b.createdAt) - Date.parse(a.finishedAt ?? a.createdAt)),
    [study.runs],
  );
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const originalFile = study.assets.find((a) => a.role === 'original')?.filename ?? null;
  const [labelChoice, setLabelChoice] = useState<string | null>(null);
  const labels = labelChoice ?? succeeded[0]?.id ?? 'file';
  const q = `labels=${encodeURIComponent(labels)}`;

  const points = useQuery({
    queryKey: ['pointcloud-points', study.id, labels],
    queryFn: async (): Promise<PointsPayload> => decodePointsPayload(await (await fetchOrThrow(`/api/studies/${study.id}/points?${q}`)).arrayBuffer()),
    staleTime: Infinity,
    retry: false,
  });
  const table = useQuery({
    queryKey: ['pointcloud-instances', study.id, labels],
    queryFn: async (): Promise<InstanceTableData> => (await (await fetchOrThrow(`/api/studies/${study.id}/instances.json?${q}`)).json()) as InstanceTableData,
    staleTime: Infinity,
    retry: false,
  });

  const data = points.data ?? null;
  const rows = useMemo(() => table.data?.instances ?? [], [table.data]);
  const hasColours = !!data?.colors;
  const hasInstance = !!data?.instance;
  const hasClass = !!data?.classIds;

  const [modeChoice, setModeChoice] = useState<ColourMode | null>(null);
  const colourMode: ColourMode = modeChoice ?? (hasInstance ? 'instance' : hasClass ? 'class' : 'rgb');
  const [pointSize, setPointSize] = useState(2);
  const [up, setUp] = useState<UpAxis>(meta.organised ? '-y' : 'z');
  const [selected, setSelected] = useState<number | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<number>>(new Set());
  const [focus, setFocus] = useState<{ target: Vec3; seq: number } | null>(null);

  const selectedRow = rows.find((r) => r.id === selected) ?? null;
  const onPick = useCallback((id: number | null) => setSelected(id), []);
  const onRow = useCallback(
    (id: number) => {
      setSelected(id);
      const r = rows.find((x) => x.id === id);
      if (r) setFocus((f) => ({ target: r.centroid, seq: (f?.seq ?? 0) + 1 }));
    },
    [rows],
  );
  const onToggle = useCallback((id: number, visible: boolean) => {
    setHidden((h) => {
      const next = new Set(h);
      if (visible) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);
  const changeLabels = (v: string) => {
    setLabelChoice(v);
    setSelected(null);
    setHidden(new Set());
  };

  const onRunStarted = useCallback(() => undefined, []);
  const onRunFinished = useCallback(
    (runId: string, status: string) => {
      // the run list of the labels select, then the run's labels in the view and the table
      void queryClient.invalidateQueries(trpc.studies.get.queryFilter({ id: study.id }));
      if (status === 'succeeded') changeLabels(runId);
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [queryClient, trpc, study.id],
  );

  const sourceText = (data?.source ?? table.data?.source) === 'run' ? `run ${labels.slice(0, 10)}…` : data?.source === 'file' ? 'the file (ground truth)' : 'none';

  return (
    <div data-testid="pointcloud-study" data-study-id={study.id}>
      <div className="page-head">
        <div>
          <div className="subtle small">
            <Link href="/studies">Studies</Link> / point cloud
          </div>
          <h1>{study.name}</h1>
          <div className="study-meta">
            <span>{(meta.format ?? '').toUpperCase()}</span>
            <span data-testid="pc-meta-points">{fmtN(meta.points)} points</span>
            {meta.organised && (
              <span>
                organised {meta.organised.width} × {meta.organised.height}
              </span>
            )}
            {!!meta.invalid && <span>{fmtN(meta.invalid)} without a return (not drawn)</span>}
            {study.modality && <span>{study.modality}</span>}
            <span>added {fmtDate(study.createdAt)}</span>
          </div>
        </div>
      </div>

      <div className="viewer-layout">
        <div className="viewer-panel" data-testid="pc-viewer" data-loaded={data ? 'true' : 'false'} data-labels={data?.source ?? ''} data-labels-run={data?.source === 'run' ? (table.data?.runId ?? '') : ''}>
          <div className="viewer-toolbar">
            <label>
              Colour by
              <select value={colourMode} onChange={(e) => setModeChoice(e.target.value as ColourMode)} data-testid="pc-colour-mode">
                <option value="rgb">{hasColours || !data ? 'RGB' : 'Height (no RGB in file)'}</option>
                <option value="class" disabled={!hasClass}>
                  Class
                </option>
                <option value="instance" disabled={!hasInstance}>
                  Instance
                </option>
              </select>
            </label>
            <label>
              Point size
              <input
                type="range"
                min={1}
                max={10}
                step={0.5}
                value={pointSize}
                onChange={(e) => setPointSize(Number(e.target.value))}
                data-testid="pc-point-size"
              />
              <span className="mono">{pointSize.toFixed(1)} px</span>
            </label>
            <label>
              Up
              <select value={up} onChange={(e) => setUp(e.target.value as UpAxis)} data-testid="pc-up-axis">
                <option value="z">+Z</option>
                <option value="y">+Y</option>
                <option value="-y">−Y (camera)</option>
              </select>
            </label>
            <button type="button" className="btn btn-small" onClick={() => setSelected(null)} disabled={selected === null}>
              Clear selection
            </button>
          </div>
          {points.isError ? (
            <div className="viewer-canvas-wrap">
              <div className="viewer-error" data-testid="pc-viewer-error">
                Could not load the points: {points.error.message}
              </div>
            </div>
          ) : data ? (
            <PointCloudViewer
              data={data}
              colourMode={colourMode}
              pointSize={pointSize}
              selected={selected}
              hidden={hidden}
              up={up}
              focus={focus}
              onPick={onPick}
            />
          ) : (
            <div className="viewer-canvas-wrap">
              <div className="viewer-status">Loading {fmtN(meta.points)} points…</div>
            </div>
          )}
          <div className="viewer-foot">
            <span>drag: orbit · right-drag / shift: pan · wheel: zoom · click a point: select its instance</span>
            <span>labels: {sourceText}</span>
          </div>
        </div>

        <div className="side">
          <section className="panel">
            <h2>Selection</h2>
            <div data-testid="pc-selected-instance" data-instance-id={selected ?? ''}>
              {selectedRow ? (
                <dl className="kv">
                  <dt>Instance</dt>
                  <dd>
                    <span className="swatch" style={{ background: instanceColorCss(selectedRow.id) }} />
                    {selectedRow.id}
                  </dd>
                  {selectedRow.className !== null && (
                    <>
                      <dt>Class</dt>
                      <dd>{selectedRow.className}</dd>
                    </>
                  )}
                  <dt>Points</dt>
                  <dd>{selectedRow.points.toLocaleString()}</dd>
                  <dt>Centroid</dt>
                  <dd className="mono">{selectedRow.centroid.map((v) => v.toFixed(3)).join(', ')}</dd>
                  <dt>Extent</dt>
                  <dd className="mono">{selectedRow.extent.map((v) => v.toFixed(3)).join(' × ')}</dd>
                  {selectedRow.score !== null && (
                    <>
                      <dt>Score</dt>
                      <dd>{selectedRow.score.toFixed(3)}</dd>
                    </>
                  )}
                </dl>
              ) : selected !== null ? (
                <span>Instance {selected}</span>
              ) : (
                <span className="subtle small">None. Click a point in the view or a row of the table.</span>
              )}
            </div>
          </section>

          <SegmentPanel studyId={study.id} filename={originalFile} onRunStarted={onRunStarted} onRunFinished={onRunFinished} />

          <section className="panel">
            <h2>Labels</h2>
            <label className="field">
              Show the labels of
              <select value={labels} onChange={(e) => changeLabels(e.target.value)} data-testid="pc-label-source">
                {succeeded.map((r, k) => (
                  <option key={r.id} value={r.id}>
                    {`Run ${r.pipeline} v${r.version} · ${fmtDate(r.finishedAt ?? r.createdAt)}${k === 0 ? ' (latest)' : ''}`}
                  </option>
                ))}
                <option value="file">The file (ground truth{meta.groundTruth?.instanceField ? `: ${meta.groundTruth.instanceField}` : ''})</option>
              </select>
            </label>
            {table.isError && (
              <div className="alert alert-error" role="alert">
                Could not load the instance table: {table.error.message}
              </div>
            )}
          </section>

          <section className="panel">
            <h2>Downloads</h2>
            <div className="downloads">
              <a className="btn btn-small" href={`/api/studies/${study.id}/labeled.ply?${q}`} download data-testid="pc-download-ply">
                Labelled PLY
              </a>
              <a className="btn btn-small" href={`/api/studies/${study.id}/instances.csv?${q}`} download data-testid="pc-download-csv">
                Instances CSV
              </a>
              <a className="btn btn-small" href={`/api/studies/${study.id}/instances.json?${q}`} download data-testid="pc-download-json">
                JSON
              </a>
              <a className="btn btn-small" href={`/api/studies/${study.id}/volume`} download data-testid="pc-download-original">
                Original file
              </a>
            </div>
          </section>

          <section className="panel">
            <h2>Details</h2>
            <dl className="kv">
              <dt>Format</dt>
              <dd>{(meta.format ?? '—').toUpperCase()}</dd>
              <dt>Points</dt>
              <dd>{fmtN(meta.points)}</dd>
              <dt>Fields</dt>
              <dd>
                {[meta.fields?.colours && 'colours', meta.fields?.normals && 'normals', meta.fields?.intensity && 'intensity', ...(meta.fields?.labels ?? [])]
                  .filter(Boolean)
                  .join(', ') || 'xyz only'}
              </dd>
              {meta.bounds && (
                <>
                  <dt>Bounds</dt>
                  <dd className="mono small">
                    [{meta.bounds.min.map((v) => v.toFixed(3)).join(', ')}] – [{meta.bounds.max.map((v) => v.toFixed(3)).join(', ')}]
                  </dd>
                </>
              )}
            </dl>
          </section>
        </div>
      </div>

      <PointInstanceTable
        rows={rows}
        selected={selected}
        hidden={hidden}
        onSelect={onRow}
        onToggle={onToggle}
        onShowAll={() => setHidden(new Set())}
        onHideAll={() => setHidden(new Set(rows.map((r) => r.id)))}
      />
    </div>
  );
}
