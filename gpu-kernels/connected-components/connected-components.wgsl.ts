/**
 * WGSL for GPU connected-component labelling by union-find with pointer jumping
 * (Playne & Hawick 2018). Parents are 1-based voxel indices in `P` (0 = background); a root is its
 * own parent, and a tree is only ever hooked under a smaller root, so every root is the smallest
 * voxel index (first voxel in memory order) of its component.
 *
 * Kernels: init (P = index+1 on foreground), hook (union with each backward neighbour by
 * atomicMin), compress (P = root), check (flag if a neighbour pair still differs), rank (roots get
 * consecutive labels by a per-workgroup scan plus host-scanned block offsets) and finalize (every
 * voxel takes its root's label, in place).
 */
import type { Connectivity } from '../../lib/segmentation/connected-components';
import { backwardNeighbours } from '../../lib/segmentation/connected-components';

/** Uniform: nx, ny, nz, n (voxels). */
export function ccUniform(shape: [number, number, number]): ArrayBuffer {
  return new Uint32Array([shape[0], shape[1], shape[2], shape[0] * shape[1] * shape[2]]).buffer;
}

const header = (wg: number) => /* wgsl */ `
struct Params { nx: u32, ny: u32, nz: u32, n: u32 }
@group(0) @binding(0) var<uniform> U: Params;
const WG: u32 = ${wg}u;
`;

const entry = `@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u)`;

const findFn = `
fn find(x0: u32) -> u32 {
  var x = x0;
  loop {
    let p = atomicLoad(&P[x - 1u]);
    if (p == x) { return x; }
    x = p;
  }
}`;

const neighbourTable = (connectivity: Connectivity) => {
  const nbs = backwardNeighbours(connectivity);
  return `const NNB: u32 = ${nbs.length}u;
const NB = array<vec3i, ${nbs.length}>(${nbs.map(([x, y, z]) => `vec3i(${x}, ${y}, ${z})`).join(', ')});
// Index of neighbour k of voxel (x, y, z), or 0xffffffff when out of bounds.
fn neighbour(x: u32, y: u32, z: u32, k: u32) -> u32 {
  let q = vec3i(i32(x), i32(y), i32(z)) + NB[k];
  if (q.x < 0 || q.y < 0 || q.z < 0 || q.x >= i32(U.nx) || q.y >= i32(U.ny) || q.z >= i32(U.nz)) { return 0xffffffffu; }
  return u32(q.x) + U.nx * (u32(q.y) + U.ny * u32(q.z));
}`;
};

export function ccInitWgsl(wg: number): string {
  return `${header(wg)}
@group(0) @binding(1) var<storage, read> mask: array<u32>;
@group(0) @binding(2) var<storage, read_write> P: array<u32>;
${entry} {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= U.n) { return; }
  let b = (mask[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
  P[i] = select(0u, i + 1u, b != 0u);
}`;
}

export function ccHookWgsl(wg: number, connectivity: Connectivity): string {
  return `${header(wg)}
@group(0) @binding(1) var<storage, read_write> P: array<atomic<u32>>;
${neighbourTable(connectivity)}
${findFn}
fn unite(a0: u32, b0: u32) {
  var a = a0;
  var b = b0;
  loop {
    a = find(a);
    b = find(b);
    if (a == b) { return; }
    if (a < b) { let t = a; a = b; b = t; }
    let old = atomicMin(&P[a - 1u], b);
    if (old == a) { return; }
    a = old;
  }
}
${entry} {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= U.n) { return; }
  if (atomicLoad(&P[i]) == 0u) { return; }
  let x = i % U.nx;
  let y = (i / U.nx) % U.ny;
  let z = i / (U.nx * U.ny);
  for (var k = 0u; k < NNB; k++) {
    let j = neighbour(x, y, z, k);
    if (j == 0xffffffffu) { continue; }
    if (atomicLoad(&P[j]) == 0u) { continue; }
    unite(i + 1u, j + 1u);
  }
}`;
}

export function ccCompressWgsl(wg: number): string {
  return `${header(wg)}
@group(0) @binding(1) var<storage, read_write> P: array<atomic<u32>>;
${findFn}
${entry} {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= U.n) { return; }
  if (atomicLoad(&P[i]) == 0u) { return; }
  atomicStore(&P[i], find(i + 1u));
}`;
}

export function ccCheckWgsl(wg: number, connectivity: Connectivity): string {
  return `${header(wg)}
@group(0) @binding(1) var<storage, read> P: array<u32>;
@group(0) @binding(2) var<storage, read_write> flag: atomic<u32>;
${neighbourTable(connectivity)}
${entry} {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= U.n) { return; }
  let pi = P[i];
  if (pi == 0u) { return; }
  let x = i % U.nx;
  let y = (i / U.nx) % U.ny;
  let z = i / (U.nx * U.ny);
  for (var k = 0u; k < NNB; k++) {
    let j = neighbour(x, y, z, k);
    if (j == 0xffffffffu) { continue; }
    let pj = P[j];
    if (pj != 0u && pj != pi) { atomicStore(&flag, 1u); }
  }
}`;
}

/** Per-workgroup root counts (block b covers voxels [b·WG, (b+1)·WG)). */
export function ccCountWgsl(wg: number): string {
  return `${header(wg)}
@group(0) @binding(1) var<storage, read> P: array<u32>;
@group(0) @binding(2) var<storage, read_write> blocks: array<u32>;
var<workgroup> cnt: atomic<u32>;
${entry} {
  let i = gid.x + gid.y * (nwg.x * WG);
  let block = wid.x + wid.y * nwg.x;
  if (lid.x == 0u) { atomicStore(&cnt, 0u); }
  workgroupBarrier();
  if (i < U.n && P[i] == i + 1u) { atomicAdd(&cnt, 1u); }
  workgroupBarrier();
  if (lid.x == 0u && block * WG < U.n) { blocks[block] = atomicLoad(&cnt); }
}`;
}

/** Roots get label offset[block] + (roots before them in the block) + 1, written to R. */
export function ccRankWgsl(wg: number): string {
  return `${header(wg)}
@group(0) @binding(1) var<storage, read> P: array<u32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> R: array<u32>;
var<workgroup> scan: array<u32, WG>;
${entry} {
  let i = gid.x + gid.y * (nwg.x * WG);
  let block = wid.x + wid.y * nwg.x;
  let isRoot = i < U.n && P[i] == i + 1u;
  scan[lid.x] = select(0u, 1u, isRoot);
  workgroupBarrier();
  // Hillis–Steele inclusive scan.
  for (var s = 1u; s < WG; s = s << 1u) {
    var v = 0u;
    if (lid.x >= s) { v = scan[lid.x - s]; }
    workgroupBarrier();
    scan[lid.x] = scan[lid.x] + v;
    workgroupBarrier();
  }
  if (isRoot) { R[i] = offsets[block] + scan[lid.x]; }
}`;
}

/** In place: every foreground voxel takes its root's label; background 0. */
export function ccFinalizeWgsl(wg: number): string {
  return `${header(wg)}
@group(0) @binding(1) var<storage, read> P: array<u32>;
@group(0) @binding(2) var<storage, read_write> R: array<u32>;
${entry} {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= U.n) { return; }
  let p = P[i];
  if (p == 0u) { R[i] = 0u; return; }
  if (p != i + 1u) { R[i] = R[p - 1u]; }
}`;
}
