/** Model-level comparison of quantized outputs with float outputs, and with labels when known. */
export interface ModelMetrics {
  images: number;
  /** Percent, when labels exist. */
  top1?: number;
  top5?: number;
  top1Float?: number;
  /** Percent of images whose top-1 class equals the float model's. */
  agreement: number;
  /** Mean KL(softmax(float) || softmax(quantized)) per image, nats. */
  kl: number;
  /** 10 log10(||float||^2 / ||float - quantized||^2) over all outputs. */
  sqnrDb: number;
}

export class MetricsAccumulator {
  private images = 0;
  private labelled = 0;
  private top1 = 0;
  private top5 = 0;
  private top1Float = 0;
  private agree = 0;
  private kl = 0;
  private signal = 0;
  private noise = 0;

  /** Adds a batch of logits, [batch, classes] row-major. */
  add(float: Float32Array, quantized: Float32Array, classes: number, labels: (number | null)[]): void {
    const batch = float.length / classes;
    for (let b = 0; b < batch; b++) {
      const f = float.subarray(b * classes, (b + 1) * classes);
      const q = quantized.subarray(b * classes, (b + 1) * classes);
      const rankedQ = argsort(q);
      const bestF = argsort(f)[0];
      if (rankedQ[0] === bestF) this.agree++;
      const label = labels[b];
      if (label !== null && label !== undefined) {
        this.labelled++;
        if (rankedQ[0] === label) this.top1++;
        if (rankedQ.slice(0, 5).includes(label)) this.top5++;
        if (bestF === label) this.top1Float++;
      }
      const pf = softmax(f);
      const pq = softmax(q);
      for (let k = 0; k < classes; k++) if (pf[k] > 0) this.kl += pf[k] * (Math.log(pf[k]) - Math.log(Math.max(pq[k], 1e-30)));
      for (let k = 0; k < classes; k++) {
        this.signal += f[k] * f[k];
        this.noise += (f[k] - q[k]) ** 2;
      }
      this.images++;
    }
  }

  result(): ModelMetrics {
    const pct = (x: number, of: number) => (100 * x) / of;
    return {
      images: this.images,
      ...(this.labelled > 0 ? { top1: pct(this.top1, this.labelled), top5: pct(this.top5, this.labelled), top1Float: pct(this.top1Float, this.labelled) } : {}),
      agreement: pct(this.agree, Math.max(1, this.images)),
      kl: this.kl / Math.max(1, this.images),
      sqnrDb: this.noise > 0 ? 10 * Math.log10(this.signal / this.noise) : Infinity,
    };
  }
}

function argsort(v: ArrayLike<number>): number[] {
  return Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[b] - v[a]);
}

function softmax(v: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) max = Math.max(max, v[i]);
  const e = Float64Array.from(v, (x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/** Largest |a - b| over the largest |b|: the relative difference an exported model keeps under 1e-4 against the simulation. */
export function relativeDifference(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}
