import shader from '../../../shaders/conv-gram.wgsl?raw';
import { convOutputSize, patchLength, type ConvGeometry } from '../../core/conv-geometry';
import { StudioError } from '../../core/errors';
import { BufferPool } from '../buffer-pool';
import type { GpuContext } from '../device';
import { PipelineCache } from '../pipelines';
import { readBuffer } from '../readback';
import { bindBuffers, uniformBuffer } from '../dispatch';
import { encodeGramReduce } from './gram-reduce';
import { encodePadInput } from './pad-input';

const WORKGROUP_SIZE = 64;
const TILE = 4;
/** Positions summed by one invocation before its partial is handed to the compensated reduction. */
const POSITIONS_PER_CHUNK = 256;
/** Upper bound on the scratch buffer of partial sums. */
const PARTIAL_BUDGET_BYTES = 128 * 1024 * 1024;

export type InputGeometry = Omit<ConvGeometry, 'batch'>;

/**
 * Streams calibration batches through `A_g = X_g^T X_g` for every group g of a convolution (a dense
 * layer is a 1 x 1 conv on a 1 x 1 image). Sums stay on the GPU between batches.
 */
export class ConvGramAccumulator {
  readonly n: number;
  private readonly total: GPUBuffer;
  private readonly compensation: GPUBuffer;
  private readonly pool: BufferPool;
  private readonly pipelines: PipelineCache;
  private positionsSeen = 0;

  constructor(
    private readonly ctx: GpuContext,
    readonly geometry: InputGeometry,
    shared?: { pool?: BufferPool; pipelines?: PipelineCache },
  ) {
    validateGeometry(geometry, ctx);
    this.n = patchLength({ ...geometry, batch: 1 });
    this.pool = shared?.pool ?? new BufferPool(ctx.device);
    this.pipelines = shared?.pipelines ?? new PipelineCache(ctx.device);
    const bytes = geometry.groups * this.n * this.n * 4;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.total = ctx.device.createBuffer({ size: bytes, usage, label: 'conv-gram:total' });
    this.compensation = ctx.device.createBuffer({ size: bytes, usage, label: 'conv-gram:compensation' });
  }

  get positions(): number {
    return this.positionsSeen;
  }

  /** Adds one batch given on the host as NCHW float32. */
  async add(input: Float32Array, batch: number): Promise<void> {
    const g = this.geometry;
    const expected = batch * g.channels * g.height * g.width;
    if (input.length !== expected) {
      throw new StudioError('InvalidArgumentError',
        `conv-gram: input has ${input.length} values; a batch of ${batch} x ${g.channels} x ${g.height} x ${g.width} needs ${expected}.`);
    }
    const buffer = this.pool.acquire(input.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, 'conv-gram:input');
    this.ctx.device.queue.writeBuffer(buffer, 0, input.buffer, input.byteOffset, input.byteLength);
    await this.addBuffer(buffer, batch);
    this.pool.release(buffer);
  }

  /** Adds one batch already on the GPU (NCHW float32); the buffer may be reused once this resolves. */
  async addBuffer(input: GPUBuffer, batch: number): Promise<void> {
    const g = this.geometry;
    const { outH, outW } = convOutputSize({ ...g, batch });
    const positions = batch * outH * outW;
    const scratchPerChunk = g.groups * this.n * this.n * 4;
    const maxChunks = Math.max(1, Math.min(65535, Math.floor(PARTIAL_BUDGET_BYTES / scratchPerChunk)));
    const chunks = Math.min(maxChunks, Math.max(1, Math.ceil(positions / POSITIONS_PER_CHUNK)));
    const chunk = Math.ceil(positions / chunks);
    const tiles = Math.ceil(this.n / TILE);

    const paddedHeight = g.height + g.padTop + g.padBottom;
    const paddedWidth = g.width + g.padLeft + g.padRight;
    const needsPadding = paddedHeight !== g.height || paddedWidth !== g.width;

    await this.ctx.checked('conv-gram', async () => {
      const device = this.ctx.device;
      const encoder = device.createCommandEncoder({ label: 'conv-gram' });
      const temporary: GPUBuffer[] = [];
      let source = input;
      if (needsPadding) {
        source = this.pool.acquire(batch * g.channels * paddedHeight * paddedWidth * 4, GPUBufferUsage.STORAGE, 'conv-gram:padded');
        temporary.push(await encodePadInput(this.ctx, this.pipelines, encoder, {
          source: input, target: source, planes: batch * g.channels, height: g.height, width: g.width,
          padTop: g.padTop, padLeft: g.padLeft, paddedHeight, paddedWidth,
        }));
      }
      const partial = this.pool.acquire(chunks * scratchPerChunk, GPUBufferUsage.STORAGE, 'conv-gram:partial');
      const params = uniformBuffer(device, Uint32Array.of(
        g.channels, paddedHeight, paddedWidth, g.channels / g.groups,
        outH, outW, g.kernelH, g.kernelW,
        g.strideH, g.strideW, g.dilationH, g.dilationW,
        0, 0, this.n, tiles,
        positions, chunk, g.groups, 0,
      ), 'conv-gram:params');
      temporary.push(params);
      const pipeline = await this.pipelines.get('conv-gram', shader, { WORKGROUP_SIZE });
      const pass = encoder.beginComputePass({ label: 'conv-gram:partials' });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindBuffers(device, pipeline, [params, source, partial]));
      pass.dispatchWorkgroups(Math.ceil((tiles * tiles) / WORKGROUP_SIZE), g.groups, chunks);
      pass.end();
      temporary.push(await encodeGramReduce(this.ctx, this.pipelines, encoder, {
        partial, total: this.total, compensation: this.compensation, groups: g.groups, n: this.n, chunks,
      }));
      device.queue.submit([encoder.finish()]);
      this.pool.release(partial);
      if (source !== input) this.pool.release(source);
      await device.queue.onSubmittedWorkDone();
      for (const b of temporary) b.destroy();
    });
    this.positionsSeen += positions;
  }

  /** The accumulated Gram matrix of each group, row-major N x N. */
  async read(): Promise<Float64Array[]> {
    const [total, comp] = await Promise.all([
      readBuffer(this.ctx.device, this.total),
      readBuffer(this.ctx.device, this.compensation),
    ]);
    const t = new Float32Array(total);
    const c = new Float32Array(comp);
    const nn = this.n * this.n;
    return Array.from({ length: this.geometry.groups }, (_, g) =>
      Float64Array.from({ length: nn }, (_, i) => t[g * nn + i] - c[g * nn + i]),
    );
  }

  destroy(): void {
    this.total.destroy();
    this.compensation.destroy();
  }
}

function validateGeometry(g: InputGeometry, ctx: GpuContext): void {
  const ints = Object.entries(g).filter(([, v]) => !Number.isInteger(v) || v < 0);
  if (ints.length > 0) throw new StudioError('InvalidArgumentError', `conv-gram: ${ints.map(([k, v]) => `${k}=${v}`).join(', ')} must be non-negative integers.`);
  for (const key of ['channels', 'height', 'width', 'groups', 'kernelH', 'kernelW', 'strideH', 'strideW', 'dilationH', 'dilationW'] as const) {
    if (g[key] < 1) throw new StudioError('InvalidArgumentError', `conv-gram: ${key} must be at least 1, got ${g[key]}.`);
  }
  if (g.channels % g.groups !== 0) {
    throw new StudioError('InvalidArgumentError', `conv-gram: ${g.channels} channels do not split into ${g.groups} groups.`);
  }
  const n = patchLength({ ...g, batch: 1 });
  const tiles = Math.ceil(n / TILE);
  if (Math.ceil((tiles * tiles) / WORKGROUP_SIZE) > 65535 || g.groups > 65535) {
    throw new StudioError('InvalidArgumentError', `conv-gram: a reduction length of ${n} (or ${g.groups} groups) exceeds what one dispatch covers.`);
  }
  const bytes = g.groups * n * n * 4;
  if (bytes > ctx.adapterSummary.maxStorageBufferBindingSize) {
    throw new StudioError('InvalidArgumentError',
      `conv-gram: the Gram matrices need ${bytes} bytes; this GPU binds at most ${ctx.adapterSummary.maxStorageBufferBindingSize}.`);
  }
}
