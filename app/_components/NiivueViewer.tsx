'use client';
/**
 * NiiVue on a <canvas>: multiplanar slices plus a 3D render tile, the study volume as the base
 * layer and an optional instance-label overlay coloured by `instanceColor` (lib/ui/palette).
 *
 * NiiVue is imported dynamically inside an effect (it touches `window`/WebGL at import time).
 * Label overlays are drawn through a label LUT rebuilt whenever the selection changes: the
 * selected instance keeps its palette colour at full alpha, the others are dimmed.
 *
 * Test hooks (read-only): `window.__tessera = { nv, getCrosshairVoxel, selectedLabel,
 * overlayVisible, readCanvasPixels, volumeLoaded, labelsLoaded, labelsUrl }`.
 */
import { useEffect, useRef, useState } from 'react';
import type { Niivue, NVImage } from '@niivue/niivue';
import { buildLabelLut } from '@/lib/ui/palette';
import { invert4, voxelToWorld, type Vec3 } from '@/lib/ui/coords';

export interface LabelLayer {
  url: string;
  /** File name NiiVue uses to detect the format (.nii / .nii.gz). */
  name: string;
  /** Largest label id expected in the volume (the LUT covers 0..maxLabel). */
  maxLabel: number;
  /**
   * Fixed colours per label value (RGBA, 4 bytes a value, alpha 0 = transparent), e.g. a model's
   * class colours (class-colours.ts). When given, instance palette colours and the selection
   * highlight are not used (the values are classes, not instances).
   */
  lut?: Uint8ClampedArray;
}

export interface NiivueViewerProps {
  volumeUrl: string;
  volumeName: string;
  labels: LabelLayer | null;
  selectedLabel: number | null;
  opacity: number;
  overlayVisible: boolean;
  /** Voxel (file index space) to put the crosshair on; `seq` re-triggers the same voxel. */
  focus: { voxel: Vec3; seq: number } | null;
  onLocation?: (voxel: Vec3, label: number | null) => void;
}

export interface TesseraTestHooks {
  nv: Niivue | null;
  getCrosshairVoxel(): Vec3 | null;
  selectedLabel: number | null;
  overlayVisible: boolean;
  opacity: number;
  volumeLoaded: boolean;
  labelsLoaded: boolean;
  labelsUrl: string | null;
  readCanvasPixels(): { width: number; height: number; data: Uint8Array } | null;
}

declare global {
  interface Window {
    __tessera?: TesseraTestHooks;
  }
}

function affineOf(vol: NVImage): number[][] | null {
  const a = (vol.hdr as { affine?: number[][] } | null)?.affine;
  return Array.isArray(a) && a.length >= 3 ? a : null;
}

/** File voxel index → NiiVue fractional texture coordinates of volume 0. */
function voxelToFrac(nv: Niivue, voxel: Vec3): Vec3 | null {
  const vol = nv.volumes[0];
  const aff = vol ? affineOf(vol) : null;
  if (!aff) return null;
  const mm = voxelToWorld(aff, voxel);
  const frac = nv.mm2frac([mm[0], mm[1], mm[2]], 0, true);
  return [frac[0], frac[1], frac[2]];
}

/** NiiVue's crosshair (fractional) → file voxel index (rounded). */
function crosshairVoxel(nv: Niivue): Vec3 | null {
  const vol = nv.volumes[0];
  const aff = vol ? affineOf(vol) : null;
  if (!aff) return null;
  const mm = nv.frac2mm(nv.scene.crosshairPos, 0, true);
  const inv = invert4(aff);
  const v = voxelToWorld(inv, [mm[0], mm[1], mm[2]]);
  return [Math.round(v[0]), Math.round(v[1]), Math.round(v[2])];
}

function labelAt(nv: Niivue, voxel: Vec3): number | null {
  const lab = nv.volumes[1];
  if (!lab || !lab.img) return null;
  const dims = (lab.hdr as { dims?: number[] } | null)?.dims;
  if (!dims) return null;
  const [x, y, z] = voxel;
  if (x < 0 || y < 0 || z < 0 || x >= dims[1] || y >= dims[2] || z >= dims[3]) return null;
  const v = (lab.img as ArrayLike<number>)[x + dims[1] * (y + dims[2] * z)];
  return typeof v === 'number' ? v : null;
}

export default function NiivueViewer(props: NiivueViewerProps) {
  const { volumeUrl, volumeName, labels, selectedLabel, opacity, overlayVisible, focus, onLocation } = props;
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const nvRef = useRef<Niivue | null>(null);
  const labelsKeyRef = useRef<string | null>(null);
  const maxLabelRef = useRef(1);
  const fixedLutRef = useRef<Uint8ClampedArray | null>(null);
  const [volumeLoaded, setVolumeLoaded] = useState(false);
  const [labelsLoaded, setLabelsLoaded] = useState(false);
  const [status, setStatus] = useState('Loading viewer…');
  const [error, setError] = useState<string | null>(null);
  const onLocationRef = useRef(onLocation);
  onLocationRef.current = onLocation;

  // Create NiiVue and load the base volume.
  useEffect(() => {
    let cancelled = false;
    let nvLocal: Niivue | null = null;
    setVolumeLoaded(false);
    setError(null);
    setStatus('Loading volume…');
    (async () => {
      const mod = await import('@niivue/niivue');
      if (cancelled || !canvasRef.current) return;
      const nv = new mod.Niivue({
        backColor: [0.043, 0.059, 0.09, 1],
        crosshairColor: [1, 1, 1, 0.85],
        // Thin whatever the voxel size (1 voxel of a 2 mm scan would hide a lot of the slice).
        crosshairWidth: 0.8,
        crosshairWidthUnit: 'percent',
        crosshairGap: 4,
        show3Dcrosshair: true,
        sliceType: mod.SLICE_TYPE.MULTIPLANAR,
        multiplanarShowRender: mod.SHOW_RENDER.ALWAYS,
        multiplanarLayout: mod.MULTIPLANAR_TYPE.GRID,
        isColorbar: false,
        isNearestInterpolation: true,
        dragAndDropEnabled: false,
        isOrientCube: false,
        logLevel: 'warn',
        loadingText: 'loading...',
      });
      nvLocal = nv;
      await nv.attachToCanvas(canvasRef.current);
      if (cancelled) return;
      nv.setSliceType(mod.SLICE_TYPE.MULTIPLANAR);
      nv.onLocationChange = () => {
        const v = crosshairVoxel(nv);
        if (v) onLocationRef.current?.(v, labelAt(nv, v));
      };
      try {
        await nv.loadVolumes([{ url: volumeUrl, name: volumeName, colormap: 'gray' }]);
      } catch (e) {
        if (!cancelled) setError(`Could not load the volume: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      if (cancelled) return;
      nvRef.current = nv;
      labelsKeyRef.current = null;
      setVolumeLoaded(true);
      setStatus('');
      const v = crosshairVoxel(nv);
      if (v) onLocationRef.current?.(v, null);
    })().catch((e: unknown) => {
      if (!cancelled) setError(`Viewer failed: ${e instanceof Error ? e.message : String(e)}`);
    });
    return () => {
      cancelled = true;
      if (nvRef.current === nvLocal) nvRef.current = null;
      try {
        nvLocal?.cleanup();
      } catch {
        /* ignore */
      }
    };
  }, [volumeUrl, volumeName]);

  // (Re)load the label overlay when the run changes (keyed by URL, not by object identity).
  useEffect(() => {
    const nv = nvRef.current;
    if (!nv || !volumeLoaded) return;
    // A class LUT is part of the key: the same run recoloured (card colours known later) reloads.
    const key = labels ? `${labels.url}${labels.lut ? `#${Array.from(labels.lut).join(',')}` : ''}` : null;
    if (labelsKeyRef.current === key) return;
    labelsKeyRef.current = key;
    setLabelsLoaded(false);
    while (nv.volumes.length > 1) nv.removeVolumeByIndex(nv.volumes.length - 1);
    nv.drawScene();
    if (!labels) return;
    setStatus('Loading labels…');
    const fixed = labels.lut ?? null;
    const maxLabel = fixed ? Math.max(1, fixed.length / 4 - 1) : Math.max(1, labels.maxLabel);
    maxLabelRef.current = maxLabel;
    fixedLutRef.current = fixed;
    (async () => {
      await nv.addVolumeFromUrl({
        url: labels.url,
        name: labels.name,
        opacity: 0,
        colormapLabel: { lut: fixed ?? buildLabelLut(maxLabel), min: 0, max: maxLabel },
      });
      if (labelsKeyRef.current !== key || nvRef.current !== nv) return;
      const lab = nv.volumes[1];
      if (lab && !fixed) {
        const gmax = typeof lab.global_max === 'number' && Number.isFinite(lab.global_max) ? Math.round(lab.global_max) : 0;
        maxLabelRef.current = Math.max(maxLabel, gmax);
      }
      setLabelsLoaded(true);
      setStatus('');
    })().catch((e: unknown) => {
      if (labelsKeyRef.current !== key) return;
      setStatus('');
      setError(`Could not load the labels: ${e instanceof Error ? e.message : String(e)}`);
    });
  }, [labels, volumeLoaded]);

  // Colours, selection highlight, opacity and visibility of the overlay.
  useEffect(() => {
    const nv = nvRef.current;
    if (!nv || !labelsLoaded) return;
    const lab = nv.volumes[1];
    if (!lab) return;
    const max = maxLabelRef.current;
    const fixed = fixedLutRef.current;
    lab.colormapLabel = { lut: fixed ?? buildLabelLut(max, { selected: selectedLabel }), min: 0, max };
    nv.setOpacity(1, overlayVisible ? opacity : 0);
  }, [labelsLoaded, selectedLabel, opacity, overlayVisible]);

  // Move the crosshair.
  useEffect(() => {
    const nv = nvRef.current;
    if (!nv || !volumeLoaded || !focus) return;
    const frac = voxelToFrac(nv, focus.voxel);
    if (!frac) return;
    nv.scene.crosshairPos = [frac[0], frac[1], frac[2]] as unknown as typeof nv.scene.crosshairPos;
    nv.createOnLocationChange();
    nv.drawScene();
  }, [focus, volumeLoaded]);

  // Read-only test hooks.
  useEffect(() => {
    const hooks: TesseraTestHooks = {
      nv: nvRef.current,
      getCrosshairVoxel: () => (nvRef.current ? crosshairVoxel(nvRef.current) : null),
      selectedLabel,
      overlayVisible,
      opacity,
      volumeLoaded,
      labelsLoaded,
      labelsUrl: labels?.url ?? null,
      readCanvasPixels: () => {
        const nv = nvRef.current;
        if (!nv) return null;
        nv.drawScene();
        const gl = nv.gl;
        const width = gl.drawingBufferWidth;
        const height = gl.drawingBufferHeight;
        const data = new Uint8Array(width * height * 4);
        gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, data);
        return { width, height, data };
      },
    };
    window.__tessera = hooks;
  }, [selectedLabel, overlayVisible, opacity, volumeLoaded, labelsLoaded, labels]);

  return (
    <div className="viewer-canvas-wrap" data-testid="viewer" data-volume-loaded={volumeLoaded} data-labels-loaded={labelsLoaded}>
      <canvas ref={canvasRef} data-testid="viewer-canvas" />
      {status && !error && <div className="viewer-status">{status}</div>}
      {error && (
        <div className="viewer-error" role="alert" data-testid="viewer-error">
          {error}
        </div>
      )}
    </div>
  );
}
