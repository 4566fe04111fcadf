'use client';
/**
 * "Run on: Browser (WebGPU) | Server" radio pair, with the server's device choice when Server is
 * picked. Used by the classical "Segment cells" panel and the "Run model" panel; `id` names the
 * radio group and prefixes the test ids (`<id>`, `<id>-browser`, `<id>-server`).
 */
import type { ReactNode } from 'react';

export type RunOn = 'browser' | 'server';

const CHOICES: [RunOn, string][] = [
  ['browser', 'Browser (WebGPU)'],
  ['server', 'Server'],
];

export default function RunOnPicker<D extends string>(props: {
  id: string;
  runOn: RunOn;
  onRunOn: (r: RunOn) => void;
  /** Extra data-* attributes of the group (e.g. { 'data-webgpu': 'available' }). */
  data?: Record<`data-${string}`, string>;
  /** The server's device select, shown when Server is picked. */
  device: { testId: string; value: D; options: [D, string][]; onChange: (d: D) => void };
  /** Notes below the choice (adapter, fallback). */
  children?: ReactNode;
}) {
  const { id, runOn, onRunOn, device } = props;
  return (
    <div className="run-on" data-testid={id} {...props.data} data-run-on={runOn} style={{ margin: '8px 0' }}>
      <div className="small" style={{ marginBottom: 4 }}>Run on</div>
      {CHOICES.map(([value, label], i) => (
        <label key={value} style={i < CHOICES.length - 1 ? { marginRight: 12 } : undefined}>
          <input type="radio" name={id} value={value} data-testid={`${id}-${value}`} checked={runOn === value} onChange={() => onRunOn(value)} />{' '}
          {label}
        </label>
      ))}
      {runOn === 'server' && (
        <label className="small" style={{ marginLeft: 12 }}>
          device{' '}
          <select data-testid={device.testId} value={device.value} onChange={(e) => device.onChange(e.target.value as D)}>
            {device.options.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      )}
      {props.children}
    </div>
  );
}
