/**
 * Voxel → world transforms of a NIfTI header and orientation codes.
 *
 * - `quaternionToAffine`: NIfTI "method 2" (qform): R(b, c, d) · diag(dx, dy, qfac·dz) + offset, with
 *   a = sqrt(1 - b² - c² - d²) (nifti1_io `quatern_to_mat44`).
 * - `affineToQuaternion`: the inverse used by the writer (nifti1_io `mat44_to_quatern`), working on
 *   the nearest orthogonal matrix so that slightly sheared affines still give a rotation.
 * - `axisCodes`: nibabel `aff2axcodes` (via `io_orientation`): polar decomposition of the
 *   column-normalised 3×3 part, then each voxel axis in turn takes the world axis with the largest
 *   |component| that no earlier axis took.
 */
import { ArgumentError } from '../../errors';
import type { Affine, Vec3 } from '../../volume';
import type { NiftiHeader } from './types';

type M3 = [Vec3, Vec3, Vec3];

function det3(m: M3): number {
  return (
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
  );
}

/** Inverse transpose of a 3×3 matrix (the cofactor matrix over the determinant). */
function invTranspose3(m: M3, det: number): M3 {
  const c = (r0: number, c0: number, r1: number, c1: number) => m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
  return [
    [c(1, 1, 2, 2) / det, -c(1, 0, 2, 2) / det, c(1, 0, 2, 1) / det],
    [-c(0, 1, 2, 2) / det, c(0, 0, 2, 2) / det, -c(0, 0, 2, 1) / det],
    [c(0, 1, 1, 2) / det, -c(0, 0, 1, 2) / det, c(0, 0, 1, 1) / det],
  ];
}

/**
 * Orthogonal polar factor of a non-singular 3×3 matrix (the closest orthogonal matrix, as
 * P·Qᵀ from its SVD), by Newton iteration X ← (X + X⁻ᵀ)/2. Returns null when singular.
 */
export function orthogonalPolar(m: M3): M3 | null {
  let x: M3 = [[...m[0]], [...m[1]], [...m[2]]];
  for (let iter = 0; iter < 100; iter++) {
    const d = det3(x);
    if (!Number.isFinite(d) || Math.abs(d) < 1e-12) return null;
    const it = invTranspose3(x, d);
    let change = 0;
    const next = x.map((row, i) => row.map((v, j) => 0.5 * (v + it[i][j]))) as M3;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) change = Math.max(change, Math.abs(next[i][j] - x[i][j]));
    x = next;
    if (change < 1e-15) break;
  }
  return x;
}

function columnNorms(m: M3): Vec3 {
  return [0, 1, 2].map((j) => Math.hypot(m[0][j], m[1][j], m[2][j])) as Vec3;
}

/** The 3×3 rotation-zoom part of an affine. */
function rzs(a: Affine): M3 {
  return [
    [a[0][0], a[0][1], a[0][2]],
    [a[1][0], a[1][1], a[1][2]],
    [a[2][0], a[2][1], a[2][2]],
  ];
}

/**
 * Qform affine from quaternion parameters. `zooms` are voxel sizes (non-positive ones count as 1,
 * as in nifti1_io); `qfac` is -1 when pixdim[0] < 0, else 1.
 */
export function quaternionToAffine(b: number, c: number, d: number, offset: Vec3, zooms: Vec3, qfac: number): Affine {
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    // Not a unit quaternion: normalise (b, c, d) and use a 180° rotation, as nifti1_io does.
    const s = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= s;
    c *= s;
    d *= s;
    a = 0;
  } else {
    a = Math.sqrt(a);
  }
  const [dx, dy, dz0] = zooms.map((z) => (z > 0 ? z : 1));
  const dz = qfac < 0 ? -dz0 : dz0;
  return [
    [(a * a + b * b - c * c - d * d) * dx, 2 * (b * c - a * d) * dy, 2 * (b * d + a * c) * dz, offset[0]],
    [2 * (b * c + a * d) * dx, (a * a + c * c - b * b - d * d) * dy, 2 * (c * d - a * b) * dz, offset[1]],
    [2 * (b * d - a * c) * dx, 2 * (c * d + a * b) * dy, (a * a + d * d - c * c - b * b) * dz, offset[2]],
    [0, 0, 0, 1],
  ];
}

/**
 * Quaternion parameters (b, c, d), qfac and offset that encode the rotation of `affine`.
 * Throws ArgumentError when the 3×3 part is singular or not finite.
 */
export function affineToQuaternion(affine: Affine, where = 'affine'): { b: number; c: number; d: number; qfac: 1 | -1; offset: Vec3 } {
  const m = rzs(affine);
  const zooms = columnNorms(m);
  const det = det3(m);
  if (!Number.isFinite(det) || zooms.some((z) => z === 0) || Math.abs(det) < 1e-12 * zooms[0] * zooms[1] * zooms[2]) {
    throw new ArgumentError('affine has a singular or non-finite 3×3 part, so no qform can encode it', {
      where,
      hint: 'Give an affine whose first three columns are linearly independent (non-zero voxel sizes).',
    });
  }
  const qfac: 1 | -1 = det < 0 ? -1 : 1;
  const r = m.map((row) => row.map((v, j) => (v / zooms[j]) * (j === 2 ? qfac : 1))) as M3;
  const p = orthogonalPolar(r) ?? r;
  const [[r11, r12, r13], [r21, r22, r23], [r31, r32, r33]] = p;
  let a = r11 + r22 + r33 + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac, offset: [affine[0][3], affine[1][3], affine[2][3]] };
}

/** Axis codes ('RAS', 'LIA', ...) of an affine, nibabel `aff2axcodes` semantics; '?' for a degenerate axis. */
export function axisCodes(affine: Affine): string {
  const m = rzs(affine);
  const zooms = columnNorms(m).map((z) => (z === 0 ? 1 : z));
  const rs = m.map((row) => row.map((v, j) => v / zooms[j])) as M3;
  const r = orthogonalPolar(rs) ?? rs;
  const labels: [string, string][] = [
    ['R', 'L'],
    ['A', 'P'],
    ['S', 'I'],
  ];
  let codes = '';
  for (let j = 0; j < 3; j++) {
    let best = -1;
    let bestAbs = 1e-8;
    for (let i = 0; i < 3; i++) {
      if (Math.abs(r[i][j]) > bestAbs) {
        bestAbs = Math.abs(r[i][j]);
        best = i;
      }
    }
    if (best < 0) {
      codes += '?';
      continue;
    }
    codes += r[best][j] > 0 ? labels[best][0] : labels[best][1];
    r[best] = [0, 0, 0];
  }
  return codes;
}

/** Voxel sizes the reader reports: |pixdim[1..3]|, with 1 for a missing, zero or non-finite entry. */
export function headerSpacing(h: NiftiHeader): Vec3 {
  return [1, 2, 3].map((i) => {
    const p = Math.abs(h.pixdim[i]);
    return i <= h.dim[0] && Number.isFinite(p) && p > 0 ? p : 1;
  }) as Vec3;
}

/**
 * The header's voxel → world affine: sform when sform_code > 0, else qform when qform_code > 0,
 * else diag(spacing) with zero origin (NIfTI "method 1").
 */
export function headerAffine(h: NiftiHeader): { affine: Affine; source: 'sform' | 'qform' | 'pixdim' } {
  if (h.sform_code > 0) {
    return { affine: [[...h.srow_x], [...h.srow_y], [...h.srow_z], [0, 0, 0, 1]] as Affine, source: 'sform' };
  }
  const spacing = headerSpacing(h);
  if (h.qform_code > 0) {
    const qfac = h.pixdim[0] < 0 ? -1 : 1;
    const offset: Vec3 = [h.qoffset_x, h.qoffset_y, h.qoffset_z];
    return { affine: quaternionToAffine(h.quatern_b, h.quatern_c, h.quatern_d, offset, spacing, qfac), source: 'qform' };
  }
  return {
    affine: [
      [spacing[0], 0, 0, 0],
      [0, spacing[1], 0, 0],
      [0, 0, spacing[2], 0],
      [0, 0, 0, 1],
    ],
    source: 'pixdim',
  };
}

/** Spatial units name from xyzt_units: 'm', 'mm', 'um', or undefined when unknown. */
export function spatialUnits(xyztUnits: number): string | undefined {
  switch (xyztUnits & 0x07) {
    case 1:
      return 'm';
    case 2:
      return 'mm';
    case 3:
      return 'um';
    default:
      return undefined;
  }
}

/** xyzt_units spatial code for a units name ('m', 'mm', 'um' or 'µm'); 0 for undefined. */
export function spatialUnitsCode(units: string | undefined, where = 'volume.units'): number {
  if (units === undefined || units === '' || units === 'unknown') return 0;
  const code = { m: 1, mm: 2, um: 3, 'µm': 3, 'μm': 3, micron: 3 }[units];
  if (code === undefined) {
    throw new ArgumentError(`units '${units}' cannot be stored in a NIfTI header`, {
      where,
      hint: "Use 'm', 'mm' or 'um' (or leave units undefined).",
    });
  }
  return code;
}
