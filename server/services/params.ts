import { z } from 'zod';

/**
 * runs.segmentCells parameters (all optional; the pipeline's defaults fill the rest):
 * smooth = Gaussian sigma (physical units, 0 = off), minDistance = seed spacing (physical units),
 * threshold = foreground threshold (omitted/'otsu' = Otsu), minSize = smallest instance (voxels).
 */
export const SegmentCellsParams = z
  .object({
    smooth: z.number().min(0).max(100).optional(),
    minDistance: z.number().positive().max(1000).optional(),
    threshold: z.union([z.number().finite(), z.literal('otsu')]).optional(),
    minSize: z.number().int().min(0).max(1e9).optional(),
    excludeBorder: z.boolean().optional(),
    connectivity: z.union([z.literal(6), z.literal(18), z.literal(26)]).optional(),
  })
  .strict();
export type SegmentCellsParams = z.infer<typeof SegmentCellsParams>;
