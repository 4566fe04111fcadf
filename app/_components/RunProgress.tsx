'use client';
/**
 * A Run's live status box, shared by the run panels (StudyViewer "Segment cells", ModelRunPanel,
 * pointcloud/SegmentPanel). `prefix` names the test ids: `<prefix>-progress` (data-status, plus the
 * caller's `data`), `<prefix>-status`, `<prefix>-stage`, and `percentTestId` on the percentage when
 * given. Before the Run exists (a browser run still starting) it shows "starting". `children` go
 * between the head and the bar (device line, notes); `done` is shown once the Run succeeded.
 */
import type { ReactNode } from 'react';
import ProgressBar from './ProgressBar';
import { percentOf } from './run-status';

type DataAttrs = Record<`data-${string}`, string | number>;

export interface RunProgressRun {
  status: string;
  progress?: number | null;
  error?: string | null;
}

export default function RunProgress(props: {
  prefix: string;
  run: RunProgressRun | null;
  stage: string | null;
  /** Extra data-* attributes of the box (e.g. { 'data-run-id': id }). */
  data?: DataAttrs;
  /** After the stage in the head (e.g. the tile count). */
  headExtra?: ReactNode;
  percentTestId?: string;
  children?: ReactNode;
  /** Shown when the Run succeeded, in a "subtle small" line with these test id and data-* attributes. */
  done?: { content: ReactNode; testId?: string; data?: DataAttrs };
}) {
  const { prefix, run, done } = props;
  const pct = percentOf(run);
  return (
    <div className="run-progress" data-testid={`${prefix}-progress`} data-status={run?.status ?? 'starting'} {...props.data}>
      <div className="run-progress-head">
        <span>
          <span className={`badge badge-${run?.status ?? 'queued'}`} data-testid={`${prefix}-status`}>
            {run?.status ?? 'starting'}
          </span>{' '}
          <span data-testid={`${prefix}-stage`}>{props.stage ?? ''}</span>
          {props.headExtra}
        </span>
        <span data-testid={props.percentTestId}>{pct}%</span>
      </div>
      {props.children}
      <ProgressBar pct={pct} />
      {run?.status === 'failed' && run.error && (
        <div className="alert alert-error" role="alert">
          {run.error}
        </div>
      )}
      {run?.status === 'succeeded' && done && (
        <div className="subtle small" style={{ marginTop: 6 }} data-testid={done.testId} {...done.data}>
          {done.content}
        </div>
      )}
    </div>
  );
}

/**
 * Where a Run ran: "Browser|Server · <runner> · <device>[ · <adapter>][<suffix>]", with data-location
 * and data-device (and the caller's `data`) for the tests. The runner part is left out when null.
 */
export function RunDevice(props: {
  testId: string;
  run: { location: string; device: string; adapter?: string | null };
  runner: string | null;
  device: string;
  data?: DataAttrs;
  suffix?: string;
}) {
  const { run } = props;
  const parts = [run.location === 'browser' ? 'Browser' : 'Server', ...(props.runner === null ? [] : [props.runner]), props.device];
  return (
    <div className="subtle small" data-testid={props.testId} data-location={run.location} data-device={run.device} {...props.data}>
      {parts.join(' · ')}
      {run.adapter ? ` · ${run.adapter}` : ''}
      {props.suffix ?? ''}
    </div>
  );
}
