/** Milliseconds with three significant digits. */
export const formatMs = (ms: number) => `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;

export const formatInt = (n: number) => n.toLocaleString('en-US');

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(2)} MiB`;
}

export const formatShape = (dims: readonly (number | string | null)[]) => `[${dims.map((d) => d ?? '?').join(' × ')}]`;

/** A log-scale colour from green (at `low` and below) to red (at `high` and above). */
export function logScaleColor(value: number, low: number, high: number): string {
  const t = Math.min(
    1,
    Math.max(0, (Math.log10(Math.max(value, 1e-30)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))),
  );
  return `hsl(${Math.round(130 * (1 - t))} 70% ${Math.round(42 + 8 * t)}%)`;
}

/** Decibels to a tenth; an output the quantized model reproduces exactly has no noise to measure. */
export const formatDb = (db: number) => (Number.isFinite(db) ? `${db.toFixed(1)} dB` : 'exact');
