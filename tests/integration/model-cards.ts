/**
 * Model cards for the tests (integration and browser): one builder for the segmentation cards of
 * one-channel volume nets with logits outputs and connected-component instances, so each test says
 * only what differs (name, version, licence, normalisation, classes, minimum instance size).
 */
import type { ModelCard } from '@/lib/model/card';

export interface VolumeCardSpec {
  name: string;
  version: string;
  licence: string;
  normalisation: ModelCard['input']['normalisation'];
  /** [name, colour] per output channel, ids 0.. in order (0 = background). */
  classes: [string, string][];
  minInstanceVoxels: number;
  source?: string;
  description?: string;
}

export function volumeCard(o: VolumeCardSpec): ModelCard {
  return {
    name: o.name,
    version: o.version,
    task: 'segmentation',
    ...(o.description !== undefined ? { description: o.description } : {}),
    licence: o.licence,
    ...(o.source !== undefined ? { source: o.source } : {}),
    input: { channels: 1, spacing: null, normalisation: o.normalisation, axisOrder: 'file', shape: null, multipleOf: null },
    output: {
      kind: 'logits',
      classes: o.classes.map(([name, colour], id) => ({ id, name, colour })),
      instances: 'connected-components',
      minInstanceVoxels: o.minInstanceVoxels,
    },
  };
}

/** The MeshNet GWM's classes, in the order of its colormap3.json. */
export const GWM_CLASS_NAMES = ['background', 'white matter', 'grey matter'] as const;
