export const formatInt = (n: number) => n.toLocaleString('en-US');

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(2)} MiB`;
}

export const formatShape = (dims: readonly (number | string | null)[]) => `[${dims.map((d) => d ?? '?').join(' × ')}]`;
