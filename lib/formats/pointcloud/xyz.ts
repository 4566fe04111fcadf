/**
 * Text point clouds (.xyz, .csv, .txt, .pts): one point per line, values separated by whitespace or
 * commas (or semicolons). An optional first line names the columns (x y z r g b nx ny nz intensity
 * label ...); comment lines start with # or //. Without a header, columns are by count:
 * 3 → x y z; 4 → x y z intensity; 6 → x y z r g b; 7 → x y z intensity r g b (Semantic3D);
 * 9 → x y z r g b nx ny nz; otherwise x y z then extras col3, col4, ...
 * A leading single-integer line (the .pts point count) is skipped.
 */
import { FormatError } from '../../errors';
import { CloudBuilder, type ColumnSpec } from './builder';
import { latin1, parseNumberToken } from './common';
import type { PointCloud } from './types';

export interface XyzOptions {
  /** Column names, overriding the header line / defaults. */
  columns?: string[];
}

const DEFAULT_COLUMNS: { [n: number]: string[] } = {
  3: ['x', 'y', 'z'],
  4: ['x', 'y', 'z', 'intensity'],
  6: ['x', 'y', 'z', 'r', 'g', 'b'],
  7: ['x', 'y', 'z', 'intensity', 'r', 'g', 'b'],
  9: ['x', 'y', 'z', 'r', 'g', 'b', 'nx', 'ny', 'nz'],
};

function defaultColumns(n: number): string[] {
  return DEFAULT_COLUMNS[n] ?? Array.from({ length: n }, (_, k) => (k < 3 ? 'xyz'[k] : `col${k}`));
}

/** Reads a delimited text point cloud. */
export function readXyz(bytes: Uint8Array, opts: XyzOptions = {}, where = 'XYZ'): PointCloud {
  const text = latin1(bytes);
  const lines = text.split('\n');
  // data lines: [line number (1-based), text]
  const rows: number[] = [];
  for (let n = 0; n < lines.length; n++) {
    const t = lines[n].trim();
    if (t === '' || t.startsWith('#') || t.startsWith('//')) continue;
    rows.push(n);
  }
  if (rows.length === 0) {
    throw new FormatError('no data lines', { where: `${where}: line 1`, hint: 'A text point cloud has one point per line: x y z [more values].' });
  }
  const first = lines[rows[0]].trim();
  const sep: RegExp = first.includes(',') ? /\s*,\s*/ : first.includes(';') ? /\s*;\s*/ : /\s+/;
  const split = (n: number) => lines[n].trim().split(sep);
  let start = 0;
  let columns = opts.columns;
  const firstTok = split(rows[0]);
  if (firstTok.some((t) => parseNumberToken(t) === undefined)) {
    // header line of column names
    if (!columns) columns = firstTok.map((t) => t.replace(/^["']|["']$/g, '').replace(/^\/\/\s*/, ''));
    start = 1;
  } else if (firstTok.length === 1 && rows.length > 1 && split(rows[1]).length >= 3 && /^\d+$/.test(firstTok[0])) {
    start = 1; // .pts point count line
  }
  const count = rows.length - start;
  if (!columns) columns = defaultColumns(count > 0 ? split(rows[start]).length : 3);
  const ncol = columns.length;
  // every value takes at least one character plus a separator: bound the allocation by the input
  if (count * ncol > bytes.length) {
    throw new FormatError(`${ncol} columns × ${count} rows cannot fit in ${bytes.length} bytes: rows are shorter than the header`, {
      where: `${where}: line ${rows[start] + 1}`, hint: `Every row needs the same ${ncol} columns (${columns.join(' ').slice(0, 80)}).`,
    });
  }
  const specs: ColumnSpec[] = columns.map((name) => ({ name, isFloat: true, colorScale: 'auto' }));
  const builder = new CloudBuilder(count, specs, `${where}: columns (${columns.join(' ').slice(0, 80)})`);
  const setters = builder.setters;
  for (let i = 0; i < count; i++) {
    const n = rows[start + i];
    const tok = split(n);
    if (tok.length !== ncol) {
      throw new FormatError(`row has ${tok.length} values, expected ${ncol}`, {
        where: `${where}: line ${n + 1}`, hint: `Every row needs the same ${ncol} columns (${columns.join(' ').slice(0, 80)}).`,
      });
    }
    for (let k = 0; k < ncol; k++) {
      const v = parseNumberToken(tok[k]);
      if (v === undefined) {
        throw new FormatError(`"${tok[k].slice(0, 40)}" is not a number (column ${k + 1}, "${columns[k]}")`, {
          where: `${where}: line ${n + 1}`, hint: 'Values are decimal numbers (nan allowed); comment lines start with # or //.',
        });
      }
      setters[k](i, v);
    }
  }
  return builder.finish();
}
