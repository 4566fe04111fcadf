/**
 * WGSL for convolutions (N-C-D-H-W; 1-D/2-D run with leading unit axes), f32 accumulation, bias
 * and an optional fused activation.
 *
 * - `convGenericWgsl`: any stride / padding / dilation / group; one invocation computes one output
 *   voxel × 4 output channels of one group (weights repacked as vec4 of 4 output channels).
 * - `convTiledWgsl`: the fast 3-D path (group 1, stride 1, kernel ≤ 7³). A workgroup of TX×TY
 *   invocations computes a TX×TY×VZ tile of output voxels on the *dilation lattice* (voxels
 *   `r + d·i` for a residue r), so the input it needs is a dense (TX+KX−1)×(TY+KY−1)×(VZ+KZ−1)
 *   lattice tile whatever the dilation. Input tiles (+ halo) for ICB input channels at a time are
 *   staged in workgroup memory; each invocation keeps VZ × OCB scalar accumulators (several output
 *   voxels along z × several output channels) and reuses every loaded input column over the KZ taps.
 * - `convTransposeWgsl`: ConvTranspose (any stride / padding / dilation / group), one invocation
 *   per output element.
 *
 * f16 variants (`f16: true`, need `shader-f16`): weights are stored as f16 (per output channel
 * scaled by a power of two so the channel's largest |w| is ≤ 1; the scale is applied to the f32
 * sum), the input values are rounded to f16 (clamped to ±65504) — in the tiled kernel the
 * workgroup tile is f16, half the bytes — and each product of two f16 values is formed in f32
 * (exact: 11 × 11 significant bits) and accumulated in f32. Bias and activation are f32; the
 * activations in global memory stay f32. Error per output ≤ (2u + u²)·Σ|x·w|, u = 2⁻¹¹.
 */
import type { ActKind } from '../../graph';
import { actDynamicWgsl, actWgsl } from '../elementwise/elementwise.wgsl';
import { F16_MAX, linearHeader } from '../common';

export function convGenericWgsl(wg: number, act: ActKind, f16 = false): string {
  const xv = f16 ? `f32(f16(clamp(x[row + u32(ix)], -${F16_MAX}.0, ${F16_MAX}.0)))` : 'x[row + u32(ix)]';
  const wv = f16 ? 'vec4f(W[wr + kx])' : 'W[wr + kx]';
  return `${f16 ? 'enable f16;\n' : ''}struct U {
  inS: vec3u, cin: u32,
  outS: vec3u, cout: u32,
  k: vec3u, group: u32,
  s: vec3u, icg: u32,
  d: vec3u, ocg: u32,
  p: vec3i, ocb: u32,
  total: u32, _p: u32, alpha: f32, beta: f32,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<${f16 ? 'vec4<f16>' : 'vec4f'}>;
@group(0) @binding(2) var<storage, read> B: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> u: U;
${actWgsl(act)}
${linearHeader(wg, 'u.total')}
  let sp = u.outS.x * u.outS.y * u.outS.z;
  let vox = idx % sp;
  let rest = idx / sp;
  let blk = rest % (u.group * u.ocb);
  let nb = rest / (u.group * u.ocb);
  let g = blk / u.ocb;
  let ox = vox % u.outS.z;
  let oy = (vox / u.outS.z) % u.outS.y;
  let oz = vox / (u.outS.z * u.outS.y);
  let kvol = u.k.x * u.k.y * u.k.z;
  let inVol = u.inS.x * u.inS.y * u.inS.z;
  var acc = vec4f(0.0);
  for (var ic = 0u; ic < u.icg; ic++) {
    let xb = (nb * u.cin + g * u.icg + ic) * inVol;
    let wb = (blk * u.icg + ic) * kvol;
    for (var kz = 0u; kz < u.k.x; kz++) {
      let iz = i32(oz * u.s.x + kz * u.d.x) - u.p.x;
      if (iz < 0 || iz >= i32(u.inS.x)) { continue; }
      for (var ky = 0u; ky < u.k.y; ky++) {
        let iy = i32(oy * u.s.y + ky * u.d.y) - u.p.y;
        if (iy < 0 || iy >= i32(u.inS.y)) { continue; }
        let row = xb + (u32(iz) * u.inS.y + u32(iy)) * u.inS.z;
        let wr = wb + (kz * u.k.y + ky) * u.k.z;
        for (var kx = 0u; kx < u.k.z; kx++) {
          let ix = i32(ox * u.s.z + kx * u.d.z) - u.p.z;
          if (ix < 0 || ix >= i32(u.inS.z)) { continue; }
          acc += ${xv} * ${wv};
        }
      }
    }
  }
  ${f16 ? 'acc = acc * B[u.group * u.ocb + blk] + B[blk]; // f16 weight scale, then bias' : 'acc += B[blk];'}
  let ob = blk % u.ocb;
  for (var j = 0u; j < 4u; j++) {
    let ocl = ob * 4u + j;
    if (ocl < u.ocg) {
      y[(nb * u.cout + g * u.ocg + ocl) * sp + vox] = act(acc[j], u.alpha, u.beta);
    }
  }
}`;
}

export interface TiledSpec {
  tx: number; ty: number; vz: number;
  kz: number; ky: number; kx: number;
  /** Input channels staged per barrier pair; output channels per invocation. */
  icb: number; ocb: number;
  /** f16 weights and workgroup tile (needs shader-f16), f32 accumulation. */
  f16?: boolean;
}

/**
 * The tiled kernel is generated unrolled over the OCB output channels (accumulators `a<o>`, a
 * vec4 over the VZ ≤ 4 voxels along z; loops over taps and input channels): on SIMD-across-invocations implementations (lavapipe, SwiftShader)
 * and on GPUs alike this keeps accumulators in registers and wastes no lanes on padded channels.
 * Weights are packed [outGroup][cinP][tap][ocb].
 */
export function convTiledWgsl(t: TiledSpec): string {
  const txi = t.tx + t.kx - 1, tyi = t.ty + t.ky - 1, tzi = t.vz + t.kz - 1;
  const tile = txi * tyi * tzi;
  const wgN = t.tx * t.ty;
  const kvol = t.kx * t.ky * t.kz;
  const L: string[] = [];
  for (let o = 0; o < t.ocb; o++) L.push(`  var a${o} = vec4f(0.0);`);
  const decl = L.join('\n');
  const h = t.f16 === true;
  const zs = [0, 1, 2, 3].map((v) => (v < t.vz ? `sh[sb + ${v * tyi * txi}u]` : (h ? 'f16(0.0)' : '0.0')));
  const body: string[] = [h ? `          let cv = vec4f(vec4<f16>(${zs.join(', ')}));` : `          let cv = vec4f(${zs.join(', ')});`];
  for (let o = 0; o < t.ocb; o++) body.push(h ? `          a${o} += cv * f32(W[wt + ${o}u]);` : `          a${o} += cv * W[wt + ${o}u];`);
  // f16: B holds the biases, then the per-channel weight scales (at nOG·OCB)
  const sum = (o: number, v: number) => (h ? `a${o}[${v}] * B[u.nOG * OCB + oc0 + ${o}u]` : `a${o}[${v}]`);
  const store: string[] = [];
  for (let v = 0; v < t.vz; v++) {
    store.push(`  { let oz = rz + u.dil.x * (bz * VZ + ${v}u);`);
    store.push(`    if (oz < u.outS.x) { let vox = (oz * u.outS.y + oy) * u.outS.z + ox;`);
    for (let o = 0; o < t.ocb; o++) {
      store.push(`      if (oc0 + ${o}u < u.cout) { y[(n * u.cout + oc0 + ${o}u) * sp + vox] = act(${sum(o, v)} + B[oc0 + ${o}u], u.alpha, u.beta); }`);
    }
    store.push(`    } }`);
  }
  return `${h ? 'enable f16;\n' : ''}struct U {
  inS: vec3u, cin: u32,
  outS: vec3u, cout: u32,
  dil: vec3u, nOG: u32,
  pad: vec3i, n: u32,
  nb: vec3u, cinP: u32,
  rc: vec3u, act: u32,
  alpha: f32, beta: f32, icb: u32, _p2: u32,
}
const TX = ${t.tx}u;
const TY = ${t.ty}u;
const VZ = ${t.vz}u;
const TXI = ${txi}u;
const TYI = ${tyi}u;
const TILE = ${tile}u;
const ICB = ${t.icb}u;
const OCB = ${t.ocb}u;
const KX = ${t.kx}u;
const KY = ${t.ky}u;
const KZ = ${t.kz}u;
const KVOL = ${kvol}u;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<${h ? 'f16' : 'f32'}>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> u: U;
var<workgroup> sh: array<${h ? 'f16' : 'f32'}, ${t.icb * tile}>;
${actDynamicWgsl('u.act')}
@compute @workgroup_size(${t.tx}, ${t.ty}, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let rx = wid.x % u.rc.z;
  let bx = wid.x / u.rc.z;
  let ry = wid.y % u.rc.y;
  let by = wid.y / u.rc.y;
  let rz = wid.z % u.rc.x;
  var t = wid.z / u.rc.x;
  let bz = t % u.nb.x;
  t = t / u.nb.x;
  let og = t % u.nOG;
  let n = t / u.nOG;
  let oc0 = og * OCB;
  // origin of the input lattice tile (may be negative: zero padding)
  let x0 = i32(rx) - u.pad.z + i32(u.dil.z * bx * TX);
  let y0 = i32(ry) - u.pad.y + i32(u.dil.y * by * TY);
  let z0 = i32(rz) - u.pad.x + i32(u.dil.x * bz * VZ);
  let inVol = u.inS.x * u.inS.y * u.inS.z;
${decl}
  for (var ic0 = 0u; ic0 < u.cin; ic0 += ICB) {
    workgroupBarrier();
    for (var e = li; e < ICB * TILE; e += ${wgN}u) {
      let c = e / TILE;
      let r = e % TILE;
      let jz = r / (TYI * TXI);
      let jy = (r / TXI) % TYI;
      let jx = r % TXI;
      let iz = z0 + i32(jz * u.dil.x);
      let iy = y0 + i32(jy * u.dil.y);
      let ix = x0 + i32(jx * u.dil.z);
      var v = 0.0;
      if (ic0 + c < u.cin && iz >= 0 && iy >= 0 && ix >= 0 && iz < i32(u.inS.x) && iy < i32(u.inS.y) && ix < i32(u.inS.z)) {
        v = x[(n * u.cin + ic0 + c) * inVol + (u32(iz) * u.inS.y + u32(iy)) * u.inS.z + u32(ix)];
      }
      sh[e] = ${h ? `f16(clamp(v, -${F16_MAX}.0, ${F16_MAX}.0))` : 'v'};
    }
    workgroupBarrier();
    for (var c = 0u; c < ICB; c++) {
      let wb = ((og * u.cinP + ic0 + c) * KVOL) * OCB;
      for (var kz = 0u; kz < KZ; kz++) {
        for (var ky = 0u; ky < KY; ky++) {
          for (var kx = 0u; kx < KX; kx++) {
          let sb = c * TILE + (kz * TYI + lid.y + ky) * TXI + lid.x + kx;
          let wt = wb + ((kz * KY + ky) * KX + kx) * OCB;
${body.join('\n')}
          }
        }
      }
    }
  }
  let ox = rx + u.dil.z * (bx * TX + lid.x);
  let oy = ry + u.dil.y * (by * TY + lid.y);
  if (ox >= u.outS.z || oy >= u.outS.y) { return; }
  let sp = u.outS.x * u.outS.y * u.outS.z;
${store.join('\n')}
}`;
}

export function convTransposeWgsl(wg: number, act: ActKind): string {
  return `struct U {
  inS: vec3u, cin: u32,
  outS: vec3u, cout: u32,
  k: vec3u, group: u32,
  s: vec3u, icg: u32,
  d: vec3u, ocg: u32,
  p: vec3i, total: u32,
  alpha: f32, beta: f32, _p0: u32, _p1: u32,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> u: U;
${actWgsl(act)}
${linearHeader(wg, 'u.total')}
  let sp = u.outS.x * u.outS.y * u.outS.z;
  let vox = idx % sp;
  let oc = (idx / sp) % u.cout;
  let nb = idx / (sp * u.cout);
  let g = oc / u.ocg;
  let ocl = oc % u.ocg;
  let ox = i32(vox % u.outS.z);
  let oy = i32((vox / u.outS.z) % u.outS.y);
  let oz = i32(vox / (u.outS.z * u.outS.y));
  let kvol = u.k.x * u.k.y * u.k.z;
  let inVol = u.inS.x * u.inS.y * u.inS.z;
  var acc = 0.0;
  for (var icl = 0u; icl < u.icg; icl++) {
    let ic = g * u.icg + icl;
    let xb = (nb * u.cin + ic) * inVol;
    let wb = (ic * u.ocg + ocl) * kvol;
    for (var kz = 0u; kz < u.k.x; kz++) {
      let tz = oz + u.p.x - i32(kz * u.d.x);
      if (tz < 0 || tz % i32(u.s.x) != 0) { continue; }
      let iz = u32(tz) / u.s.x;
      if (iz >= u.inS.x) { continue; }
      for (var ky = 0u; ky < u.k.y; ky++) {
        let ty = oy + u.p.y - i32(ky * u.d.y);
        if (ty < 0 || ty % i32(u.s.y) != 0) { continue; }
        let iy = u32(ty) / u.s.y;
        if (iy >= u.inS.y) { continue; }
        for (var kx = 0u; kx < u.k.z; kx++) {
          let tx = ox + u.p.z - i32(kx * u.d.z);
          if (tx < 0 || tx % i32(u.s.z) != 0) { continue; }
          let ix = u32(tx) / u.s.z;
          if (ix >= u.inS.z) { continue; }
          acc += x[xb + (iz * u.inS.y + iy) * u.inS.z + ix] * W[wb + (kz * u.k.y + ky) * u.k.z + kx];
        }
      }
    }
  }
  y[idx] = act(acc + B[oc], u.alpha, u.beta);
}`;
}
