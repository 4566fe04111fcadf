/**
 * The validation suite's tables: a plain-text table for the terminal, a markdown table (one row per
 * dataset family, a column per method, Δ vs classical, the issue #5 target and whether it is met,
 * then the run's machine / device / runner notes), and `replaceMarkedSection` to write that markdown
 * between two HTML comment markers of a document (docs/BENCHMARKS.md) without touching the rest.
 */
import { ArgumentError } from '../errors';
import { ACCEPTANCE, type FamilyResult, type MethodId, type MethodSummary, type SuiteResult } from './suite';

/** Where and how the suite ran (the CLI fills it in). */
export interface RunEnvironment {
  /** ISO date-time of the run. */
  date: string;
  /** e.g. "AMD EPYC 7B13 × 2 cores, Linux 6.1". */
  machine: string;
  node: string;
  /** --device as given. */
  deviceRequested: string;
  /** Per model: card name@version, sha256 prefix, runner/device/adapter as run, fallback reason. */
  models: Partial<Record<'nuclei' | 'cells', { card: string; sha256?: string | null; runner?: string; device?: string; adapter?: string | null; fallbackReason?: string | null }>>;
  command: string;
}

const METHOD_TITLE: Record<MethodId, string> = { classical: 'classical', nuclei: 'nuclei U-Net', cells: 'cells U-Net' };

const f3 = (v: number) => v.toFixed(3);
const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(3)}`;

function triple(s: MethodSummary | undefined): string {
  return s ? `${f3(s.ap50)} · ${f3(s.ap75)} · ${f3(s.apMean)}` : '—';
}

function classicalParams(f: FamilyResult): string {
  if (!f.classical) return '—';
  const pipe = f.kind === 'nuclei' ? 'segmentCells' : 'segmentMembranes';
  return `${pipe} σ ${f.classical.smoothSigma}, d ${f.classical.minDistance}${f.classical.chosenBy === 'given' ? ' (given)' : ''}`;
}

function target(f: FamilyResult): string {
  const a = ACCEPTANCE[f.family];
  if (!a) return '—';
  return `${a.model} ≥ classical + ${a.minDelta}${a.minAP50 !== undefined ? `, ≥ ${a.minAP50}` : ''}`;
}

function met(r: SuiteResult, f: FamilyResult): string {
  const c = r.acceptance.find((a) => a.family === f.family);
  if (!c) return '—';
  return c.pass === null ? 'not run' : c.pass ? '**yes**' : '**no**';
}

/** The markdown table and its notes. */
export function suiteMarkdown(r: SuiteResult, env: RunEnvironment): string {
  const models = r.methods.filter((m): m is 'nuclei' | 'cells' => m !== 'classical');
  const head = ['Dataset', 'Items', 'GT instances'];
  if (r.methods.includes('classical')) head.push('classical AP@0.5 · AP@0.75 · mAP', 'classical params (σ, d in x-y voxels)');
  for (const m of models) head.push(`${METHOD_TITLE[m]} AP@0.5 · AP@0.75 · mAP`);
  if (models.length && r.methods.includes('classical')) head.push('Δ AP@0.5 vs classical', 'issue #5 target', 'met');
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 ? '---' : i < 3 ? '---:' : '---')).join(' | ')} |`];
  for (const f of r.families) {
    const row = [f.description, String(f.items), String(f.nGt)];
    if (r.methods.includes('classical')) row.push(triple(f.methods.classical), classicalParams(f));
    for (const m of models) row.push(f.kind === m ? triple(f.methods[m]) : '—');
    if (models.length && r.methods.includes('classical')) row.push(f.delta === undefined ? '—' : signed(f.delta), target(f), met(r, f));
    lines.push(`| ${row.join(' | ')} |`);
  }
  const notes: string[] = [];
  notes.push(
    `AP = TP / (TP + FP + FN), a match is IoU > t (lib/metrics instanceAP); AP@0.5 · AP@0.75 · mAP (mean over t = 0.50:0.05:0.95) are means over the dataset's items. ` +
      'Real crops: the validation half of the labelled crop (x ≥ width/2), labels as they are inside the half (instances cut by the split keep their visible part). ' +
      'Generated: seeds 9001·100003 + i (training uses --seed 1).',
  );
  if (r.methods.includes('classical')) {
    notes.push(
      'Classical: nuclei → `segmentCells` (smoothing → Otsu → EDT → seeds → watershed on −distance), cells → `segmentMembranes` (smoothing → Otsu on the membrane signal → EDT of the membrane-free voxels → seeds → watershed on the membrane signal); ' +
        (r.families.some((f) => f.classical?.chosenBy === 'given')
          ? 'σ and d marked (given) were passed in (`--classical recorded`: the values a full grid search on these items chose, lib/eval/classical-search.ts RECORDED_CLASSICAL_PARAMS); the others were grid-searched in this run.'
          : 'σ and d chosen per dataset by a grid search on these very items (best mean AP@0.5; lib/eval/classical-search.ts), i.e. the best the baseline can do here.'),
    );
  }
  const run = [`${env.date}`, env.machine, `Node ${env.node}`, `--device ${env.deviceRequested}`];
  for (const m of models) {
    const info = env.models[m];
    if (!info) continue;
    run.push(
      `${m}: ${info.card}${info.sha256 ? ` (sha256 ${info.sha256.slice(0, 12)})` : ''} on ${info.runner ?? '?'} / ${info.device ?? '?'}` +
        `${info.adapter ? ` (${info.adapter})` : ''}${info.fallbackReason ? `, fallback: ${info.fallbackReason}` : ''}`,
    );
  }
  run.push(`suite ${(r.totalMs / 1000).toFixed(0)} s`);
  notes.push(`Run: ${run.join('; ')}. Command: \`${env.command}\`.`);
  return `${lines.join('\n')}\n\n${notes.join('\n\n')}\n`;
}

/** A fixed-width table for the terminal. */
export function suiteText(r: SuiteResult): string {
  const cols = ['dataset', 'items', 'gt', ...r.methods.map((m) => `${m} AP50/AP75/mAP`), 'Δ AP50', 'target'];
  const rows = r.families.map((f) => [
    f.family,
    String(f.items),
    String(f.nGt),
    ...r.methods.map((m) => {
      const s = f.methods[m];
      return s ? `${f3(s.ap50)}/${f3(s.ap75)}/${f3(s.apMean)}` : '—';
    }),
    f.delta === undefined ? '—' : signed(f.delta),
    (() => {
      const c = r.acceptance.find((a) => a.family === f.family);
      return c ? `${c.rule}: ${c.pass === null ? 'not run' : c.pass ? 'met' : 'NOT met'}` : '—';
    })(),
  ]);
  const w = cols.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [fmt(cols), fmt(w.map((n) => '-'.repeat(n))), ...rows.map(fmt)].join('\n');
}

export const DEFAULT_MARKER = 'eval:validation';

/**
 * `doc` with the text between `<!-- <marker>:start -->` and `<!-- <marker>:end -->` replaced by
 * `content` (the markers stay). Throws ArgumentError when the markers are missing, repeated or out
 * of order.
 */
export function replaceMarkedSection(doc: string, content: string, marker = DEFAULT_MARKER): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  const hint = `Put the lines '${start}' and '${end}' where the table goes.`;
  if (i < 0 || j < 0) throw new ArgumentError(`the document has no ${i < 0 ? start : end} marker`, { where: 'replaceMarkedSection', hint });
  if (doc.indexOf(start, i + 1) >= 0 || doc.indexOf(end, j + 1) >= 0) throw new ArgumentError('the markers appear more than once', { where: 'replaceMarkedSection', hint });
  if (j < i) throw new ArgumentError(`${end} comes before ${start}`, { where: 'replaceMarkedSection', hint });
  const body = content.endsWith('\n') ? content : `${content}\n`;
  return `${doc.slice(0, i + start.length)}\n${body}${doc.slice(j)}`;
}
