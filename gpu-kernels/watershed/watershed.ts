/// <reference types="@webgpu/types" />
/**
 * GPU marker-controlled watershed — the GPU version of `lib/segmentation/watershed.ts`
 * `watershed(image, markers, mask, shape, { connectivity })` (skimage 0.19 semantics: flood the
 * image lowest first from the markers inside the mask; unreachable voxels stay 0).
 *
 * Algorithm: level-synchronous flooding. Image values become order-preserving u32 keys (exact,
 * no quantisation: every distinct float is its own level). The flood holds a current level L;
 * a wave labels every unlabelled mask voxel that has a neighbour p labelled in an earlier wave
 * with key(p) ≤ L (p has been "popped" by the priority flood), taking the label of the neighbour
 * the CPU flood pops first: the one with the smallest push age, kept as (stamp = wave of
 * labelling, the stamps of 4 ancestors, the pusher's index, the direction from the pusher; see
 * watershed.wgsl.ts), then the lowest key, then the twin's neighbour order. A voxel labelled
 * below L (a basin without a marker) lowers L to its key, as the priority flood pops it at once.
 * Waves repeat at L until one changes nothing; L then jumps to the smallest key of a labelled
 * voxel next to an unlabelled one (atomicMin in the same wave), so empty levels cost nothing.
 * Waves run over a frontier list (unlabelled mask voxels with a labelled neighbour: survivors
 * plus neighbours of the voxels just labelled, each claimed once by compare-exchange), so a wave
 * costs O(frontier), not O(volume). A 1-thread control dispatch after each wave swaps the lists,
 * does the level bookkeeping and writes the next wave's indirect dispatch size (0 once done), so
 * batches of waves (32, doubling up to 512) are encoded without readbacks; the host reads the
 * control words after each batch.
 * Differences from the sequential flood come only from pops whose truncated ages tie: 99.8–100 %
 * of mask voxels agree with skimage on the goldens, same regions (test bar: 99.5 %).
 *
 * Over one storage binding: z-slabs of whole planes with 1 halo plane each side, all resident on
 * the device. Rounds at a fixed level: each slab floods to local convergence, then halo planes
 * (labels, stamps, ancestry) are copied between neighbouring slabs on the device; a round in which
 * no slab changes ends the level, and the next level is the minimum of the slabs' `next`. This is
 * a correct flood by levels (every voxel reachable at level L is labelled before level L+1); the
 * wave order across slab borders differs, and rounds do not lower L into markerless basins.
 * One plane plus two halo planes must fit a binding (else GPU_LIMITS).
 */
import { ArgumentError, ShapeError } from '../../lib/errors';
import { watershedNeighbours, type WatershedOptions } from '../../lib/segmentation/watershed';
import type { Vec3 } from '../../lib/volume';
import type { GpuContext } from '../runtime/device';
import { GpuLimitsError, GpuShaderError } from '../runtime/errors';
import { type HaloSlab, planHaloSlabs } from '../runtime/halo-slabs';
import { CTL, CTL_WORDS, NO_KEY, floodControlWgsl, floodInitWgsl, floodRebuildWgsl, floodUniform, floodWaveWgsl } from './watershed.wgsl';

export interface GpuWatershedStats {
  slabs: number;
  /** Waves run (per slab, summed), batches read back, rounds (slab path). */
  waves: number;
  batches: number;
  rounds: number;
}

interface SlabState {
  s: HaloSlab;
  n: number;
  key: GPUBuffer;
  labels: GPUBuffer;
  stamp: GPUBuffer;
  anc1: GPUBuffer;
  anc2: GPUBuffer;
  pidx: GPUBuffer;
  lists: GPUBuffer;
  ctl: GPUBuffer;
  args: GPUBuffer;
  u: GPUBuffer;
  rebuild: GPUBindGroup;
  wave: GPUBindGroup;
  control: GPUBindGroup;
  prepare: GPUBindGroup;
}

/**
 * Floods `image` from `markers` within `mask` (null = everywhere) on the GPU; same arguments and
 * return value as `watershed()` (opts.exactTies is ignored). Inputs are not modified.
 */
export async function watershedGpu(
  ctx: GpuContext,
  image: Float32Array,
  markers: Uint32Array,
  mask: Uint8Array | null,
  shape: Vec3,
  opts: WatershedOptions = {},
  stats?: GpuWatershedStats,
): Promise<Uint32Array> {
  const where = 'watershedGpu';
  ctx.assertAlive(where);
  const [nx, ny, nz] = shape;
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 1) throw new ShapeError(`shape must be positive integers, got ${shape.join('×')}`, { where });
  }
  const total = nx * ny * nz;
  if (image.length !== total) throw new ShapeError(`image has ${image.length} voxels but shape needs ${total}`, { where: `${where}.image` });
  if (markers.length !== total) throw new ShapeError(`markers has ${markers.length} voxels but shape needs ${total}`, { where: `${where}.markers` });
  if (mask && mask.length !== total) throw new ShapeError(`mask has ${mask.length} voxels but shape needs ${total}`, { where: `${where}.mask` });
  const connectivity = opts.connectivity ?? 6;
  if (connectivity !== 6 && connectivity !== 18 && connectivity !== 26) {
    throw new ArgumentError(`connectivity must be 6, 18 or 26, got ${String(connectivity)}`, { where: `${where}.connectivity` });
  }
  for (let i = 0; i < total; i++) {
    const v = image[i];
    if (v !== v && (mask === null || mask[i] !== 0)) {
      throw new ArgumentError(`image is NaN at voxel ${i}`, { where: `${where}.image`, hint: 'Replace NaNs before flooding.' });
    }
  }
  const m = mask ?? new Uint8Array(total).fill(1);

  const wg = ctx.workgroupSize1D(256);
  const nbs = watershedNeighbours(connectivity);
  const ctlCode = floodControlWgsl(wg, ctx.limits.maxComputeWorkgroupsPerDimension);
  const [initPipe, rebuildPipe, wavePipe, ctlPipe, prepPipe] = await Promise.all([
    ctx.pipeline({ code: floodInitWgsl(wg), label: 'watershed.init' }),
    ctx.pipeline({ code: floodRebuildWgsl(wg, nbs), label: `watershed.rebuild${connectivity}` }),
    ctx.pipeline({ code: floodWaveWgsl(wg, nbs), label: `watershed.wave${connectivity}` }),
    ctx.pipeline({ code: ctlCode, label: 'watershed.control' }),
    ctx.pipeline({ code: ctlCode, entryPoint: 'prepare', label: 'watershed.prepare' }),
  ]);
  const plane = nx * ny;
  // The frontier lists hold 2 words per voxel, the other buffers 1.
  const slabs = planHaloSlabs(shape, 1, ctx.maxBindingElements(8), where);
  const st: GpuWatershedStats = { slabs: slabs.length, waves: 0, batches: 0, rounds: 0 };
  const states: SlabState[] = [];
  const out = new Uint32Array(total);
  const release = (x: Partial<SlabState>) => {
    for (const b of [x.key, x.labels, x.stamp, x.anc1, x.anc2, x.pidx, x.lists, x.ctl, x.u]) if (b) ctx.release(b);
    x.args?.destroy();
  };
  try {
    for (const s of slabs) {
      const n = (s.h1 - s.h0) * plane;
      const bytes = n * 4;
      const lo = s.h0 * plane;
      const sized = (buf: GPUBuffer, size = bytes) => ({ buffer: buf, size });
      const x = {
        s,
        n,
        key: ctx.storage(bytes, 'watershed.key'),
        labels: ctx.storage(bytes, 'watershed.labels'),
        stamp: ctx.storage(bytes, 'watershed.stamp'),
        anc1: ctx.storage(bytes, 'watershed.anc1'),
        anc2: ctx.storage(bytes, 'watershed.anc2'),
        pidx: ctx.storage(bytes, 'watershed.pidx'),
        lists: ctx.storage(2 * bytes, 'watershed.lists'),
        ctl: ctx.storage(CTL_WORDS * 4, 'watershed.ctl'),
        args: ctx.device.createBuffer({ size: 16, usage: GPUBufferUsage.INDIRECT | GPUBufferUsage.STORAGE, label: 'watershed.args' }),
        u: ctx.uniform(floodUniform(nx, ny, s.h1 - s.h0, s.z0 - s.h0, s.z1 - s.h0, lo), 'watershed.params'),
      } as SlabState;
      states.push(x);
      const ctlB = sized(x.ctl, CTL_WORDS * 4);
      const argsB = sized(x.args, 16);
      x.rebuild = ctx.bindGroup(rebuildPipe, [sized(x.key), sized(x.labels), sized(x.stamp), ctlB, sized(x.lists, 2 * bytes), x.u]);
      x.wave = ctx.bindGroup(wavePipe, [
        sized(x.key), sized(x.labels), sized(x.stamp), sized(x.anc1), sized(x.anc2), sized(x.pidx), ctlB, sized(x.lists, 2 * bytes), x.u,
      ]);
      x.control = ctx.bindGroup(ctlPipe, [ctlB, argsB]);
      x.prepare = ctx.bindGroup(prepPipe, [ctlB, argsB]);
      const img = ctx.upload(image.subarray(lo, lo + n), 'watershed.image');
      const mk = ctx.upload(m.subarray(lo, lo + n), 'watershed.mask');
      const mr = ctx.upload(markers.subarray(lo, lo + n), 'watershed.markers');
      try {
        const enc = ctx.device.createCommandEncoder({ label: 'watershed.clear' });
        enc.clearBuffer(x.anc1, 0, bytes);
        enc.clearBuffer(x.anc2, 0, bytes);
        ctx.device.queue.submit([enc.finish()]);
        await ctx.run('watershed.init', [
          {
            pipeline: initPipe,
            bindGroup: ctx.bindGroup(initPipe, [sized(img), sized(mk, Math.ceil(n / 4) * 4), sized(mr), sized(x.key), sized(x.labels), sized(x.stamp), sized(x.pidx), x.u]),
            workgroups: ctx.grid(n, wg),
          },
        ]);
      } finally {
        ctx.release(img, mk, mr);
      }
    }

    /** Rebuilds the slab's frontier, then runs batches of waves until its control says done. */
    const flood = async (x: SlabState, level: number, wave: number, auto: boolean): Promise<Uint32Array> => {
      const c0 = new Uint32Array(CTL_WORDS);
      c0.set([level, 0, NO_KEY, 0, wave, 0, auto ? 1 : 0, NO_KEY, 0, 0, 0]);
      ctx.write(x.ctl, c0);
      await ctx.run('watershed.rebuild', [
        { pipeline: rebuildPipe, bindGroup: x.rebuild, workgroups: ctx.grid(x.n, wg) },
        { pipeline: prepPipe, bindGroup: x.prepare, workgroups: [1, 1, 1] },
      ]);
      let waves = auto ? 32 : 8;
      for (;;) {
        await runWaves(ctx, wavePipe, ctlPipe, x, waves);
        st.batches++;
        const c = new Uint32Array(await ctx.read(x.ctl, 0, CTL_WORDS * 4, 'watershed.ctl.read'));
        if (c[CTL.done] !== 0) return c;
        waves = Math.min(512, waves * 2);
      }
    };

    if (states.length === 1) {
      const c = await flood(states[0], 0, 1, true);
      st.waves = c[CTL.wave] - 1;
      st.rounds = 1;
    } else {
      let level = 0;
      let wave = 1;
      for (;;) {
        let changed = false;
        let next = NO_KEY;
        let maxWave = wave;
        for (const x of states) {
          const c = await flood(x, level, wave, false);
          if (c[CTL.changedWaves] > 0) changed = true;
          next = Math.min(next, c[CTL.next]);
          maxWave = Math.max(maxWave, c[CTL.wave]);
          st.waves += c[CTL.wave] - wave;
        }
        st.rounds++;
        wave = maxWave;
        if (changed) {
          exchangeHalos(ctx, states, plane);
          continue;
        }
        if (next === NO_KEY) break;
        level = next;
      }
    }
    for (const x of states) {
      const own = (x.s.z1 - x.s.z0) * plane;
      const res = new Uint32Array(await ctx.read(x.labels, (x.s.z0 - x.s.h0) * plane * 4, own * 4, 'watershed.read'));
      out.set(res, x.s.z0 * plane);
    }
  } finally {
    for (const x of states) release(x);
  }
  if (stats) Object.assign(stats, st);
  return out;
}

/** Encodes `waves` × (indirect wave, control) in one compute pass; errors as `ctx.run`. */
async function runWaves(ctx: GpuContext, wavePipe: GPUComputePipeline, ctlPipe: GPUComputePipeline, x: SlabState, waves: number): Promise<void> {
  const label = 'watershed.waves';
  ctx.assertAlive(label);
  const device = ctx.device;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const enc = device.createCommandEncoder({ label });
  const pass = enc.beginComputePass({ label });
  for (let k = 0; k < waves; k++) {
    pass.setPipeline(wavePipe);
    pass.setBindGroup(0, x.wave);
    pass.dispatchWorkgroupsIndirect(x.args, 0);
    pass.setPipeline(ctlPipe);
    pass.setBindGroup(0, x.control);
    pass.dispatchWorkgroups(1);
  }
  pass.end();
  device.queue.submit([enc.finish()]);
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  ctx.assertAlive(label);
  if (oom) throw new GpuLimitsError(`out of GPU memory in ${label}: ${oom.message}`, { where: label });
  if (validation) throw new GpuShaderError(`GPU validation failed in ${label}: ${validation.message}`, [validation.message], { where: label });
}

/** Copies each slab's edge planes (labels, stamps, ancestry) into its neighbours' halo planes, on the device. */
function exchangeHalos(ctx: GpuContext, states: SlabState[], plane: number): void {
  const enc = ctx.device.createCommandEncoder({ label: 'watershed.halo' });
  const bytes = plane * 4;
  for (let k = 0; k + 1 < states.length; k++) {
    const lo = states[k];
    const hi = states[k + 1];
    // lo's last own plane → hi's first (halo) plane; hi's first own plane → lo's last (halo) plane.
    const loLastOwn = (lo.s.z1 - 1 - lo.s.h0) * bytes;
    const hiHalo = (lo.s.z1 - 1 - hi.s.h0) * bytes;
    const hiFirstOwn = (hi.s.z0 - hi.s.h0) * bytes;
    const loHalo = (hi.s.z0 - lo.s.h0) * bytes;
    for (const f of ['labels', 'stamp', 'anc1', 'anc2', 'pidx'] as const) {
      enc.copyBufferToBuffer(lo[f], loLastOwn, hi[f], hiHalo, bytes);
      enc.copyBufferToBuffer(hi[f], hiFirstOwn, lo[f], loHalo, bytes);
    }
  }
  ctx.device.queue.submit([enc.finish()]);
}
