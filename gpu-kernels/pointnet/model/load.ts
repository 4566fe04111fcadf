/**
 * Loads a PointNet++ instance model directory (card.json + the ONNX its card names) through the
 * project's ONNX loader: the initializers become the twins' `MlpLayer`s. Isomorphic (bytes in).
 */
import { ShapeError } from '../../../lib/errors';
import { parsePointNetCard } from '../../../lib/pointnet/model/card';
import type { PointNetModel } from '../../../lib/pointnet/model/segment';
import { weightsFromTensors } from '../../../lib/pointnet/model/weights';
import { loadOnnx, tensorF32 } from '../../onnx/loader';

export function loadPointNetModel(cardJson: unknown, onnxBytes: Uint8Array): PointNetModel {
  const card = parsePointNetCard(cardJson);
  const onnx = loadOnnx(onnxBytes);
  const weights = weightsFromTensors(card, (name) => {
    const t = onnx.initializers.get(name);
    if (!t) return undefined;
    if (t.dataType !== 1) throw new ShapeError(`initializer ${name} is not float32`, { where: `model weights: ${name}` });
    return { dims: t.dims, data: tensorF32(t) };
  });
  return { card, weights };
}
