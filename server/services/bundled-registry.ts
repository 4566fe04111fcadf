/**
 * The bundled models (`nuclei`, `cells`: server/inference/bundled-models.ts, committed under
 * `models/<name>/`) in the model registry, so the viewer and the API find them like any
 * registered model. Called once per process at start-up (server/startup/boot.ts).
 *
 *   const r = await registerBundledModels(deps);   // [{ name, status: 'registered' | 'present' | … }]
 *
 * Per model: the files are loaded (sha256-checked against the card) and registered through
 * `registerModel` (server/services/models.ts, the same checks as an upload) unless a row with the
 * same name + version + sha256 exists. Idempotent; concurrent boots (two processes on one
 * database) cannot duplicate a row: Model(name, version) is unique, and the boot that loses the
 * race gets CONFLICT, re-reads the row and reports it 'present'.
 *
 * Never throws: missing or unreadable files, a row with the same name + version but other bytes
 * (the card's version was not bumped), or a registration error are logged as warnings and
 * reported in the result; the server starts without that model.
 */
import { isTesseraError } from '@/lib/errors';
import { sha256Hex } from '../blob/local';
import { BUNDLED_MODEL_NAMES, type BundledModel, type BundledModelName, loadBundledModel } from '../inference/bundled-models';
import type { ServiceDeps } from './deps';
import { errorMessage } from './errors';
import { registerModel } from './models';

export type BundledRegistrationStatus =
  /** A new Model row was created. */
  | 'registered'
  /** A row with the same name, version and sha256 already existed. */
  | 'present'
  /** The files are missing or unreadable (or fail their card's sha256). */
  | 'missing'
  /** A row with the same name and version holds other bytes. */
  | 'conflict'
  /** registerModel refused the files (bad card, bad ONNX, …). */
  | 'failed';

export interface BundledRegistration {
  name: BundledModelName;
  status: BundledRegistrationStatus;
  /** The registry id (registered / present / conflict: the existing row). */
  modelId: string | null;
  version: string | null;
  /** Why, for missing / conflict / failed. */
  message: string | null;
}

export interface RegisterBundledOptions {
  /** Folder holding `<name>/<name>.onnx` + `card.json`; default `models/` of the project root. */
  modelsDir?: string;
  /** Where warnings go; default console.warn. */
  warn?: (message: string) => void;
}

async function rowOf(deps: ServiceDeps, name: string, version: string) {
  return deps.db.model.findUnique({ where: { name_version: { name, version } }, select: { id: true, sha256: true } });
}

async function registerOne(deps: ServiceDeps, name: BundledModelName, opts: RegisterBundledOptions): Promise<BundledRegistration> {
  let m: BundledModel;
  try {
    m = opts.modelsDir ? loadBundledModel(name, opts.modelsDir) : loadBundledModel(name);
  } catch (e) {
    return { name, status: 'missing', modelId: null, version: null, message: errorMessage(e) };
  }
  const { version } = m.card;
  const sha256 = sha256Hex(m.bytes);
  const sameOrOther = (row: { id: string; sha256: string }): BundledRegistration =>
    row.sha256 === sha256
      ? { name, status: 'present', modelId: row.id, version, message: null }
      : {
          name,
          status: 'conflict',
          modelId: row.id,
          version,
          message: `${m.path} (sha256 ${sha256.slice(0, 12)}…) differs from the registered ${name} v${version} (${row.sha256.slice(0, 12)}…); bump the card's version to register it`,
        };
  const existing = await rowOf(deps, m.card.name, version);
  if (existing) return sameOrOther(existing);
  try {
    const r = await registerModel(deps, m.bytes, m.card);
    return { name, status: 'registered', modelId: r.id, version, message: null };
  } catch (e) {
    // Another process registered it between our look-up and our insert.
    if (isTesseraError(e) && e.code === 'CONFLICT') {
      const row = await rowOf(deps, m.card.name, version);
      if (row) return sameOrOther(row);
    }
    return { name, status: 'failed', modelId: null, version, message: errorMessage(e) };
  }
}

/** Registers every bundled model that is not in the registry yet; see the module comment. */
export async function registerBundledModels(deps: ServiceDeps, opts: RegisterBundledOptions = {}): Promise<BundledRegistration[]> {
  const warn = opts.warn ?? ((s: string) => console.warn(s));
  const out: BundledRegistration[] = [];
  for (const name of BUNDLED_MODEL_NAMES) {
    let r: BundledRegistration;
    try {
      r = await registerOne(deps, name, opts);
    } catch (e) {
      r = { name, status: 'failed', modelId: null, version: null, message: errorMessage(e) };
    }
    if (r.status === 'missing' || r.status === 'conflict' || r.status === 'failed') {
      warn(`[tessera] bundled model '${name}' not registered (${r.status}): ${r.message}`);
    }
    out.push(r);
  }
  return out;
}
