/**
 * Weights of the PointNet++ instance model as the twins' `MlpLayer`s (BN already folded), built from
 * named tensors (the ONNX initializers `<layer>.weight` [cout, cin] and `<layer>.bias` [cout]).
 */
import { ShapeError } from '../../errors';
import type { MlpLayer } from '../mlp';
import type { PointNetCard } from './card';

export interface NamedTensor {
  dims: number[];
  data: Float32Array;
}

export interface PointNetWeights {
  sa1: MlpLayer[];
  sa2: MlpLayer[];
  sa3: MlpLayer[];
  fp3: MlpLayer[];
  fp2: MlpLayer[];
  fp1: MlpLayer[];
  clsHidden: MlpLayer[];
  clsOut: MlpLayer;
  offHidden: MlpLayer[];
  offOut: MlpLayer;
}

export function weightsFromTensors(card: PointNetCard, get: (name: string) => NamedTensor | undefined): PointNetWeights {
  const layer = (name: string): MlpLayer => {
    const w = get(`${name}.weight`), b = get(`${name}.bias`);
    if (!w || !b) throw new ShapeError(`weights of layer '${name}' are missing`, { where: `model weights: ${name}`, hint: 'The ONNX file does not match its card.' });
    if (w.dims.length !== 2 || b.dims.length !== 1 || b.dims[0] !== w.dims[0] || w.data.length !== w.dims[0] * w.dims[1] || b.data.length !== b.dims[0]) {
      throw new ShapeError(`layer '${name}': weight ${JSON.stringify(w.dims)} and bias ${JSON.stringify(b.dims)} do not form a [cout, cin] layer`, { where: `model weights: ${name}` });
    }
    return { cout: w.dims[0], cin: w.dims[1], weight: w.data, bias: b.data };
  };
  const L = card.layers;
  return {
    sa1: L.sa1.map(layer), sa2: L.sa2.map(layer), sa3: L.sa3.map(layer),
    fp3: L.fp3.map(layer), fp2: L.fp2.map(layer), fp1: L.fp1.map(layer),
    clsHidden: L.clsHidden.map(layer), clsOut: layer(L.clsOut),
    offHidden: L.offHidden.map(layer), offOut: layer(L.offOut),
  };
}
