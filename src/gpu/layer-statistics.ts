import { convOutputSize, patchLength, type ConvGeometry } from '../core/conv-geometry';
import { StudioError } from '../core/errors';
import { batchPositions } from '../core/sampling';
import { BufferPool } from './buffer-pool';
import type { GpuContext } from './device';
import { encodeChannelEnergy } from './kernels/channel-energy';
import { encodeConvGram } from './kernels/conv-gram';
import { encodeCrossGram } from './kernels/cross-gram';
import { encodeGramReduce } from './kernels/gram-reduce';
import { encodePadInput } from './kernels/pad-input';
import { encodePatchSums } from './kernels/patch-sums';
import { encodeSubtractOuter } from './kernels/subtract-outer';
import { emptyMeanSums, type MeanSums } from '../core/quant/bias-correction';
import { TILE, WORKGROUP_SIZE, type PatchPass } from './kernels/patch-pass';
import { PipelineCache } from './pipelines';
import { readBuffer } from './readback';

/** Positions one invocation sums before handing its partial to the compensated reduction. */
const POSITIONS_PER_CHUNK = 256;
/** Upper bound on the scratch buffers of partial sums. */
const PARTIAL_BUDGET_BYTES = 128 * 1024 * 1024;

export type InputGeometry = Omit<ConvGeometry, 'batch'>;

export interface StatisticsOptions {
  /** Output rows M; when set, targets are expected and C = Y^T X and diag(Y^T Y) are summed too. */
  rows?: number;
  /** Visit this many seeded random positions per image instead of all of them. */
  positionsPerImage?: number;
  seed?: number;
  /** Also sum the patches' columns and the targets (needs rows): their means, for bias correction. */
  means?: boolean;
}

interface Sum {
  total: GPUBuffer;
  compensation: GPUBuffer;
}

/**
 * Streams calibration batches into a layer's statistics: A_g = X_g^T X_g per group and, with targets,
 * C = Y^T X and yy = diag(Y^T Y). A dense layer is a 1 x 1 conv on a 1 x 1 image. The patch matrix
 * is never built; sums stay on the GPU between batches as compensated pairs.
 */
export class LayerStatistics {
  readonly n: number;
  readonly rows: number;
  readonly gram: Sum;
  readonly cross: Sum | null;
  readonly energy: Sum | null;
  /** Column sums of the patches per group, and of the targets per row (with `means`). */
  readonly patchSums: Sum | null;
  readonly targetSums: Sum | null;
  private readonly pool: BufferPool;
  private readonly pipelines: PipelineCache;
  private images = 0;
  private visited = 0;

  constructor(
    private readonly ctx: GpuContext,
    readonly geometry: InputGeometry,
    readonly options: StatisticsOptions = {},
    shared?: { pool?: BufferPool; pipelines?: PipelineCache },
  ) {
    validateGeometry(geometry, options, ctx);
    this.n = patchLength({ ...geometry, batch: 1 });
    this.rows = options.rows ?? 0;
    this.pool = shared?.pool ?? new BufferPool(ctx.device);
    this.pipelines = shared?.pipelines ?? new PipelineCache(ctx.device);
    // Read at run time: in Node the GPUBufferUsage global exists only once a GPU was created.
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const sum = (entries: number, label: string): Sum => ({
      total: ctx.device.createBuffer({ size: entries * 4, usage, label: `${label}:total` }),
      compensation: ctx.device.createBuffer({ size: entries * 4, usage, label: `${label}:compensation` }),
    });
    this.gram = sum(geometry.groups * this.n * this.n, 'gram');
    this.cross = this.rows ? sum(this.rows * this.n, 'cross') : null;
    this.energy = this.rows ? sum(this.rows, 'energy') : null;
    this.patchSums = options.means ? sum(geometry.groups * this.n, 'patch-sums') : null;
    this.targetSums = options.means && this.rows ? sum(this.rows, 'target-sums') : null;
  }

  /** Output positions summed so far. */
  get positions(): number {
    return this.visited;
  }

  /** Adds one batch given on the host: input NCHW and, when rows were given, targets NCHW [batch, M, outH, outW]. */
  async add(input: Float32Array, batch: number, target?: Float32Array): Promise<void> {
    const g = this.geometry;
    const { outH, outW } = convOutputSize({ ...g, batch });
    const expectLength = (what: string, data: Float32Array, dims: number[]) => {
      const need = dims.reduce((a, b) => a * b, 1);
      if (data.length !== need) {
        throw new StudioError(
          'InvalidArgumentError',
          `layer statistics: ${what} has ${data.length} values; a batch of ${dims.join(' x ')} needs ${need}.`,
        );
      }
    };
    expectLength('input', input, [batch, g.channels, g.height, g.width]);
    if (this.rows && !target)
      throw new StudioError('InvalidArgumentError', 'layer statistics: targets are required when rows are set.');
    if (target) expectLength('target', target, [batch, this.rows, outH, outW]);
    const upload = (data: Float32Array, label: string) => {
      const buffer = this.pool.acquire(data.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label);
      this.ctx.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
      return buffer;
    };
    const inputBuffer = upload(input, 'statistics:input');
    const targetBuffer = target ? upload(target, 'statistics:target') : undefined;
    await this.addBuffers(inputBuffer, batch, targetBuffer);
    this.pool.release(inputBuffer);
    if (targetBuffer) this.pool.release(targetBuffer);
  }

  /** Adds one batch already on the GPU; the buffers may be reused once this resolves. */
  async addBuffers(input: GPUBuffer, batch: number, target?: GPUBuffer): Promise<void> {
    const g = this.geometry;
    const { outH, outW } = convOutputSize({ ...g, batch });
    const plane = outH * outW;
    const sampled = this.options.positionsPerImage !== undefined && this.options.positionsPerImage < plane;
    const samples = sampled
      ? batchPositions(plane, batch, this.options.positionsPerImage, this.options.seed ?? 0, this.images)
      : null;
    const positions = samples ? samples.length : batch * plane;
    const perChunkBytes = 4 * Math.max(g.groups * this.n * this.n, this.rows * this.n);
    const maxChunks = Math.max(1, Math.min(65535, Math.floor(PARTIAL_BUDGET_BYTES / perChunkBytes)));
    const chunks = Math.min(maxChunks, Math.max(1, Math.ceil(positions / POSITIONS_PER_CHUNK)));
    const height = g.height + g.padTop + g.padBottom;
    const width = g.width + g.padLeft + g.padRight;
    const pass: PatchPass = {
      channels: g.channels,
      height,
      width,
      groups: g.groups,
      kernelH: g.kernelH,
      kernelW: g.kernelW,
      strideH: g.strideH,
      strideW: g.strideW,
      dilationH: g.dilationH,
      dilationW: g.dilationW,
      outH,
      outW,
      n: this.n,
      positions,
      chunk: Math.ceil(positions / chunks),
      chunks,
      sampled,
    };

    await this.ctx.checked('layer statistics', async () => {
      const device = this.ctx.device;
      const encoder = device.createCommandEncoder({ label: 'layer-statistics' });
      const temporary: GPUBuffer[] = [];
      const released: GPUBuffer[] = [];
      const scratch = (bytes: number, label: string) => {
        const buffer = this.pool.acquire(bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label);
        released.push(buffer);
        return buffer;
      };
      const sampleBuffer = scratch(Math.max(16, samples?.byteLength ?? 0), 'statistics:samples');
      if (samples) device.queue.writeBuffer(sampleBuffer, 0, samples);
      let padded = input;
      if (height !== g.height || width !== g.width) {
        padded = scratch(batch * g.channels * height * width * 4, 'statistics:padded');
        temporary.push(
          await encodePadInput(this.ctx, this.pipelines, encoder, {
            source: input,
            target: padded,
            planes: batch * g.channels,
            height: g.height,
            width: g.width,
            padTop: g.padTop,
            padLeft: g.padLeft,
            paddedHeight: height,
            paddedWidth: width,
          }),
        );
      }
      const reduce = async (partial: GPUBuffer, into: Sum, entries: number, symmetricN: number) =>
        temporary.push(
          await encodeGramReduce(this.ctx, this.pipelines, encoder, { partial, ...into, entries, symmetricN, chunks }),
        );

      const gramPartial = scratch(chunks * g.groups * this.n * this.n * 4, 'statistics:gram-partial');
      temporary.push(
        await encodeConvGram(this.ctx, this.pipelines, encoder, pass, {
          input: padded,
          partial: gramPartial,
          samples: sampleBuffer,
        }),
      );
      await reduce(gramPartial, this.gram, g.groups * this.n * this.n, this.n);
      if (target && this.cross && this.energy) {
        const crossPartial = scratch(chunks * this.rows * this.n * 4, 'statistics:cross-partial');
        temporary.push(
          await encodeCrossGram(this.ctx, this.pipelines, encoder, pass, this.rows, {
            input: padded,
            target,
            partial: crossPartial,
            samples: sampleBuffer,
          }),
        );
        await reduce(crossPartial, this.cross, this.rows * this.n, 0);
        const energyPartial = scratch(chunks * this.rows * 4, 'statistics:energy-partial');
        temporary.push(
          await encodeChannelEnergy(this.ctx, this.pipelines, encoder, pass, this.rows, {
            target,
            partial: energyPartial,
            samples: sampleBuffer,
          }),
        );
        await reduce(energyPartial, this.energy, this.rows, 0);
        if (this.targetSums) {
          const sumsPartial = scratch(chunks * this.rows * 4, 'statistics:target-sums-partial');
          temporary.push(
            await encodeChannelEnergy(
              this.ctx,
              this.pipelines,
              encoder,
              pass,
              this.rows,
              { target, partial: sumsPartial, samples: sampleBuffer },
              false,
            ),
          );
          await reduce(sumsPartial, this.targetSums, this.rows, 0);
        }
      }
      if (this.patchSums) {
        const sumsPartial = scratch(chunks * g.groups * this.n * 4, 'statistics:patch-sums-partial');
        temporary.push(
          await encodePatchSums(this.ctx, this.pipelines, encoder, pass, {
            input: padded,
            partial: sumsPartial,
            samples: sampleBuffer,
          }),
        );
        await reduce(sumsPartial, this.patchSums, g.groups * this.n, 0);
      }
      device.queue.submit([encoder.finish()]);
      for (const b of released) this.pool.release(b);
      await device.queue.onSubmittedWorkDone();
      for (const b of temporary) b.destroy();
    });
    this.images += batch;
    this.visited += positions;
  }

  /**
   * Bias correction (bias-correction.ts): reads the column sums of the patches and the targets' sums,
   * and turns A, C and diag(YᵀY) into sums of deviations from the means: A_g -= x_g x_gᵀ / K,
   * C -= y x_gᵀ / K, diag(YᵀY) -= y² / K. Call once, after the last batch; returns the sums read.
   */
  async center(): Promise<MeanSums> {
    if (!this.patchSums)
      throw new StudioError('InvalidArgumentError', 'layer statistics: means were not summed (the `means` option was off).');
    const n = this.n;
    const groups = this.geometry.groups;
    const sums = emptyMeanSums(groups, n, this.rows);
    const x = await this.readSum(this.patchSums);
    sums.x.forEach((part, g) => part.set(x.subarray(g * n, (g + 1) * n)));
    if (this.targetSums) sums.y.set(await this.readSum(this.targetSums));
    sums.count = this.visited;
    await this.ctx.checked('centring for bias correction', async () => {
      const device = this.ctx.device;
      // The compensated sums, read back above, as float32: the kernels' own totals lack their compensation.
      const upload = (values: Float64Array, label: string) => {
        const buffer = device.createBuffer({
          size: Math.max(16, values.length * 4),
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
          label,
        });
        device.queue.writeBuffer(buffer, 0, Float32Array.from(values));
        return buffer;
      };
      const inputs = [upload(x, 'center:x'), ...(this.rows ? [upload(sums.y, 'center:y')] : [])];
      const [ux, uy] = inputs;
      const encoder = device.createCommandEncoder({ label: 'center' });
      const params = [
        await encodeSubtractOuter(this.ctx, this.pipelines, encoder, {
          target: this.gram.total,
          u: ux,
          v: ux,
          rows: groups * n,
          cols: n,
          rowsPerGroup: n,
          count: sums.count,
        }),
      ];
      if (this.cross && this.energy) {
        params.push(
          await encodeSubtractOuter(this.ctx, this.pipelines, encoder, {
            target: this.cross.total,
            u: uy,
            v: ux,
            rows: this.rows,
            cols: n,
            rowsPerGroup: this.rows / groups,
            count: sums.count,
          }),
        );
        params.push(
          await encodeSubtractOuter(this.ctx, this.pipelines, encoder, {
            target: this.energy.total,
            u: uy,
            v: uy,
            rows: this.rows,
            cols: 1,
            rowsPerGroup: 1,
            count: sums.count,
          }),
        );
      }
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      for (const b of [...inputs, ...params]) b.destroy();
    });
    return sums;
  }

  private async readSum(sum: Sum): Promise<Float64Array> {
    const [t, c] = await Promise.all([readBuffer(this.ctx.device, sum.total), readBuffer(this.ctx.device, sum.compensation)]);
    const total = new Float32Array(t);
    const comp = new Float32Array(c);
    return Float64Array.from(total, (v, i) => v - comp[i]);
  }

  /** The Gram matrix of each group, row-major N x N. */
  async readGram(): Promise<Float64Array[]> {
    const all = await this.readSum(this.gram);
    const nn = this.n * this.n;
    return Array.from({ length: this.geometry.groups }, (_, g) => all.slice(g * nn, (g + 1) * nn));
  }

  /** C = Y^T X (row-major M x N) and yy = diag(Y^T Y). */
  async readCross(): Promise<{ c: Float64Array; yy: Float64Array }> {
    if (!this.cross || !this.energy)
      throw new StudioError('InvalidArgumentError', 'layer statistics: no targets were accumulated (rows not set).');
    const [c, yy] = await Promise.all([this.readSum(this.cross), this.readSum(this.energy)]);
    return { c, yy };
  }

  destroy(): void {
    for (const sum of [this.gram, this.cross, this.energy, this.patchSums, this.targetSums]) {
      sum?.total.destroy();
      sum?.compensation.destroy();
    }
  }
}

function validateGeometry(g: InputGeometry, options: StatisticsOptions, ctx: GpuContext): void {
  const fail = (message: string): never => {
    throw new StudioError('InvalidArgumentError', `layer statistics: ${message}`);
  };
  for (const [key, value] of Object.entries(g)) {
    if (!Number.isInteger(value) || value < 0) fail(`${key}=${value} must be a non-negative integer.`);
  }
  for (const key of [
    'channels',
    'height',
    'width',
    'groups',
    'kernelH',
    'kernelW',
    'strideH',
    'strideW',
    'dilationH',
    'dilationW',
  ] as const) {
    if (g[key] < 1) fail(`${key} must be at least 1, got ${g[key]}.`);
  }
  if (g.channels % g.groups !== 0) fail(`${g.channels} channels do not split into ${g.groups} groups.`);
  const rows = options.rows ?? 0;
  if (rows % g.groups !== 0) fail(`${rows} output channels do not split into ${g.groups} groups.`);
  const n = patchLength({ ...g, batch: 1 });
  const tiles = Math.ceil(n / TILE);
  if (Math.ceil((tiles * tiles) / WORKGROUP_SIZE) > 65535 || g.groups > 65535) {
    fail(`a reduction length of ${n} (or ${g.groups} groups) exceeds what one dispatch covers.`);
  }
  const bytes = Math.max(g.groups * n * n, rows * n) * 4;
  if (bytes > ctx.adapterSummary.maxStorageBufferBindingSize) {
    fail(
      `the statistics need ${bytes} bytes in one buffer; this GPU binds at most ${ctx.adapterSummary.maxStorageBufferBindingSize}.`,
    );
  }
}
