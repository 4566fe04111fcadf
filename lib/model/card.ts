/**
 * Model cards: what a segmentation network expects as input and what its output means.
 *
 * A card travels with an ONNX file (as JSON, or as the `card` column of a registry row) and drives
 * `prepareModelInput` / `labelsFromOutput` (lib/model/prepare.ts). Isomorphic: Zod only.
 *
 * Input conventions:
 * - `spacing` [x,y,z] is the voxel size the network was trained on, in the volume's own units
 *   (mm for scans, µm for microscopy; no unit conversion is done); `null` = run on the native grid.
 * - `axisOrder` how the volume becomes the tensor (lib/model/layout.ts): 'file' = [1,C,z,y,x] in
 *   NIfTI memory order unchanged; 'xyz' = [1,C,x,y,z] (z fastest); 'zyx' = reoriented to the
 *   closest RAS+ first, then like 'file'.
 * - `shape` [x,y,z] fixed input grid (centred crop/pad), `multipleOf` pad each axis up to a
 *   multiple; both are in the axes after reorientation ('zyx') and resampling.
 * - `normalisation`: 'minmax' → [0,1]; 'zscore' (population std); 'percentile' clip to the
 *   low/high percentiles (numpy 'linear'), then min-max to [0,1].
 * Output: 'logits' = [1,C,...] scores, argmax over C with ties to the lowest; 'argmax' = the model
 * already outputs class ids. Class id 0 is background.
 */
import { z } from 'zod';
import { ArgumentError } from '../errors';

const vec3 = z.tuple([z.number().positive().finite(), z.number().positive().finite(), z.number().positive().finite()]);
const intVec3 = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);

export const NormalisationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('minmax') }).strict(),
  z.object({ kind: z.literal('zscore') }).strict(),
  z
    .object({ kind: z.literal('percentile'), low: z.number().min(0).max(100), high: z.number().min(0).max(100) })
    .strict()
    .refine((p) => p.low < p.high, { message: 'percentile low must be < high', path: ['high'] }),
]);
export type Normalisation = z.infer<typeof NormalisationSchema>;

export const AxisOrderSchema = z.enum(['file', 'xyz', 'zyx']);
export type AxisOrder = z.infer<typeof AxisOrderSchema>;

export const ModelClassSchema = z
  .object({
    id: z.number().int().min(0).max(65535),
    name: z.string().min(1),
    colour: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'colour must be #rrggbb'),
  })
  .strict();
export type ModelClass = z.infer<typeof ModelClassSchema>;

/**
 * Instance step of 'cell-pipeline' cards (lib/model/cell-instances.ts). The network outputs
 * [P(bg), p·(1−q), p·q] with p the foreground probability and q the second map: the normalised
 * distance to the instance surface ('distance', nuclei) or the boundary probability ('boundary',
 * membrane-stained cells).
 */
export const CellPipelineSchema = z
  .object({
    mode: z.enum(['distance', 'boundary']),
    /** Foreground = p > this. Default 0.5. */
    foregroundThreshold: z.number().gt(0).lt(1).optional(),
    /** distance: the core is q > this; boundary: cell interior is q < this. Default 0.5. */
    secondThreshold: z.number().gt(0).lt(1).optional(),
    /** EDT seeds (boundary; distance with seedMethod 'maxima'): minimum distance between seeds, in voxels of the finest axis (per axis scaled by spacing). Default 3. */
    seedMinDistance: z.number().positive().optional(),
    /** Seed components smaller than this are dropped. Default 8. */
    minSeedVoxels: z.number().int().min(1).optional(),
    /** 'isotropic': resample to cubic voxels at the finest spacing before the network and back after (nearest); 'native': run on the volume's grid. Default 'native'. */
    resample: z.enum(['native', 'isotropic']).optional(),
    /** boundary: seeds from the interior's distance maxima ('maxima', default) or cell cores, components of distance > seedMinDistance ('components'); distance: components of the core ('components', default), maxima of the core's distance ('maxima') or its basins split at narrow necks ('saddle'). */
    seedMethod: z.enum(['maxima', 'components', 'saddle']).optional(),
    /** seedMethod 'saddle' (distance): basins of the core's distance transform stay apart iff their saddle < this × the lower peak. Default 0.6. */
    seedSaddleRatio: z.number().gt(0).max(1).optional(),
    /** EDT seeds: Gaussian sigma (voxels of the finest axis) on the distance before seeding. Default 0. */
    seedSmoothing: z.number().min(0).optional(),
  })
  .strict();
export type CellPipelineCard = z.infer<typeof CellPipelineSchema>;

export const ModelCardSchema = z
  .object({
    name: z.string().min(1),
    version: z.string().min(1),
    task: z.enum(['segmentation', 'nuclei', 'cells']),
    description: z.string().optional(),
    licence: z.string().min(1),
    source: z.string().optional(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits').optional(),
    /** How the weights were made (bundled models): data and licences, augmentations, the command that retrains them. */
    training: z
      .object({
        data: z.array(z.object({ name: z.string().min(1), licence: z.string().min(1), note: z.string().optional() }).strict()),
        augmentations: z.array(z.string().min(1)),
        command: z.string().min(1),
        seed: z.number().int().optional(),
        iterations: z.number().int().positive().optional(),
        parameters: z.number().int().positive().optional(),
        expectedSpacing: z.string().optional(),
      })
      .strict()
      .optional(),
    /** Measured quality (e.g. `tessera eval --suite validation`): one row per dataset and metric. */
    metrics: z
      .array(z.object({ dataset: z.string().min(1), metric: z.string().min(1), value: z.number().finite(), source: z.string().optional() }).strict())
      .optional(),
    input: z
      .object({
        channels: z.number().int().min(1),
        spacing: vec3.nullable(),
        normalisation: NormalisationSchema,
        axisOrder: AxisOrderSchema,
        shape: intVec3.nullable(),
        multipleOf: z.number().int().min(1).nullable(),
        /** Sliding window [x,y,z] (the training crop) for nets that cannot see the whole volume at once (U-Nets); null/absent = one pass. */
        window: intVec3.nullable().optional(),
        /** Minimum overlap of neighbouring windows (fraction of the window); default 0.5. */
        overlap: z.number().min(0).max(0.95).optional(),
        /**
         * Test-time mirroring with the sliding window: each window's scores are averaged over every
         * combination of flips along these volume axes (2^n runs per window); absent/empty = none.
         */
        mirror: z
          .array(z.enum(['x', 'y', 'z']))
          .max(3)
          .refine((a) => new Set(a).size === a.length, { message: 'mirror axes must be distinct' })
          .optional(),
      })
      .strict()
      .refine((i) => !i.mirror?.length || !!i.window, { message: 'input.mirror needs input.window (mirroring is done per sliding window)', path: ['mirror'] }),
    output: z
      .object({
        kind: z.enum(['logits', 'argmax']),
        /** Empty = unknown: filled from the model's output channels (`withClassCount`). */
        classes: z.array(ModelClassSchema).refine((cs) => new Set(cs.map((c) => c.id)).size === cs.length, { message: 'class ids must be unique' }),
        instances: z.enum(['connected-components', 'cell-pipeline', 'none']),
        minInstanceVoxels: z.number().int().min(0),
        /** Parameters of the 'cell-pipeline' instance step; required when instances is 'cell-pipeline'. */
        cellPipeline: CellPipelineSchema.optional(),
      })
      .strict()
      .refine((o) => o.instances !== 'cell-pipeline' || o.cellPipeline !== undefined, {
        message: "instances 'cell-pipeline' needs output.cellPipeline (at least its mode)",
        path: ['cellPipeline'],
      }),
  })
  .strict();
export type ModelCard = z.infer<typeof ModelCardSchema>;

/** Default class colours: background black, then a fixed qualitative palette (cycled). */
const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#fabed4', '#469990', '#dcbeff', '#9a6324', '#fffac8', '#800000', '#aaffc3', '#808000', '#ffd8b1', '#000075'];

/** Colour of class `id` in default cards. */
export function defaultClassColour(id: number): string {
  return id === 0 ? '#000000' : PALETTE[(id - 1) % PALETTE.length];
}

/** Classes class0..class{k−1} with default colours (class0 = background). */
export function defaultClasses(k: number): ModelClass[] {
  return Array.from({ length: k }, (_, id) => ({ id, name: id === 0 ? 'background' : `class${id}`, colour: defaultClassColour(id) }));
}

/**
 * The card of a bare .onnx file: min-max to [0,1], axis order 'file', native spacing and grid,
 * logits with argmax over channels (ties to the lowest), no instances. `classes` is empty unless
 * `classCount` is given: the caller fills it from the model's output channels (`withClassCount`).
 */
export function defaultCard(name: string, classCount?: number): ModelCard {
  return {
    name,
    version: '0',
    task: 'segmentation',
    licence: 'unknown',
    input: { channels: 1, spacing: null, normalisation: { kind: 'minmax' }, axisOrder: 'file', shape: null, multipleOf: null },
    output: { kind: 'logits', classes: classCount === undefined ? [] : defaultClasses(classCount), instances: 'none', minInstanceVoxels: 0 },
  };
}

/** A copy of `card` whose class list is filled with class0..class{k−1} when it was empty. */
export function withClassCount(card: ModelCard, k: number): ModelCard {
  if (card.output.classes.length > 0) return card;
  return { ...card, output: { ...card.output, classes: defaultClasses(k) } };
}

/** Validates a card (parsed JSON). Throws ArgumentError listing every Zod issue (path: message). */
export function parseModelCard(json: unknown, where = 'model card'): ModelCard {
  const r = ModelCardSchema.safeParse(json);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new ArgumentError(`invalid model card: ${issues.join('; ')}`, {
    where,
    hint: 'Fix the listed fields (see lib/model/card.ts for the schema).',
  });
}
