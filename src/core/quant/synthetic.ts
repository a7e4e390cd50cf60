import type { ConvGeometry } from '../conv-geometry';
import { gaussian, seededRandom } from '../random';
import { convReference } from '../reference/patches';

export interface SyntheticLayer {
  geometry: ConvGeometry;
  m: number;
  input: Float32Array;
  weights: Float32Array;
  target: Float64Array;
}

/**
 * A conv layer fed like a real one: inputs are post-ReLU, correlated across channels (a shared
 * latent mixed in) and smooth in space (a 3 x 3 blur), so A = X^T X is far from diagonal, which is
 * where output reconstruction beats weight rounding. Weights are Gaussian with per-row scales.
 */
export function syntheticConvLayer(o: { m: number; geometry: ConvGeometry; seed: number }): SyntheticLayer {
  const g = o.geometry;
  const normal = gaussian(seededRandom(o.seed));
  const plane = g.height * g.width;
  const latentCount = Math.max(2, Math.floor(g.channels / 3));
  const latent = Float64Array.from({ length: g.batch * latentCount * plane }, normal);
  const mix = Float64Array.from({ length: g.channels * latentCount }, normal);
  const raw = new Float64Array(g.batch * g.channels * plane);
  for (let b = 0; b < g.batch; b++) {
    for (let c = 0; c < g.channels; c++) {
      for (let p = 0; p < plane; p++) {
        let v = 0.5 * normal();
        for (let l = 0; l < latentCount; l++) v += mix[c * latentCount + l] * latent[(b * latentCount + l) * plane + p];
        raw[(b * g.channels + c) * plane + p] = v;
      }
    }
  }
  const input = new Float32Array(raw.length);
  for (let bc = 0; bc < g.batch * g.channels; bc++) {
    for (let y = 0; y < g.height; y++) {
      for (let x = 0; x < g.width; x++) {
        let sum = 0;
        let count = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || xx < 0 || yy >= g.height || xx >= g.width) continue;
            sum += raw[bc * plane + yy * g.width + xx];
            count++;
          }
        }
        input[bc * plane + y * g.width + x] = Math.max(0, sum / count + 0.1);
      }
    }
  }
  const n = (g.channels / g.groups) * g.kernelH * g.kernelW;
  const weights = new Float32Array(o.m * n);
  for (let r = 0; r < o.m; r++) {
    const scale = 0.05 * (0.5 + seededRandom(o.seed + r)());
    for (let k = 0; k < n; k++) weights[r * n + k] = normal() * scale;
  }
  return { geometry: g, m: o.m, input, weights, target: convReference(input, weights, o.m, g) };
}
