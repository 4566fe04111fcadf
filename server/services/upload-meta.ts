/** The metadata every study upload carries (volume or point cloud), validated at the service edge. */
import { z } from 'zod';

export const UploadMeta = z.object({
  filename: z
    .string()
    .trim()
    .min(1, 'filename is required')
    .max(255)
    .transform((f) => f.replace(/^.*[\\/]/, '')),
  name: z.string().trim().min(1).max(200).optional(),
  modality: z.string().trim().min(1).max(64).optional(),
});
export type UploadMeta = z.input<typeof UploadMeta>;
