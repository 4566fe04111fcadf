/** Small display helpers shared by the pages (pure). */
export function fmtDate(d: unknown): string {
  if (d === null || d === undefined) return '—';
  const date = d instanceof Date ? d : new Date(String(d));
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

/** Duration between two timestamps, "1.2 s" / "3 min 4 s"; '—' when incomplete. */
export function fmtDuration(start: unknown, end: unknown): string {
  if (!start || !end) return '—';
  const ms = new Date(String(end instanceof Date ? end.toISOString() : end)).getTime() - new Date(String(start instanceof Date ? start.toISOString() : start)).getTime();
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function fmtNum(x: unknown, digits = 1): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  return x.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Reads `meta.units`/`meta.shape`/`meta.spacing` from a study's free-form meta JSON. */
export function studyMeta(meta: unknown): { units: string; shape: number[] | null; spacing: number[] | null; datatype: string | null } {
  const m = (meta && typeof meta === 'object' ? meta : {}) as Record<string, unknown>;
  const arr = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : null);
  return {
    units: displayUnits(typeof m.units === 'string' && m.units ? m.units : 'mm'),
    shape: arr(m.shape),
    spacing: arr(m.spacing),
    datatype: typeof m.datatype === 'string' ? m.datatype : null,
  };
}

/** 'um'/'micron' → 'µm'; other units unchanged. */
export function displayUnits(u: string): string {
  return u === 'um' || u === 'micron' || u === 'microns' ? 'µm' : u;
}

export function unitsCubed(units: string): string {
  return `${displayUnits(units)}³`;
}
