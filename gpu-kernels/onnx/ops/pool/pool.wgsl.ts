/**
 * WGSL for MaxPool / AveragePool on N-C-D-H-W (1-D and 2-D run with leading unit axes). One
 * invocation per output element; padding never wins a max; average divides by the number of
 * in-bounds taps, or by the full kernel size with count_include_pad (pads count, ceil-mode
 * overhang past the pads does not, as in onnxruntime).
 */
import { linearHeader } from '../common';

export function poolWgsl(wg: number, max: boolean): string {
  return `struct U {
  inD: u32, inH: u32, inW: u32, nc: u32,
  outD: u32, outH: u32, outW: u32, total: u32,
  kD: u32, kH: u32, kW: u32, includePad: u32,
  sD: u32, sH: u32, sW: u32, _p0: u32,
  dD: u32, dH: u32, dW: u32, _p1: u32,
  pD: i32, pH: i32, pW: i32, _p2: u32,
  eD: i32, eH: i32, eW: i32, _p3: u32,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
${linearHeader(wg, 'u.total')}
  let ox = idx % u.outW;
  let oy = (idx / u.outW) % u.outH;
  let oz = (idx / (u.outW * u.outH)) % u.outD;
  let nc = idx / (u.outW * u.outH * u.outD);
  let base = nc * u.inD * u.inH * u.inW;
  var acc = ${max ? '-3.4028234663852886e38' : '0.0'};
  var cnt = 0u;
  var padCnt = 0u;
  for (var kz = 0u; kz < u.kD; kz++) {
    let iz = i32(oz * u.sD + kz * u.dD) - u.pD;
    for (var ky = 0u; ky < u.kH; ky++) {
      let iy = i32(oy * u.sH + ky * u.dH) - u.pH;
      for (var kx = 0u; kx < u.kW; kx++) {
        let ix = i32(ox * u.sW + kx * u.dW) - u.pW;
        let inPadded = iz < i32(u.inD) + u.eD && iy < i32(u.inH) + u.eH && ix < i32(u.inW) + u.eW;
        if (inPadded) { padCnt++; }
        if (iz < 0 || iy < 0 || ix < 0 || iz >= i32(u.inD) || iy >= i32(u.inH) || ix >= i32(u.inW)) { continue; }
        let v = x[base + (u32(iz) * u.inH + u32(iy)) * u.inW + u32(ix)];
        ${max ? 'acc = max(acc, v);' : 'acc += v;'}
        cnt++;
      }
    }
  }
  ${max ? 'y[idx] = acc;' : 'y[idx] = acc / f32(max(select(cnt, padCnt, u.includePad == 1u), 1u));'}
}`;
}
