/** The thin progress bar the run and upload panels share: `pct` is a whole percentage 0..100. */
export default function ProgressBar({ pct }: { pct: number }) {
  return (
    <div className="progress" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
      <div style={{ width: `${pct}%` }} />
    </div>
  );
}
