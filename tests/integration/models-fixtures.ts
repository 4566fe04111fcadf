/** Model-registry test fixtures: the GWM MeshNet and its card. */
import { buildModel, type NodeSpec } from '@/gpu-kernels/onnx/build-model';
import type { ModelCard } from '@/lib/model/card';
import { GWM_CLASS_NAMES, volumeCard } from './model-cards';

export const GWM_PATH = '../shared/data/models/meshnet_gwm_niivue/model.onnx';

/** The GWM MeshNet's card: 3 classes in the order of its colormap3.json. */
export function gwmCard(over: Partial<ModelCard> = {}): ModelCard {
  const [bg, wm, gm] = GWM_CLASS_NAMES;
  return {
    ...volumeCard({
      name: 'meshnet-gwm',
      version: '1',
      description: 'Grey/white matter MeshNet (niivue-onnx)',
      licence: 'BSD-2-Clause',
      source: 'https://github.com/niivue/niivue-onnx',
      normalisation: { kind: 'minmax' },
      classes: [
        [bg, '#000000'],
        [wm, '#ffffff'],
        [gm, '#cd3e4e'],
      ],
      minInstanceVoxels: 10,
    }),
    ...over,
  };
}

/**
 * A 1×1×1 Conv (1 → `out` channels; weights (−1)^c·(1+c), bias c/10) followed by `tail` (e.g. 'Abs',
 * which the engine lacks).
 */
export function tinyModel(opts: { out?: number; tail?: string; declareOutput?: boolean; inChannels?: number } = {}): Uint8Array {
  const out = opts.out ?? 2;
  const inC = opts.inChannels ?? 1;
  const nodes: NodeSpec[] = [{ op: 'Conv', inputs: ['x', 'w', 'b'], outputs: [opts.tail ? 'y' : 'z'], attrs: { kernel_shape: [1, 1, 1] } }];
  if (opts.tail) nodes.push({ op: opts.tail, inputs: ['y'], outputs: ['z'] });
  return buildModel({
    inputs: [{ name: 'x', dims: ['n', inC, 'd', 'h', 'w'] }],
    outputs: [{ name: 'z', ...(opts.declareOutput === false ? {} : { dims: ['n', out, 'd', 'h', 'w'] }) }],
    nodes,
    initializers: [
      { name: 'w', dims: [out, inC, 1, 1, 1], data: Array.from({ length: out * inC }, (_, i) => (i % 2 ? -1 : 1) * (1 + i)) },
      { name: 'b', dims: [out], data: Array.from({ length: out }, (_, i) => i / 10) },
    ],
  });
}

export function tinyCard(name: string, classes: number, over: Partial<ModelCard['output']> = {}): ModelCard {
  const card = gwmCard({ name, version: '1', licence: 'MIT' });
  return {
    ...card,
    output: {
      ...card.output,
      classes: Array.from({ length: classes }, (_, id) => ({ id, name: id === 0 ? 'background' : `c${id}`, colour: '#00ff00' })),
      ...over,
    },
  };
}
