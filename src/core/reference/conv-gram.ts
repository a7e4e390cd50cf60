import { convOutputSize, patchLength, type ConvGeometry } from '../conv-geometry';
import { forEachPatch } from './patches';

/** Float64 reference of conv-gram.wgsl: one row-major N x N matrix A = X^T X per group. */
export function convGramReference(input: ArrayLike<number>, g: ConvGeometry, only?: ArrayLike<number>): Float64Array[] {
  const n = patchLength(g);
  return Array.from({ length: g.groups }, (_, group) => {
    const a = new Float64Array(n * n);
    forEachPatch(
      input,
      g,
      group,
      (patch) => {
        for (let r = 0; r < n; r++) {
          const v = patch[r];
          if (v !== 0) for (let s = r; s < n; s++) a[r * n + s] += v * patch[s];
        }
      },
      only,
    );
    // Only the upper triangle was summed: A is symmetric.
    for (let r = 1; r < n; r++) for (let s = 0; s < r; s++) a[r * n + s] = a[s * n + r];
    return a;
  });
}

/**
 * Float64 reference of cross-gram.wgsl and channel-energy.wgsl: C = Y^T X (row m against its group's
 * patches, row-major M x N) and the per-channel energy yy[m] = sum of Y[:, m]^2, for targets Y in NCHW.
 */
export function crossGramReference(
  input: ArrayLike<number>,
  target: ArrayLike<number>,
  m: number,
  g: ConvGeometry,
  only?: ArrayLike<number>,
): { c: Float64Array; yy: Float64Array } {
  const n = patchLength(g);
  const { outH, outW } = convOutputSize(g);
  const plane = outH * outW;
  const rowsPerGroup = m / g.groups;
  const c = new Float64Array(m * n);
  const yy = new Float64Array(m);
  for (let group = 0; group < g.groups; group++) {
    forEachPatch(
      input,
      g,
      group,
      (patch, position) => {
        const b = Math.floor(position / plane);
        const p = position % plane;
        for (let r = group * rowsPerGroup; r < (group + 1) * rowsPerGroup; r++) {
          const y = target[(b * m + r) * plane + p];
          yy[r] += y * y;
          if (y !== 0) for (let k = 0; k < n; k++) c[r * n + k] += y * patch[k];
        }
      },
      only,
    );
  }
  return { c, yy };
}
