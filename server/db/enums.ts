/** String-column enumerations (shared by SQLite and PostgreSQL), validated with Zod at the edges. */
import { z } from 'zod';

export const StudyKind = z.enum(['volume', 'pointcloud']);
export type StudyKind = z.infer<typeof StudyKind>;

export const AssetRole = z.enum(['original', 'labels', 'instances-json', 'instances-csv', 'thumbnail', 'other']);
export type AssetRole = z.infer<typeof AssetRole>;

export const RunLocation = z.enum(['browser', 'server']);
export type RunLocation = z.infer<typeof RunLocation>;

export const RunRunner = z.enum(['tessera', 'onnxruntime-node', 'onnxruntime-web']);
export type RunRunner = z.infer<typeof RunRunner>;

export const RunDevice = z.enum(['webgpu', 'cpu']);
export type RunDevice = z.infer<typeof RunDevice>;

export const RunStatus = z.enum(['queued', 'running', 'succeeded', 'failed']);
export type RunStatus = z.infer<typeof RunStatus>;

export const Review = z.enum(['proposed', 'accepted', 'rejected', 'edited']);
export type Review = z.infer<typeof Review>;
