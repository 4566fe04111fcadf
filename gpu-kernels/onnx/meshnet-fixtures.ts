/**
 * Helpers for the MeshNet conformance tests (Node only): the T1 volume normalised as the reference
 * was made and onnxruntime-node runs. The pure helpers live in ./meshnet-data (re-exported).
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { readNifti } from '../../lib/formats/nifti';
import { freeSpatialDims, minMaxTensor } from './meshnet-data';
import { ortOptions } from './ort-compare';

export { agreement, argmaxC, centreCrop, reverseAxes } from './meshnet-data';

export const DATA = new URL('../../../shared/data/', import.meta.url).pathname;
export const GWM = `${DATA}models/meshnet_gwm_niivue/model.onnx`;
export const M18 = `${DATA}models/meshnet_onnx_exports/model18cls.onnx`;

/** T1 volume min-max normalised (over the full volume) to [0,1], as [1,1,nz,ny,nx] (x fastest, file order). */
export function t1(): { data: Float32Array; dims: number[] } {
  return minMaxTensor(readNifti(readFileSync(`${DATA}volumes/brainchop_t1_crop.nii.gz`)).volume);
}

export async function ortRun(path: string, x: { data: Float32Array; dims: number[] }): Promise<{ data: Float32Array; dims: number[]; ms: number }> {
  const s = await ort.InferenceSession.create(freeSpatialDims(readFileSync(path)), ortOptions(2));
  const t = performance.now();
  const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x.data, x.dims) });
  const ms = performance.now() - t;
  const o = r[s.outputNames[0]];
  await s.release();
  return { data: o.data as Float32Array, dims: o.dims as number[], ms };
}
