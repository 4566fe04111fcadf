'use client';
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useTRPC, type RouterOutputs } from '../_components/trpc';
import { fmtDate, fmtDuration, studyMeta } from '../_components/format';

type Study = RouterOutputs['studies']['list'][number];

export default function StudiesPage() {
  const trpc = useTRPC();
  const studies = useQuery(trpc.studies.list.queryOptions(undefined, { refetchInterval: 5_000 }));

  return (
    <div data-testid="studies-page">
      <div className="page-head">
        <div>
          <h1>Studies</h1>
          <div className="subtle">Volumes, point clouds and their segmentation runs.</div>
        </div>
        <Link className="btn btn-primary" href="/upload">
          Upload a volume or point cloud
        </Link>
      </div>
      {studies.isPending && <div className="panel empty">Loading studies…</div>}
      {studies.isError && (
        <div className="alert alert-error" role="alert">
          Could not load studies: {studies.error.message}
        </div>
      )}
      {studies.data && studies.data.length === 0 && (
        <div className="panel empty">
          No studies yet. <Link href="/upload">Upload a NIfTI volume or a point cloud</Link> to start.
        </div>
      )}
      <div data-testid="study-list">
        {studies.data?.map((s) => <StudyCard key={s.id} study={s} />)}
      </div>
    </div>
  );
}

/** Point-cloud meta for the card: point count, format, organised grid. */
function pointCloudFacts(meta: unknown): { points: number | null; format: string | null; organised: string | null } {
  const m = (meta && typeof meta === 'object' ? meta : {}) as Record<string, unknown>;
  const o = m.organised as { width?: unknown; height?: unknown } | null | undefined;
  return {
    points: typeof m.points === 'number' ? m.points : null,
    format: typeof m.format === 'string' ? m.format.toUpperCase() : null,
    organised: o && typeof o.width === 'number' && typeof o.height === 'number' ? `${o.width} × ${o.height} grid` : null,
  };
}

function StudyCard({ study }: { study: Study }) {
  const meta = studyMeta(study.meta);
  const pc = study.kind === 'pointcloud' ? pointCloudFacts(study.meta) : null;
  return (
    <section className="panel study-card" data-testid="study-item" data-study-id={study.id}>
      <div className="study-card-head">
        <div>
          <Link className="study-title" href={`/studies/${study.id}`} data-testid="study-link">
            {study.name}
          </Link>
          <div className="study-meta">
            <span data-testid="study-kind">{study.kind === 'pointcloud' ? 'point cloud' : study.kind}</span>
            {study.modality && <span>{study.modality}</span>}
            {pc?.format && <span>{pc.format}</span>}
            {pc?.points !== null && pc?.points !== undefined && <span data-testid="study-points">{pc.points.toLocaleString()} points</span>}
            {pc?.organised && <span>{pc.organised}</span>}
            {!pc && meta.shape && <span>{meta.shape.join(' × ')} voxels</span>}
            {!pc && meta.spacing && (
              <span>
                {meta.spacing.map((x) => +x.toFixed(3)).join(' × ')} {meta.units}
              </span>
            )}
            <span>added {fmtDate(study.createdAt)}</span>
          </div>
        </div>
        <Link className="btn btn-small" href={`/studies/${study.id}`}>
          Open viewer
        </Link>
      </div>
      {study.runs.length === 0 ? (
        <div className="subtle small">No runs yet.</div>
      ) : (
        <table className="table" data-testid="run-table">
          <thead>
            <tr>
              <th>Status</th>
              <th>Pipeline / model</th>
              <th>Where</th>
              <th>Device</th>
              <th className="num">Instances</th>
              <th>Started</th>
              <th className="num">Time</th>
            </tr>
          </thead>
          <tbody>
            {study.runs.map((r) => (
              <tr key={r.id} data-testid="run-row" data-run-id={r.id}>
                <td>
                  <span className={`badge badge-${r.status}`}>{r.status}</span>
                  {r.status === 'running' && r.stage ? <span className="subtle small"> {r.stage}</span> : null}
                  {r.status === 'failed' && r.error ? <div className="small" style={{ color: 'var(--danger)' }}>{r.error}</div> : null}
                </td>
                <td>
                  {r.pipeline} <span className="subtle small">v{r.version}</span>
                </td>
                <td>
                  {r.location} <span className="subtle small">({r.runner})</span>
                </td>
                <td>
                  {r.device}
                  {r.adapter ? <span className="subtle small"> · {r.adapter}</span> : null}
                </td>
                <td className="num">{r.instanceCount ?? '—'}</td>
                <td>{fmtDate(r.startedAt ?? r.createdAt)}</td>
                <td className="num">{fmtDuration(r.startedAt, r.finishedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
