/**
 * WGSL for the level-synchronous marker flood (see watershed.ts for the algorithm).
 *
 * Buffers (one set per z-slab; a slab holds `planes` xy planes, of which [p0, p1) are its own and
 * the rest halo planes copied from the neighbouring slabs):
 *   key    u32 order-preserving key of the image value (0xffffffff = outside the mask),
 *   labels u32, updated in place (race-free, see floodWaveWgsl),
 *   stamp  atomic u32: labelled voxels the wave that labelled them (markers 0); unlabelled ones
 *          IN_LIST (in the frontier list) or NOT_IN_LIST,
 *   anc1, anc2, pidx  the rest of a labelled voxel's push age (see floodWaveWgsl),
 *   lists  two halves of `n` u32: the frontier (unlabelled mask voxels of the own planes with a
 *          labelled neighbour) read by a wave from half `parity`, written to the other half,
 *   ctl    atomic u32 control words (CTL), args  indirect dispatch size of the next wave.
 */
import type { Vec3 } from '../../lib/volume';

export const NO_KEY = 0xffffffff;
export const NOT_IN_LIST = 0xffffffff;
export const IN_LIST = 0xfffffffe;
export const CTL = {
  level: 0,
  changed: 1,
  next: 2,
  done: 3,
  wave: 4,
  changedWaves: 5,
  auto: 6,
  lower: 7,
  listCount: 8,
  newCount: 9,
  parity: 10,
} as const;
export const CTL_WORDS = 16;

/** Uniform: nx, ny, planes held, own planes [p0, p1), voxels held, global index of voxel 0. */
export function floodUniform(nx: number, ny: number, planes: number, p0: number, p1: number, globalOffset: number): ArrayBuffer {
  return new Uint32Array([nx, ny, planes, p0, p1, nx * ny * planes, globalOffset, 0]).buffer;
}

const PARAMS = 'struct Params { nx: u32, ny: u32, planes: u32, p0: u32, p1: u32, n: u32, q0: u32, q1: u32 }';

/**
 * A loop over the neighbour offsets (in the twin's order) with bounds checks on the held planes;
 * `body` sees the neighbour index `j` and the loop index `k`. Loops, not unrolled code: the
 * 26-neighbour kernels stay small, which keeps shader compilation fast on software drivers.
 */
function neighbourLoop(body: string): string {
  return `  for (var k = 0u; k < NN; k++) {
    let o = OFFS[k];
    let xx = i32(x) + o.x;
    let yy = i32(y) + o.y;
    let zz = i32(z) + o.z;
    if (xx < 0 || yy < 0 || zz < 0 || xx >= i32(P.nx) || yy >= i32(P.ny) || zz >= i32(P.planes)) { continue; }
    let j = u32(xx) + P.nx * (u32(yy) + P.ny * u32(zz));
    ${body}
  }`;
}

/** WGSL constants: NN, OFFS (offsets) and BACK (index of the opposite offset: the direction from the pusher). */
function neighbourTables(neighbours: Vec3[]): string {
  const back = neighbours.map(([dx, dy, dz]) => neighbours.findIndex((q) => q[0] === -dx && q[1] === -dy && q[2] === -dz));
  return `const NN: u32 = ${neighbours.length}u;
var<private> OFFS: array<vec3i, ${neighbours.length}> = array<vec3i, ${neighbours.length}>(${neighbours.map((o) => `vec3i(${o.join(', ')})`).join(', ')});
var<private> BACK: array<u32, ${neighbours.length}> = array<u32, ${neighbours.length}>(${back.map((k) => `${k}u`).join(', ')});`;
}

/** key/labels/stamp/pidx (anc1/anc2 cleared by the host) from image (f32), packed u8 mask and markers. */
export function floodInitWgsl(wg: number): string {
  return /* wgsl */ `
${PARAMS}
@group(0) @binding(0) var<storage, read> image: array<f32>;
@group(0) @binding(1) var<storage, read> mask: array<u32>;
@group(0) @binding(2) var<storage, read> markers: array<u32>;
@group(0) @binding(3) var<storage, read_write> key: array<u32>;
@group(0) @binding(4) var<storage, read_write> labels: array<u32>;
@group(0) @binding(5) var<storage, read_write> stamp: array<u32>;
@group(0) @binding(6) var<storage, read_write> pidx: array<u32>;
@group(0) @binding(7) var<uniform> P: Params;

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * ${wg}u);
  if (i >= P.n) { return; }
  let inMask = ((mask[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu) != 0u;
  var bits = bitcast<u32>(image[i]);
  if (bits == 0x80000000u) { bits = 0u; }
  let k = select(bits | 0x80000000u, ~bits, (bits & 0x80000000u) != 0u);
  let l = select(0u, markers[i], inMask);
  key[i] = select(${NO_KEY}u, k, inMask);
  labels[i] = l;
  stamp[i] = select(${NOT_IN_LIST}u, 0u, l != 0u);
  pidx[i] = P.q0 + i; // markers leave the queue in memory order
}
`;
}

/**
 * Rebuilds the frontier list (half `parity`, count `listCount`, both 0 on entry): every unlabelled
 * mask voxel of the own planes with a labelled neighbour (halo planes included); resets the
 * list flags of the others.
 */
export function floodRebuildWgsl(wg: number, neighbours: Vec3[]): string {
  return /* wgsl */ `
${PARAMS}
@group(0) @binding(0) var<storage, read> key: array<u32>;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read_write> stamp: array<u32>;
@group(0) @binding(3) var<storage, read_write> ctl: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> lists: array<u32>;
@group(0) @binding(5) var<uniform> P: Params;
${neighbourTables(neighbours)}

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * ${wg}u);
  let plane = P.nx * P.ny;
  let z = i / plane;
  if (i >= P.n || z < P.p0 || z >= P.p1 || key[i] == ${NO_KEY}u || labels[i] != 0u) { return; }
  let x = i % P.nx;
  let y = (i / P.nx) % P.ny;
  var front = false;
${neighbourLoop('if (labels[j] != 0u) { front = true; break; }')}
  if (front) {
    stamp[i] = ${IN_LIST}u;
    lists[atomicLoad(&ctl[${CTL.parity}]) * P.n + atomicAdd(&ctl[${CTL.listCount}], 1u)] = i;
  } else {
    stamp[i] = ${NOT_IN_LIST}u;
  }
}
`;
}

/**
 * One wave t over the frontier list, in place: a voxel takes the label of its neighbour p that
 * was labelled in an earlier wave (stamp(p) < t) with key(p) ≤ level and popped first in the CPU
 * flood's order. That order is the push age, which is the chain (stamp(p), stamp(pusher),
 * stamp(pusher's pusher), …, then the pushers' directions); it is kept truncated: anc1 = the
 * pusher's and grand-pusher's stamps (16 bits each, saturating), anc2 = the next two (16 + 11
 * bits) and p's direction from its pusher (5 bits), pidx = the pusher's global index (markers:
 * their own index, as markers leave the queue in memory order). Candidates compare by (stamp,
 * anc1, anc2 stamps, pidx, direction, key), then the twin's neighbour order. Labelled neighbours
 * above the level feed `next`. A voxel labelled below the level feeds `lower`.
 * The output list holds the survivors and the newly reached neighbours of voxels labelled now
 * (claimed by compare-exchange of their stamp NOT_IN_LIST → IN_LIST, so each enters once).
 * In place is race-free: a voxel labelled in this wave has stamp t or IN_LIST, both rejected by
 * `stamp < t`; the fields of accepted neighbours were final before the wave.
 */
export function floodWaveWgsl(wg: number, neighbours: Vec3[]): string {
  return /* wgsl */ `
${PARAMS}
@group(0) @binding(0) var<storage, read> key: array<u32>;
@group(0) @binding(1) var<storage, read_write> labels: array<u32>;
@group(0) @binding(2) var<storage, read_write> stamp: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> anc1: array<u32>;
@group(0) @binding(4) var<storage, read_write> anc2: array<u32>;
@group(0) @binding(5) var<storage, read_write> pidx: array<u32>;
@group(0) @binding(6) var<storage, read_write> ctl: array<atomic<u32>>;
@group(0) @binding(7) var<storage, read_write> lists: array<u32>;
@group(0) @binding(8) var<uniform> P: Params;
${neighbourTables(neighbours)}

var<private> level: u32;
var<private> curWave: u32;
var<private> outBase: u32;
var<private> bestLabel: u32;
var<private> bestStamp: u32;
var<private> bestA1: u32;
var<private> bestA2: u32;
var<private> bestKey: u32;
var<private> bestIdx: u32;
var<private> bestDir: u32;
var<private> bestJ: u32;
var<private> nextKey: u32;

fn visit(j: u32, dir: u32) {
  let l = labels[j];
  if (l == 0u) { return; }
  let s = atomicLoad(&stamp[j]);
  if (s >= curWave) { return; }
  let k = key[j];
  if (k > level) {
    nextKey = min(nextKey, k);
    return;
  }
  let a1 = anc1[j];
  let a2 = anc2[j];
  let q = pidx[j];
  var better = bestLabel == 0u || s < bestStamp;
  if (!better && s == bestStamp) {
    let h = a2 >> 5u;
    let bh = bestA2 >> 5u;
    better = a1 < bestA1 || (a1 == bestA1 && (h < bh || (h == bh && (q < bestIdx || (q == bestIdx && ((a2 & 31u) < (bestA2 & 31u) || ((a2 & 31u) == (bestA2 & 31u) && k < bestKey)))))));
  }
  if (better) {
    bestLabel = l;
    bestStamp = s;
    bestA1 = a1;
    bestA2 = a2;
    bestKey = k;
    bestIdx = q;
    bestDir = dir;
    bestJ = j;
  }
}

fn append(i: u32) {
  lists[outBase + atomicAdd(&ctl[${CTL.newCount}], 1u)] = i;
}

/** Adds an unlabelled own-plane mask voxel to the output list unless it is in a list already. */
fn claim(j: u32) {
  let zj = j / (P.nx * P.ny);
  if (zj < P.p0 || zj >= P.p1 || key[j] == ${NO_KEY}u || labels[j] != 0u) { return; }
  loop {
    let r = atomicCompareExchangeWeak(&stamp[j], ${NOT_IN_LIST}u, ${IN_LIST}u);
    if (r.exchanged) { append(j); return; }
    if (r.old_value != ${NOT_IN_LIST}u) { return; }
  }
}

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * (nwg.x * ${wg}u);
  if (t >= atomicLoad(&ctl[${CTL.listCount}]) || atomicLoad(&ctl[${CTL.done}]) != 0u) { return; }
  let par = atomicLoad(&ctl[${CTL.parity}]);
  outBase = (1u - par) * P.n;
  let i = lists[par * P.n + t];
  let plane = P.nx * P.ny;
  let z = i / plane;
  let x = i % P.nx;
  let y = (i / P.nx) % P.ny;
  level = atomicLoad(&ctl[${CTL.level}]);
  curWave = atomicLoad(&ctl[${CTL.wave}]);
  bestLabel = 0u;
  bestStamp = 0u;
  bestA1 = 0u;
  bestA2 = 0u;
  bestKey = 0u;
  bestIdx = 0u;
  bestDir = 0u;
  bestJ = 0u;
  nextKey = ${NO_KEY}u;
${neighbourLoop('visit(j, BACK[k]);')}
  if (bestLabel == 0u) {
    append(i);
    if (nextKey != ${NO_KEY}u) { atomicMin(&ctl[${CTL.next}], nextKey); }
    return;
  }
  anc1[i] = (min(bestStamp, 0xffffu) << 16u) | (bestA1 >> 16u);
  anc2[i] = ((bestA1 & 0xffffu) << 16u) | (min(bestA2 >> 16u, 2047u) << 5u) | bestDir;
  pidx[i] = P.q0 + bestJ;
  labels[i] = bestLabel;
  atomicStore(&stamp[i], curWave);
  atomicOr(&ctl[${CTL.changed}], 1u);
  // A voxel below the level (a basin without marker) is popped at once by the priority flood.
  if (key[i] < level) { atomicMin(&ctl[${CTL.lower}], key[i]); }
${neighbourLoop('claim(j);')}
}
`;
}

const ARGS_FN = (wg: number, maxDim: number) => `
fn writeArgs(count: u32) {
  let groups = (count + ${wg - 1}u) / ${wg}u;
  if (groups <= ${maxDim}u) {
    args[0] = groups;
    args[1] = 1u;
  } else {
    let y = (groups + ${maxDim - 1}u) / ${maxDim}u;
    args[0] = (groups + y - 1u) / y;
    args[1] = y;
  }
  args[2] = 1u;
}`;

/**
 * After each wave: swap the lists, count the wave, size the next wave (indirect args, 0 when
 * done); with no change, advance to `next` (auto) or stop (slab rounds); lower the level into a
 * basin reached below it (auto).
 */
export function floodControlWgsl(wg: number, maxDim: number): string {
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> ctl: array<u32>;
@group(0) @binding(1) var<storage, read_write> args: array<u32>;
${ARGS_FN(wg, maxDim)}

fn step() {
  if (ctl[${CTL.done}] != 0u) { return; }
  ctl[${CTL.listCount}] = ctl[${CTL.newCount}];
  ctl[${CTL.newCount}] = 0u;
  ctl[${CTL.parity}] = 1u - ctl[${CTL.parity}];
  ctl[${CTL.wave}] += 1u;
  if (ctl[${CTL.changed}] != 0u) {
    ctl[${CTL.changedWaves}] += 1u;
    ctl[${CTL.changed}] = 0u;
    ctl[${CTL.next}] = ${NO_KEY}u;
    if (ctl[${CTL.auto}] != 0u) { ctl[${CTL.level}] = min(ctl[${CTL.level}], ctl[${CTL.lower}]); }
    ctl[${CTL.lower}] = ${NO_KEY}u;
    return;
  }
  if (ctl[${CTL.auto}] == 0u) { ctl[${CTL.done}] = 1u; return; }
  let nx = ctl[${CTL.next}];
  if (nx == ${NO_KEY}u) { ctl[${CTL.done}] = 1u; return; }
  ctl[${CTL.level}] = nx;
  ctl[${CTL.next}] = ${NO_KEY}u;
}

@compute @workgroup_size(1)
fn main() {
  step();
  writeArgs(select(ctl[${CTL.listCount}], 0u, ctl[${CTL.done}] != 0u));
}

@compute @workgroup_size(1)
fn prepare() {
  writeArgs(ctl[${CTL.listCount}]);
}
`;
}
