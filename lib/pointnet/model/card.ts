/**
 * The card of a PointNet++ instance model (models/<name>/card.json): sampling counts, radii,
 * neighbour counts, input features, the support-plane normalisation, class names, clustering
 * parameters, the layer names of the weights in the ONNX file, provenance and metrics. Zod-checked.
 */
import { z } from 'zod';
import { ArgumentError } from '../../errors';

const triple = <T extends z.ZodTypeAny>(t: T) => z.tuple([t, t, t]);
const names = z.array(z.string().min(1)).min(1);

export const PointNetCardSchema = z.object({
  name: z.string().min(1),
  format: z.literal('tessera-pointnet2-instance/1'),
  weights: z.string().min(1),
  architecture: z.string(),
  input: z.object({
    points: z.number().int().min(64),
    features: z.tuple([z.literal('height')]),
    units: z.literal('metres'),
    normalisation: z.object({
      kind: z.literal('support-plane'),
      heightBand: z.tuple([z.number(), z.number()]),
      ransac: z.object({ threshold: z.number().positive(), iterations: z.number().int().positive(), maxSamples: z.number().int().min(3), seed: z.number().int(), side: z.tuple([z.number(), z.number()]) }),
    }),
  }),
  npoint: triple(z.number().int().positive()),
  radius: triple(z.number().positive()),
  nsample: triple(z.number().int().positive()),
  layers: z.object({
    sa1: names, sa2: names, sa3: names, fp3: names, fp2: names, fp1: names,
    clsHidden: names, clsOut: z.string(), offHidden: names, offOut: z.string(),
  }),
  classes: z.array(z.string()).min(2),
  /** Class ids that never form instances (table / floor / walls). */
  backgroundClasses: z.array(z.number().int().min(0)),
  clustering: z.object({
    method: z.enum(['components', 'meanshift']).optional(),
    radius: z.number().positive(),
    minPoints: z.number().int().min(1),
    coreNeighbours: z.number().int().min(1).optional(),
  }),
  training: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()),
  licence: z.string(),
  files: z.record(z.string(), z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().positive() })),
});
export type PointNetCard = z.infer<typeof PointNetCardSchema>;

export function parsePointNetCard(json: unknown, where = 'card.json'): PointNetCard {
  const r = PointNetCardSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ArgumentError(`invalid PointNet++ model card: ${i.path.join('.') || '(root)'}: ${i.message}`, {
      where,
      hint: 'Use a card written by training/pointnet/export.py.',
    });
  }
  return r.data;
}
