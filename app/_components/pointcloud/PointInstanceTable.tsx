'use client';
/**
 * The instance table of a point cloud: id (with its palette swatch), class, points, centroid, extent,
 * score, and a visibility checkbox per instance. A row click selects the instance (the viewer centres
 * on it); the selected row is highlighted and scrolled into view when the selection comes from a
 * click in the 3D view.
 */
import { useEffect, useRef } from 'react';
import { instanceColorCss } from '@/lib/ui/palette';
import type { PointInstanceRow } from '@/server/services/pointclouds';

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '—';
}

export interface PointInstanceTableProps {
  rows: PointInstanceRow[];
  selected: number | null;
  hidden: ReadonlySet<number>;
  onSelect: (id: number) => void;
  onToggle: (id: number, visible: boolean) => void;
  onShowAll: () => void;
  onHideAll: () => void;
}

export default function PointInstanceTable({ rows, selected, hidden, onSelect, onToggle, onShowAll, onHideAll }: PointInstanceTableProps) {
  const rowRefs = useRef(new Map<number, HTMLTableRowElement>());
  useEffect(() => {
    if (selected === null) return;
    rowRefs.current.get(selected)?.scrollIntoView({ block: 'nearest' });
  }, [selected]);
  const hasScore = rows.some((r) => r.score !== null);
  const hasClass = rows.some((r) => r.className !== null);

  return (
    <section className="panel instances-panel" data-testid="pc-instance-table" data-rows={rows.length}>
      <div className="instances-head">
        <h2 style={{ margin: 0 }}>
          Instances <span className="subtle" data-testid="pc-instance-count">({rows.length})</span>
        </h2>
        <div className="downloads">
          <button type="button" className="btn btn-small" onClick={onShowAll} disabled={hidden.size === 0} data-testid="pc-show-all">
            Show all
          </button>
          <button type="button" className="btn btn-small" onClick={onHideAll} disabled={rows.length === 0} data-testid="pc-hide-all">
            Hide all
          </button>
        </div>
      </div>
      {rows.length === 0 ? (
        <div className="empty small">No per-point instance labels: the file has none and no run has finished.</div>
      ) : (
        <div className="instances-scroll">
          <table className="table instances-table">
            <thead>
              <tr>
                <th title="Shown in the 3D view">Show</th>
                <th>Instance</th>
                {hasClass && <th>Class</th>}
                <th className="num">Points</th>
                <th className="num">Centroid (x, y, z)</th>
                <th className="num">Extent (x × y × z)</th>
                {hasScore && <th className="num">Score</th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const isSel = r.id === selected;
                const visible = !hidden.has(r.id);
                return (
                  <tr
                    key={r.id}
                    ref={(el) => {
                      if (el) rowRefs.current.set(r.id, el);
                      else rowRefs.current.delete(r.id);
                    }}
                    className={isSel ? 'selected' : undefined}
                    data-testid={`pc-instance-row-${r.id}`}
                    data-selected={isSel ? 'true' : 'false'}
                    data-visible={visible ? 'true' : 'false'}
                    aria-selected={isSel}
                    onClick={() => onSelect(r.id)}
                    style={visible ? undefined : { opacity: 0.5 }}
                  >
                    <td onClick={(e) => e.stopPropagation()}>
                      <input
                        type="checkbox"
                        checked={visible}
                        onChange={(e) => onToggle(r.id, e.target.checked)}
                        aria-label={`show instance ${r.id}`}
                        data-testid={`pc-instance-visible-${r.id}`}
                      />
                    </td>
                    <td>
                      <span className="swatch" style={{ background: instanceColorCss(r.id) }} />
                      {r.id}
                    </td>
                    {hasClass && <td>{r.className ?? '—'}</td>}
                    <td className="num">{r.points.toLocaleString()}</td>
                    <td className="num mono">{r.centroid.map((v) => fmt(v)).join(', ')}</td>
                    <td className="num mono">{r.extent.map((v) => fmt(v)).join(' × ')}</td>
                    {hasScore && <td className="num">{r.score === null ? '—' : r.score.toFixed(3)}</td>}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
