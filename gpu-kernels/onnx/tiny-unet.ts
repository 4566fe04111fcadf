/**
 * Test fixture (Node only): a tiny random-weight two-level 3-D U-Net (pooling, transposed conv, skip
 * concat) — a network that cannot be tiled exactly, for the sliding-window tests.
 */
import type { ModelSpec } from './build-model';
import { randomInput } from './ort-compare';

/** A two-level 3-D U-Net: conv → pool → conv → transposed conv (×2) → concat skip → 1×1 conv. */
export const TINY_UNET: ModelSpec = {
  inputs: [{ name: 'x', dims: [1, 1, 16, 16, 16] }],
  outputs: [{ name: 'y' }],
  nodes: [
    { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
    { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2, 2], strides: [2, 2, 2] } },
    { op: 'Conv', inputs: ['p1', 'w2', 'b2'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
    { op: 'ConvTranspose', inputs: ['r2', 'wt', 'bt'], outputs: ['u'], attrs: { kernel_shape: [2, 2, 2], strides: [2, 2, 2] } },
    { op: 'Concat', inputs: ['u', 'r1'], outputs: ['cat'], attrs: { axis: 1 } },
    { op: 'Conv', inputs: ['cat', 'w3', 'b3'], outputs: ['y'] },
  ],
  initializers: [
    { name: 'w1', dims: [4, 1, 3, 3, 3], data: randomInput([108], 11, -0.5, 0.5) }, { name: 'b1', dims: [4], data: [0.1, -0.1, 0.05, 0] },
    { name: 'w2', dims: [4, 4, 3, 3, 3], data: randomInput([432], 12, -0.3, 0.3) }, { name: 'b2', dims: [4], data: [0, 0.1, -0.1, 0.2] },
    { name: 'wt', dims: [4, 4, 2, 2, 2], data: randomInput([128], 13, -0.5, 0.5) }, { name: 'bt', dims: [4], data: [0, 0, 0.1, -0.1] },
    { name: 'w3', dims: [3, 8, 1, 1, 1], data: randomInput([24], 14) }, { name: 'b3', dims: [3], data: [0, 0.2, -0.2] },
  ],
};

