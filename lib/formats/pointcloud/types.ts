/** The one in-memory point cloud type every point-cloud reader returns. */

export type Vec3Tuple = [number, number, number];

export interface PointCloud {
  /** xyz interleaved, length 3·count. Invalid (NaN / no-return) points are kept. */
  positions: Float32Array;
  count: number;
  /** rgb interleaved, 0..255, length 3·count. */
  colors?: Uint8Array;
  /** xyz interleaved, length 3·count. */
  normals?: Float32Array;
  /** One value per point, in the file's own units (LAS: 0..65535). */
  intensity?: Float32Array;
  /** Per-point integer labels by name ('label', 'instance', 'semantic', 'class', ...). */
  labels?: { [name: string]: Int32Array };
  /**
   * 1 for points with finite coordinates, 0 for NaN / no-return points. Present when the cloud is
   * organised or when at least one point is invalid; absent means every point is valid.
   */
  valid?: Uint8Array;
  /** Organised (depth-camera) clouds: point index = row·width + column. */
  organized?: { width: number; height: number };
  /** Axis-aligned bounds over valid points; [0,0,0]/[0,0,0] when no point is valid. */
  bounds: { min: Vec3Tuple; max: Vec3Tuple };
  /** Any other per-point scalar property, by its name in the file. */
  extra?: { [name: string]: Float32Array | Int32Array };
}

/** Parts a reader fills in; `finishCloud` derives `valid` and `bounds`. */
export interface CloudParts {
  positions: Float32Array;
  count: number;
  colors?: Uint8Array;
  normals?: Float32Array;
  intensity?: Float32Array;
  labels?: { [name: string]: Int32Array };
  organized?: { width: number; height: number };
  extra?: { [name: string]: Float32Array | Int32Array };
}

/** Computes `valid` (finite xyz) and `bounds` over valid points, dropping empty optional maps. */
export function finishCloud(p: CloudParts): PointCloud {
  const { positions, count } = p;
  const min: Vec3Tuple = [Infinity, Infinity, Infinity];
  const max: Vec3Tuple = [-Infinity, -Infinity, -Infinity];
  let valid: Uint8Array | undefined;
  let anyInvalid = false;
  const flags = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const x = positions[3 * i];
    const y = positions[3 * i + 1];
    const z = positions[3 * i + 2];
    if (Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z)) {
      flags[i] = 1;
      if (x < min[0]) min[0] = x;
      if (y < min[1]) min[1] = y;
      if (z < min[2]) min[2] = z;
      if (x > max[0]) max[0] = x;
      if (y > max[1]) max[1] = y;
      if (z > max[2]) max[2] = z;
    } else {
      anyInvalid = true;
    }
  }
  if (anyInvalid || p.organized) valid = flags;
  if (min[0] === Infinity) {
    min.fill(0);
    max.fill(0);
  }
  const cloud: PointCloud = { positions, count, bounds: { min, max } };
  if (p.colors) cloud.colors = p.colors;
  if (p.normals) cloud.normals = p.normals;
  if (p.intensity) cloud.intensity = p.intensity;
  if (p.labels && Object.keys(p.labels).length > 0) cloud.labels = p.labels;
  if (valid) cloud.valid = valid;
  if (p.organized) cloud.organized = p.organized;
  if (p.extra && Object.keys(p.extra).length > 0) cloud.extra = p.extra;
  return cloud;
}
