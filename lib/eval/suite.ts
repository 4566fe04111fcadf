/**
 * The validation suite: runs each method on each validation item it applies to, scores it with
 * lib/metrics `instanceAP` against the item's ground truth, and aggregates per dataset family.
 *
 * Methods: 'classical' (every item: `segmentCells` on nuclei items, `segmentMembranes` on cell
 * items, tuned per family by lib/eval/classical-search.ts unless fixed parameters are given),
 * 'nuclei' (the bundled nuclei U-Net, nuclei items only), 'cells' (the bundled cells U-Net, cell
 * items only). Models are run through an injected `ModelRunner` (lib/ does no I/O; the CLI passes
 * one built on server/inference). Per family: mean AP@0.5 / AP@0.75 / AP@[0.5:0.95] over the items,
 * summed instance counts, Δ AP@0.5 of each model vs classical, and the issue #5 acceptance rules.
 */
import { ArgumentError } from '../errors';
import { type InstanceAPResult, instanceAP } from '../metrics';
import { type ClassicalPoint, type SearchResult, gridFor, mean, physicalParams, runClassical, searchClassical } from './classical-search';
import { FAMILIES, type Family, type ItemKind, type ValidationItem } from './validation-set';

export type MethodId = 'classical' | 'nuclei' | 'cells';
export const METHODS: readonly MethodId[] = ['classical', 'nuclei', 'cells'];
export type ModelName = 'nuclei' | 'cells';

export function methodApplies(m: MethodId, kind: ItemKind): boolean {
  return m === 'classical' || m === kind;
}

/** What a model run gives back: instance labels on the item's grid, plus how it ran. */
export interface ModelRunResult {
  labels: Uint32Array;
  runner?: string;
  device?: string;
  adapter?: string | null;
  fallbackReason?: string | null;
}
export type ModelRunner = (model: ModelName, item: ValidationItem) => Promise<ModelRunResult>;

/** An item's scores: lib/metrics instanceAP without the per-threshold table. */
export type Scores = Omit<InstanceAPResult, 'ap'>;

export interface ItemResult {
  item: string;
  family: Family;
  method: MethodId;
  scores: Scores;
  ms: number;
  /** Classical: the physical parameters used; models: runner/device. */
  detail: Record<string, unknown>;
}

export interface MethodSummary {
  /** Means over the family's items. */
  ap50: number;
  ap75: number;
  apMean: number;
  /** Sums over the family's items. */
  nPred: number;
  nGt: number;
  tp50: number;
  ms: number;
}

export interface FamilyResult {
  family: Family;
  kind: ItemKind;
  description: string;
  items: number;
  nGt: number;
  methods: Partial<Record<MethodId, MethodSummary>>;
  /** The classical parameters used (x-y voxel units) and how they were chosen. */
  classical?: ClassicalPoint & { chosenBy: 'grid search' | 'given' };
  /** AP@0.5 of the family's model minus classical's (when both ran). */
  delta?: number;
}

export interface AcceptanceCheck {
  family: Family;
  rule: string;
  /** null: a method the rule needs did not run. */
  pass: boolean | null;
}

export interface SuiteResult {
  methods: MethodId[];
  families: FamilyResult[];
  items: ItemResult[];
  /** Grid searches run, by family. */
  tuning: Partial<Record<Family, SearchResult>>;
  acceptance: AcceptanceCheck[];
  totalMs: number;
}

export interface SuiteOptions {
  methods: readonly MethodId[];
  runModel?: ModelRunner;
  /** Fixed classical parameters per family (x-y voxel units); families without one are grid-searched. */
  classicalParams?: Partial<Record<Family, ClassicalPoint>>;
  log?: (line: string) => void;
}

/** Issue #5: the model must beat classical by `minDelta` AP@0.5 (and reach `minAP50`). */
export const ACCEPTANCE: Partial<Record<Family, { model: ModelName; minDelta: number; minAP50?: number }>> = {
  'generated-nuclei': { model: 'nuclei', minDelta: 0.15 },
  '1136_mini': { model: 'nuclei', minDelta: 0.15 },
  sample_ovule: { model: 'cells', minDelta: 0.1, minAP50: 0.6 },
};

export function scoresOf(r: InstanceAPResult): Scores {
  return { ap50: r.ap50, ap75: r.ap75, apMean: r.apMean, meanMatchedIoU: r.meanMatchedIoU, nPred: r.nPred, nGt: r.nGt, tp50: r.tp50 };
}

export function summarise(rs: ItemResult[]): MethodSummary {
  const sum = (f: (r: ItemResult) => number) => rs.reduce((s, r) => s + f(r), 0);
  return {
    ap50: mean(rs.map((r) => r.scores.ap50)),
    ap75: mean(rs.map((r) => r.scores.ap75)),
    apMean: mean(rs.map((r) => r.scores.apMean)),
    nPred: sum((r) => r.scores.nPred),
    nGt: sum((r) => r.scores.nGt),
    tp50: sum((r) => r.scores.tp50),
    ms: sum((r) => r.ms),
  };
}

export function acceptanceChecks(families: FamilyResult[]): AcceptanceCheck[] {
  const out: AcceptanceCheck[] = [];
  for (const f of families) {
    const a = ACCEPTANCE[f.family];
    if (!a) continue;
    const m = f.methods[a.model];
    const c = f.methods.classical;
    const rule = `${a.model}${a.minAP50 !== undefined ? ` AP@0.5 ≥ ${a.minAP50} and` : ''} ≥ classical + ${a.minDelta}`;
    const pass = m && c ? m.ap50 - c.ap50 >= a.minDelta - 1e-12 && (a.minAP50 === undefined || m.ap50 >= a.minAP50) : null;
    out.push({ family: f.family, rule, pass });
  }
  return out;
}

export async function runValidationSuite(items: ValidationItem[], opts: SuiteOptions): Promise<SuiteResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const methods = METHODS.filter((m) => opts.methods.includes(m));
  for (const m of opts.methods) if (!METHODS.includes(m)) throw new ArgumentError(`unknown method '${m}'`, { where: 'runValidationSuite.methods', hint: `Use ${METHODS.join(', ')}.` });
  if (methods.length === 0) throw new ArgumentError('no method to run', { where: 'runValidationSuite.methods', hint: `Use ${METHODS.join(', ')}.` });
  if (methods.some((m) => m !== 'classical') && !opts.runModel) throw new ArgumentError('model methods need a model runner', { where: 'runValidationSuite.runModel' });
  const ids = new Set<string>();
  for (const it of items) {
    if (ids.has(it.id)) throw new ArgumentError(`item id '${it.id}' repeats`, { where: 'runValidationSuite.items' });
    ids.add(it.id);
    if (it.image.data.length !== it.labels.data.length) throw new ArgumentError(`item '${it.id}' image and labels differ in size`, { where: 'runValidationSuite.items' });
  }
  const results: ItemResult[] = [];
  const tuning: SuiteResult['tuning'] = {};
  const chosen: Partial<Record<Family, ClassicalPoint & { chosenBy: 'grid search' | 'given' }>> = {};
  const present = FAMILIES.filter((f) => items.some((it) => it.family === f.family));

  if (methods.includes('classical')) {
    for (const f of present) {
      const fam = items.filter((it) => it.family === f.family);
      let point = opts.classicalParams?.[f.family];
      if (point) chosen[f.family] = { ...point, chosenBy: 'given' };
      else {
        const grid = gridFor(f.kind);
        log(`classical ${f.family}: grid ${grid.smoothSigma.length}×${grid.minDistance.length} over ${fam.length} item(s)…`);
        const s = searchClassical(fam, grid);
        tuning[f.family] = s;
        point = { smoothSigma: s.best.smoothSigma, minDistance: s.best.minDistance, minVoxels: s.best.minVoxels };
        chosen[f.family] = { ...point, chosenBy: 'grid search' };
        log(`classical ${f.family}: best σ ${point.smoothSigma}, d ${point.minDistance} (x-y voxels): mean AP@0.5 ${s.best.meanAP50.toFixed(3)} (${(s.ms / 1000).toFixed(1)} s)`);
      }
      for (const it of fam) {
        const r = runClassical(it, point);
        results.push({
          item: it.id,
          family: it.family,
          method: 'classical',
          scores: scoresOf(instanceAP(r.labels, it.labels.data)),
          ms: r.ms,
          detail: { pipeline: it.kind === 'nuclei' ? 'segmentCells' : 'segmentMembranes', ...physicalParams(it, point), threshold: r.threshold, seeds: r.seeds },
        });
      }
    }
  }
  for (const m of methods) {
    if (m === 'classical') continue;
    for (const it of items) {
      if (!methodApplies(m, it.kind)) continue;
      const t = performance.now();
      const r = await opts.runModel!(m, it);
      const ms = performance.now() - t;
      if (r.labels.length !== it.labels.data.length) {
        throw new ArgumentError(`model '${m}' returned ${r.labels.length} labels for ${it.labels.data.length} voxels`, { where: `runValidationSuite(${it.id})`, hint: 'Models must return instance labels on the item grid.' });
      }
      const scores = scoresOf(instanceAP(r.labels, it.labels.data));
      results.push({ item: it.id, family: it.family, method: m, scores, ms, detail: { runner: r.runner, device: r.device, adapter: r.adapter ?? null, fallbackReason: r.fallbackReason ?? null } });
      log(`${m} ${it.id}: AP@0.5 ${scores.ap50.toFixed(3)} (${(ms / 1000).toFixed(1)} s, ${r.runner ?? '?'} on ${r.device ?? '?'})`);
    }
  }

  const families: FamilyResult[] = present.map((f) => {
    const n = items.filter((it) => it.family === f.family);
    const fr: FamilyResult = {
      family: f.family,
      kind: f.kind,
      description: f.description,
      items: n.length,
      nGt: n.reduce((s, it) => s + countLabels(it.labels.data), 0),
      methods: {},
    };
    for (const m of methods) {
      const rs = results.filter((r) => r.family === f.family && r.method === m);
      if (rs.length) fr.methods[m] = summarise(rs);
    }
    if (chosen[f.family]) fr.classical = chosen[f.family];
    const model = fr.methods[f.kind];
    if (model && fr.methods.classical) fr.delta = model.ap50 - fr.methods.classical.ap50;
    return fr;
  });
  return { methods, families, items: results, tuning, acceptance: acceptanceChecks(families), totalMs: performance.now() - t0 };
}

/** Number of distinct labels > 0. */
export function countLabels(a: Uint32Array): number {
  const s = new Set<number>();
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) s.add(a[i]);
  return s.size;
}
