/**
 * WGSL for per-instance statistics by u32 atomics. Each label owns a record of ACC_WORDS words:
 * count, centroid sums x/y/z as exact 64-bit values (lo, hi with carry: a wrapped atomicAdd on lo
 * adds 1 to hi), inclusive bbox min/max, and the first voxel index (for relabel order).
 * The volume can be processed in z-slabs (uniform z0) that accumulate into the same records.
 */
export const ACC_WORDS = 16;
export const F = { count: 0, sx: 1, sy: 3, sz: 5, min: 7, max: 10, first: 13 } as const;

/** Uniform: nx, ny, slab voxels n, z0 (first plane of the slab), label count K. */
export function statsUniform(nx: number, ny: number, n: number, z0: number, k: number): ArrayBuffer {
  return new Uint32Array([nx, ny, n, z0, k, 0, 0, 0]).buffer;
}

export function statsAccumulateWgsl(wg: number): string {
  return /* wgsl */ `
struct Params { nx: u32, ny: u32, n: u32, z0: u32, k: u32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<uniform> U: Params;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read_write> acc: array<atomic<u32>>;
const WG: u32 = ${wg}u;
const W: u32 = ${ACC_WORDS}u;

fn add64(at: u32, v: u32) {
  let old = atomicAdd(&acc[at], v);
  if (old + v < old) { atomicAdd(&acc[at + 1u], 1u); }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= U.n) { return; }
  let l = labels[i];
  if (l == 0u || l > U.k) { return; }
  let x = i % U.nx;
  let y = (i / U.nx) % U.ny;
  let z = i / (U.nx * U.ny) + U.z0;
  let b = l * W;
  atomicAdd(&acc[b + ${F.count}u], 1u);
  add64(b + ${F.sx}u, x);
  add64(b + ${F.sy}u, y);
  add64(b + ${F.sz}u, z);
  atomicMin(&acc[b + ${F.min}u], x);
  atomicMin(&acc[b + ${F.min + 1}u], y);
  atomicMin(&acc[b + ${F.min + 2}u], z);
  atomicMax(&acc[b + ${F.max}u], x);
  atomicMax(&acc[b + ${F.max + 1}u], y);
  atomicMax(&acc[b + ${F.max + 2}u], z);
  atomicMin(&acc[b + ${F.first}u], i + U.z0 * U.nx * U.ny);
}`;
}

/** out[i] = map[labels[i]] (map[0] = 0). */
export function relabelMapWgsl(wg: number): string {
  return /* wgsl */ `
struct Params { nx: u32, ny: u32, n: u32, z0: u32, k: u32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<uniform> U: Params;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read> map: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
const WG: u32 = ${wg}u;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= U.n) { return; }
  out[i] = map[labels[i]];
}`;
}
