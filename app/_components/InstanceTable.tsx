'use client';
import { useEffect, useRef } from 'react';
import { instanceColorCss } from '@/lib/ui/palette';
import { fmtVec } from '@/lib/ui/coords';
import { fmtNum, unitsCubed } from './format';
import type { RouterOutputs } from './trpc';

export type InstanceRow = RouterOutputs['instances']['list'][number];
const REVIEW = ['proposed', 'accepted', 'rejected', 'edited'] as const;
export type Review = (typeof REVIEW)[number];

export default function InstanceTable(props: {
  rows: InstanceRow[];
  units: string;
  selectedLabel: number | null;
  onSelect: (row: InstanceRow) => void;
  onReview: (row: InstanceRow, review: Review) => void;
}) {
  const { rows, units, selectedLabel, onSelect, onReview } = props;
  const bodyRef = useRef<HTMLTableSectionElement>(null);

  useEffect(() => {
    if (selectedLabel === null || !bodyRef.current) return;
    const tr = bodyRef.current.querySelector<HTMLTableRowElement>(`tr[data-label-id="${selectedLabel}"]`);
    tr?.scrollIntoView({ block: 'nearest' });
  }, [selectedLabel]);

  return (
    <div className="instances-scroll">
      <table className="table instances-table" data-testid="instance-table">
        <thead>
          <tr>
            <th>Label</th>
            <th className="num">Voxels</th>
            <th className="num">
              Volume <span className="units">({unitsCubed(units)})</span>
            </th>
            <th>Centroid (voxel)</th>
            <th>Bounding box (voxel)</th>
            <th>Review</th>
          </tr>
        </thead>
        <tbody ref={bodyRef}>
          {rows.map((r) => {
            const selected = r.labelId === selectedLabel;
            return (
              <tr
                key={r.id}
                data-testid="instance-row"
                data-label-id={r.labelId}
                data-selected={selected ? 'true' : 'false'}
                className={selected ? 'selected' : undefined}
                aria-selected={selected}
                onClick={() => onSelect(r)}
              >
                <td>
                  <span className="swatch" style={{ background: instanceColorCss(r.labelId) }} />
                  <span className="mono">{r.labelId}</span>
                  {r.className ? <span className="subtle small"> {r.className}</span> : null}
                </td>
                <td className="num">{r.voxels.toLocaleString()}</td>
                <td className="num">{fmtNum(r.volume, 2)}</td>
                <td className="mono">{fmtVec(r.centroid, 1)}</td>
                <td className="mono">
                  {fmtVec(r.bboxMin, 0)} – {fmtVec(r.bboxMax, 0)}
                </td>
                <td onClick={(e) => e.stopPropagation()}>
                  <select
                    className="review-select"
                    value={r.review}
                    aria-label={`Review status of instance ${r.labelId}`}
                    onChange={(e) => onReview(r, e.target.value as Review)}
                  >
                    {REVIEW.map((v) => (
                      <option key={v} value={v}>
                        {v}
                      </option>
                    ))}
                  </select>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
