import type { QuantizedWeights } from '../core/quant/grid';
import type { SolverProblem } from '../core/quant/bit-split';

/** Integer coordinate descent on codes in [lo, hi] with the step refitted; returns the row objective. */
function refineRow(a: ArrayLike<number>, c: ArrayLike<number>, s: Int32Array, alpha0: number, lo: number, hi: number, n: number): { alpha: number; obj: number } {
  const g = new Float64Array(n);
  let alpha = alpha0;
  for (let outer = 0; outer < 50; outer++) {
    for (let r = 0; r < n; r++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += a[r * n + k] * s[k];
      g[r] = acc;
    }
    let changed = 0;
    for (let sweep = 0; sweep < 50; sweep++) {
      let c2 = 0;
      for (let k = 0; k < n; k++) {
        const diag = a[k * n + k];
        let best = 0;
        let bestD = -1e-12 * Math.abs(alpha * alpha * diag);
        for (const d of [-1, 1]) {
          const nk = s[k] + d;
          if (nk > hi || nk < lo) continue;
          const delta = alpha * alpha * (2 * d * g[k] + diag) - 2 * alpha * d * c[k];
          if (delta < bestD) { bestD = delta; best = d; }
        }
        if (best !== 0) {
          s[k] += best;
          for (let r = 0; r < n; r++) g[r] += best * a[r * n + k];
          c2++;
        }
      }
      changed += c2;
      if (c2 === 0) break;
    }
    let num = 0;
    let den = 0;
    for (let r = 0; r < n; r++) { num += c[r] * s[r]; den += s[r] * g[r]; }
    if (den > 0) alpha = num / den;
    if (changed === 0) break;
  }
  let num = 0;
  let den = 0;
  for (let r = 0; r < n; r++) {
    let acc = 0;
    for (let k = 0; k < n; k++) acc += a[r * n + k] * s[k];
    num += c[r] * s[r];
    den += s[r] * acc;
  }
  return { alpha, obj: alpha * alpha * den - 2 * alpha * num };
}

export function fullRangeRefine(p: SolverProblem, q: QuantizedWeights): number {
  const { n } = p;
  const qmax = 2 ** (q.bits - 1) - 1;
  let flipped = 0;
  for (let row = 0; row < p.m; row++) {
    if (q.steps[row] === 0) continue;
    const a = p.a[Math.floor(row / (p.m / p.groups))];
    const c = Array.from({ length: n }, (_, k) => p.c[row * n + k]);
    const s1 = q.codes.slice(row * n, (row + 1) * n);
    const s2 = s1.map((v) => -v);
    const r1 = refineRow(a, c, s1, q.steps[row], -qmax - 1, qmax, n);
    const r2 = refineRow(a, c, s2, -q.steps[row], -qmax - 1, qmax, n);
    const [s, r] = r1.obj <= r2.obj ? [s1, r1] : [s2, r2];
    if (s === s2) flipped++;
    q.codes.set(s, row * n);
    q.steps[row] = r.alpha;
  }
  return flipped;
}
