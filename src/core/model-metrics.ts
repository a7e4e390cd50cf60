import type { ValueShape } from './onnx/graph';

/** Classifier figures over rows of class scores, against the float model's rows and labels where known. */
export interface ClassMetrics {
  images: number;
  /** Percent, when labels exist. */
  top1?: number;
  top5?: number;
  top1Float?: number;
  /** Percent of images whose top-1 class equals the float model's. */
  agreement: number;
  /** Mean KL(softmax(float) || softmax(quantized)) per image, nats. */
  kl: number;
  /** 10 log10(||float||^2 / ||float - quantized||^2) over all scores. */
  sqnrDb: number;
}

/** How one model output moved: the signal figures always, the classifier figures where it reads as class scores. */
export interface OutputMetrics extends Partial<Omit<ClassMetrics, 'images' | 'sqnrDb'>> {
  name: string;
  /** As the model declares it (a string or null for a dynamic dimension). */
  shape: (number | string | null)[];
  sqnrDb: number;
  /** float . quantized / (|float| |quantized|) over all the output's values. */
  cosine: number;
  maxAbsDiff: number;
}

/**
 * The quantized model against the float model on the scored images: per output, and for the whole model
 * the SQNR over all outputs together. The classifier figures at the top are those of the scores given to
 * the evaluation, else of the first output that reads as class scores ([N, C], C >= 2); absent for other models.
 */
export interface ModelMetrics extends Partial<Omit<ClassMetrics, 'images' | 'sqnrDb'>> {
  images: number;
  sqnrDb: number;
  outputs: OutputMetrics[];
  /** Why labels the images carry were not used (a model without class scores, labels beyond its classes). */
  labelsNote?: string;
}

export type TensorMap = Record<string, { dims: number[]; data: Float32Array }>;

/** Whether a batch of an output reads as class scores: [N, C] with at least two classes. */
export const readsAsClassScores = (dims: readonly number[]) => dims.length === 2 && dims[1] >= 2;

class SignalAccumulator {
  signal = 0;
  noise = 0;
  private dot = 0;
  private quantized = 0;
  private maxAbs = 0;

  add(f: Float32Array, q: Float32Array): void {
    for (let i = 0; i < f.length; i++) {
      const d = f[i] - q[i];
      this.signal += f[i] * f[i];
      this.noise += d * d;
      this.dot += f[i] * q[i];
      this.quantized += q[i] * q[i];
      if (Math.abs(d) > this.maxAbs) this.maxAbs = Math.abs(d);
    }
  }

  result() {
    const norms = Math.sqrt(this.signal * this.quantized);
    return {
      sqnrDb: sqnr(this.signal, this.noise),
      cosine: norms > 0 ? this.dot / norms : this.signal === this.quantized ? 1 : 0,
      maxAbsDiff: this.maxAbs,
    };
  }
}

const sqnr = (signal: number, noise: number) => (noise > 0 ? 10 * Math.log10(signal / noise) : Infinity);

/** Per output and for the whole model (ModelMetrics), from batches of the float and the quantized model's outputs. */
export class ModelMetricsAccumulator {
  private readonly outputs = new Map<string, { signal: SignalAccumulator; classes: ClassScoresAccumulator | null }>();
  private readonly scored: ClassScoresAccumulator | null;
  private images = 0;
  private labelled = 0;

  /** `scores`: turns the first output's batch into class scores (a model read as a classifier another way). */
  constructor(
    private readonly declared: readonly ValueShape[],
    private readonly scores?: (output: Float32Array, batch: number) => Float32Array,
  ) {
    this.scored = scores ? new ClassScoresAccumulator() : null;
  }

  add(float: TensorMap, quantized: TensorMap, labels: (number | null)[]): void {
    const batch = labels.length;
    for (const [name, f] of Object.entries(float)) {
      let o = this.outputs.get(name);
      if (!o)
        this.outputs.set(
          name,
          (o = { signal: new SignalAccumulator(), classes: readsAsClassScores(f.dims) ? new ClassScoresAccumulator() : null }),
        );
      o.signal.add(f.data, quantized[name].data);
      o.classes?.add(f.data, quantized[name].data, f.dims[1], labels);
    }
    const first = this.declared[0]?.name;
    if (this.scored && first) {
      const f = this.scores!(float[first].data, batch);
      this.scored.add(f, this.scores!(quantized[first].data, batch), f.length / batch, labels);
    }
    this.images += batch;
    this.labelled += labels.filter((l) => l !== null && l !== undefined).length;
  }

  result(): ModelMetrics {
    let signal = 0;
    let noise = 0;
    const outputs: OutputMetrics[] = [];
    for (const [name, o] of this.outputs) {
      signal += o.signal.signal;
      noise += o.signal.noise;
      const c = o.classes?.result();
      const shape = this.declared.find((d) => d.name === name)?.dims ?? [];
      outputs.push({ name, shape, ...o.signal.result(), ...(c ? classFigures(c) : {}) });
    }
    const classifier = this.scored?.result() ?? [...this.outputs.values()].find((o) => o.classes)?.classes?.result();
    let labelsNote: string | undefined;
    if (this.labelled > 0 && !classifier)
      labelsNote = `${this.labelled} labelled images: labels ignored, as no output of the model reads as class scores ([N, C]).`;
    else if (this.labelled > 0 && classifier?.beyond) {
      labelsNote = `${classifier.beyond} of ${this.labelled} labels name a class beyond the model's ${classifier.classes} (0..${classifier.classes - 1}): labels ignored.`;
    }
    return {
      images: this.images,
      sqnrDb: sqnr(signal, noise),
      outputs,
      ...(classifier ? classFigures(classifier) : {}),
      ...(labelsNote ? { labelsNote } : {}),
    };
  }
}

function classFigures({ agreement, kl, top1, top5, top1Float }: ClassMetrics) {
  return { agreement, kl, ...(top1 !== undefined ? { top1, top5, top1Float } : {}) };
}

/** Classifier figures over rows of class scores; labels beyond the classes count apart and void the label figures. */
export class ClassScoresAccumulator {
  private images = 0;
  private labelled = 0;
  private beyond = 0;
  private classes = 0;
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
    this.classes = classes;
    for (let b = 0; b < batch; b++) {
      const f = float.subarray(b * classes, (b + 1) * classes);
      const q = quantized.subarray(b * classes, (b + 1) * classes);
      const rankedQ = argsort(q);
      const bestF = argsort(f)[0];
      if (rankedQ[0] === bestF) this.agree++;
      const label = labels[b];
      if (label !== null && label !== undefined && label >= classes) this.beyond++;
      else if (label !== null && label !== undefined) {
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

  result(): ClassMetrics & { beyond: number; classes: number } {
    const pct = (x: number, of: number) => (100 * x) / of;
    return {
      images: this.images,
      ...(this.labelled > 0 && this.beyond === 0
        ? {
            top1: pct(this.top1, this.labelled),
            top5: pct(this.top5, this.labelled),
            top1Float: pct(this.top1Float, this.labelled),
          }
        : {}),
      agreement: pct(this.agree, Math.max(1, this.images)),
      kl: this.kl / Math.max(1, this.images),
      sqnrDb: sqnr(this.signal, this.noise),
      beyond: this.beyond,
      classes: this.classes,
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
