/**
 * Voxel ↔ world conversions through a row-major 4×4 affine (NIfTI's sform/qform convention:
 * world = A · [i, j, k, 1]ᵀ). Pure helpers used by the viewer to place NiiVue's crosshair on an
 * instance centroid given in the file's own voxel indices.
 */
export type Vec3 = [number, number, number];
export type Mat4 = number[][];

export function voxelToWorld(affine: Mat4, v: ArrayLike<number>): Vec3 {
  const out: Vec3 = [0, 0, 0];
  for (let r = 0; r < 3; r++) {
    out[r] = affine[r][0] * v[0] + affine[r][1] * v[1] + affine[r][2] * v[2] + affine[r][3];
  }
  return out;
}

/** Inverse of a 4×4 matrix (Gauss–Jordan with partial pivoting). Throws when singular. */
export function invert4(m: Mat4): Mat4 {
  const a = m.map((row, i) => [...row.slice(0, 4), ...[0, 1, 2, 3].map((j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < 4; col++) {
    let piv = col;
    for (let r = col + 1; r < 4; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
    if (Math.abs(a[piv][col]) < 1e-12) throw new Error('affine is singular');
    [a[col], a[piv]] = [a[piv], a[col]];
    const p = a[col][col];
    for (let j = 0; j < 8; j++) a[col][j] /= p;
    for (let r = 0; r < 4; r++) {
      if (r === col) continue;
      const f = a[r][col];
      if (f !== 0) for (let j = 0; j < 8; j++) a[r][j] -= f * a[col][j];
    }
  }
  return a.map((row) => row.slice(4));
}

export function worldToVoxel(affine: Mat4, w: ArrayLike<number>): Vec3 {
  return voxelToWorld(invert4(affine), w);
}

/** Formats a vector with `digits` decimals: "12.3, 4.0, 7.5". */
export function fmtVec(v: ArrayLike<number> | null | undefined, digits = 1): string {
  if (!v) return '';
  return Array.from(v as ArrayLike<number>)
    .map((x) => (Number.isFinite(x) ? x.toFixed(digits) : String(x)))
    .join(', ');
}
