'use client';
/**
 * WebGPU in this page, for the panels that can run in the browser (StudyViewer "Segment cells",
 * pointcloud/SegmentPanel): `useGpuProbe` asks navigator.gpu once for an adapter, and
 * `WebGpuRunOnPicker` is the RunOnPicker with `data-webgpu` and the adapter note (test id
 * `adapterTestId`) below the choice.
 */
import { useEffect, useState } from 'react';
import RunOnPicker, { type RunOn } from './RunOnPicker';

/** WebGPU in this page: still probing, an adapter (name), or none. */
export type GpuProbe = { state: 'pending' } | { state: 'available'; adapter: string } | { state: 'unavailable' };

/** Probes WebGPU once on mount; `unnamedAdapter` stands for an adapter that reports no name. */
export function useGpuProbe(unnamedAdapter = ''): GpuProbe {
  const [gpuProbe, setGpuProbe] = useState<GpuProbe>({ state: 'pending' });
  useEffect(() => {
    let cancelled = false;
    // Loaded on demand: the GPU kernels stay out of the page's first bundle.
    void import('./browser-run')
      .then((m) => m.browserGpu())
      .then((ctx) => {
        if (!cancelled) setGpuProbe(ctx ? { state: 'available', adapter: ctx.adapterInfo.name || unnamedAdapter } : { state: 'unavailable' });
      })
      .catch(() => {
        if (!cancelled) setGpuProbe({ state: 'unavailable' });
      });
    return () => {
      cancelled = true;
    };
  }, [unnamedAdapter]);
  return gpuProbe;
}

export default function WebGpuRunOnPicker<D extends string>(props: {
  id: string;
  adapterTestId: string;
  gpuProbe: GpuProbe;
  runOn: RunOn;
  onRunOn: (r: RunOn) => void;
  device: { testId: string; value: D; options: [D, string][]; onChange: (d: D) => void };
}) {
  const { gpuProbe, runOn } = props;
  return (
    <RunOnPicker id={props.id} runOn={runOn} onRunOn={props.onRunOn} data={{ 'data-webgpu': gpuProbe.state }} device={props.device}>
      <div className="subtle small" data-testid={props.adapterTestId} style={{ marginTop: 4 }}>
        {gpuProbe.state === 'pending' && 'Checking WebGPU in this browser…'}
        {gpuProbe.state === 'available' && <>This browser: WebGPU · {gpuProbe.adapter}</>}
        {gpuProbe.state === 'unavailable' &&
          (runOn === 'browser' ? 'No WebGPU adapter in this browser: a browser run uses the CPU.' : 'No WebGPU adapter in this browser.')}
      </div>
    </RunOnPicker>
  );
}
