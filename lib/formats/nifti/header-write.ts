/**
 * Encodes a `NiftiHeader` as the bytes that precede the voxel data of a single-file NIfTI:
 * the 348-byte NIfTI-1 or 540-byte NIfTI-2 header followed by the 4-byte extension flag (all zero,
 * no extensions), so voxels start at byte 352 / 544. `version`, `littleEndian`, `sizeof_hdr`,
 * `magic` and `vox_offset` of the given header are ignored and set from the arguments.
 */
import { writeFixedString } from './bytes';
import type { NiftiHeader } from './types';

export const NIFTI1_VOX_OFFSET = 352;
export const NIFTI2_VOX_OFFSET = 544;

export function encodeNiftiHeader(h: NiftiHeader, version: 1 | 2, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(version === 1 ? NIFTI1_VOX_OFFSET : NIFTI2_VOX_OFFSET);
  const v = new DataView(out.buffer);
  const le = littleEndian;
  if (version === 1) {
    v.setInt32(0, 348, le);
    out[38] = 0x72; // 'r' (regular), as nibabel writes
    v.setUint8(39, h.dim_info);
    h.dim.forEach((d, i) => v.setInt16(40 + 2 * i, d, le));
    v.setFloat32(56, h.intent_p1, le);
    v.setFloat32(60, h.intent_p2, le);
    v.setFloat32(64, h.intent_p3, le);
    v.setInt16(68, h.intent_code, le);
    v.setInt16(70, h.datatype, le);
    v.setInt16(72, h.bitpix, le);
    v.setInt16(74, h.slice_start, le);
    h.pixdim.forEach((p, i) => v.setFloat32(76 + 4 * i, p, le));
    v.setFloat32(108, NIFTI1_VOX_OFFSET, le);
    v.setFloat32(112, h.scl_slope, le);
    v.setFloat32(116, h.scl_inter, le);
    v.setInt16(120, h.slice_end, le);
    v.setUint8(122, h.slice_code);
    v.setUint8(123, h.xyzt_units);
    v.setFloat32(124, h.cal_max, le);
    v.setFloat32(128, h.cal_min, le);
    v.setFloat32(132, h.slice_duration, le);
    v.setFloat32(136, h.toffset, le);
    writeFixedString(out, 148, 80, h.descrip);
    writeFixedString(out, 228, 24, h.aux_file);
    v.setInt16(252, h.qform_code, le);
    v.setInt16(254, h.sform_code, le);
    [h.quatern_b, h.quatern_c, h.quatern_d, h.qoffset_x, h.qoffset_y, h.qoffset_z].forEach((q, i) => v.setFloat32(256 + 4 * i, q, le));
    [...h.srow_x, ...h.srow_y, ...h.srow_z].forEach((s, i) => v.setFloat32(280 + 4 * i, s, le));
    writeFixedString(out, 328, 16, h.intent_name);
    out.set([0x6e, 0x2b, 0x31, 0x00], 344); // "n+1\0"
  } else {
    v.setInt32(0, 540, le);
    out.set([0x6e, 0x2b, 0x32, 0x00, 0x0d, 0x0a, 0x1a, 0x0a], 4); // "n+2\0\r\n\032\n"
    v.setInt16(12, h.datatype, le);
    v.setInt16(14, h.bitpix, le);
    h.dim.forEach((d, i) => v.setBigInt64(16 + 8 * i, BigInt(d), le));
    v.setFloat64(80, h.intent_p1, le);
    v.setFloat64(88, h.intent_p2, le);
    v.setFloat64(96, h.intent_p3, le);
    h.pixdim.forEach((p, i) => v.setFloat64(104 + 8 * i, p, le));
    v.setBigInt64(168, BigInt(NIFTI2_VOX_OFFSET), le);
    v.setFloat64(176, h.scl_slope, le);
    v.setFloat64(184, h.scl_inter, le);
    v.setFloat64(192, h.cal_max, le);
    v.setFloat64(200, h.cal_min, le);
    v.setFloat64(208, h.slice_duration, le);
    v.setFloat64(216, h.toffset, le);
    v.setBigInt64(224, BigInt(h.slice_start), le);
    v.setBigInt64(232, BigInt(h.slice_end), le);
    writeFixedString(out, 240, 80, h.descrip);
    writeFixedString(out, 320, 24, h.aux_file);
    v.setInt32(344, h.qform_code, le);
    v.setInt32(348, h.sform_code, le);
    [h.quatern_b, h.quatern_c, h.quatern_d, h.qoffset_x, h.qoffset_y, h.qoffset_z].forEach((q, i) => v.setFloat64(352 + 8 * i, q, le));
    [...h.srow_x, ...h.srow_y, ...h.srow_z].forEach((s, i) => v.setFloat64(400 + 8 * i, s, le));
    v.setInt32(496, h.slice_code, le);
    v.setInt32(500, h.xyzt_units, le);
    v.setInt32(504, h.intent_code, le);
    writeFixedString(out, 508, 16, h.intent_name);
    v.setUint8(524, h.dim_info);
  }
  return out;
}
