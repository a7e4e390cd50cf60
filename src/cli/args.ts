import { parseArgs } from 'node:util';
import { StudioError } from '../core/errors';
import type { Method } from '../core/quant/plan';
import type { ComputeChoice } from '../pipeline/solver-backend';
import type { LayoutChoice } from '../core/model-input';

export interface CliOptions {
  model: string;
  images: string;
  wbits: number;
  /** Mixed precision: average bits per quantized weight, first and last layers included. */
  budgetBits?: number;
  abits: number | 'float';
  method: Method;
  ecaq: boolean;
  /** Per-channel activation scales: on, off, or 'auto' (below 8 bits where they pay; needs --ecaq). */
  channelScales: boolean | 'auto';
  biasCorrection: boolean;
  residualCompensation: boolean;
  fullGrid: boolean;
  /** Activations that may be negative on an asymmetric grid (zero point); off: symmetric. */
  asymmetric: boolean;
  calib: number;
  evalImages?: string;
  classes?: string;
  preset: string;
  seed: number;
  out: string;
  report: string;
  inputSize?: { height: number; width: number };
  /** The input's layout; 'auto' reads it from the model. */
  layout: LayoutChoice;
  positions?: number;
  epochs: number;
  batch: number;
  backend: ComputeChoice;
  firstLastBits: number;
  resize: 'shorter-side-crop' | 'stretch' | 'letterbox';
  format: 'int8' | 'int4';
}

export const USAGE = `usage: bitsplit quantize MODEL.onnx --images DIR --wbits B|--budget-bits B --abits B|float --method rtn|mse|bitsplit
         [--ecaq] [--channel-scales|--no-channel-scales] [--no-bias-correction] [--residual-compensation] [--no-full-grid] [--symmetric-activations] [--calib N] [--eval-images DIR] [--classes FILE] [--preset imagenet|minus1to1|zero1]
         [--seed S] [--input-size HxW] [--layout nchw|nhwc] [--positions N] [--epochs N] [--batch N] [--backend auto|gpu|cpu]
         [--first-last-bits B] [--resize shorter-side-crop|stretch|letterbox] [--format int8|int4]
         --out OUT.onnx --report OUT.json`;

const bad = (message: string): never => {
  throw new StudioError('InvalidArgumentError', message);
};

function integer(name: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min || n > max) bad(`--${name} must be an integer from ${min} to ${max}, got "${value}".`);
  return n;
}

/** Parses `quantize MODEL.onnx ...`; every mistake becomes a one-line InvalidArgumentError. */
export function parseCli(argv: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        images: { type: 'string' }, wbits: { type: 'string' }, abits: { type: 'string' }, method: { type: 'string' },
        ecaq: { type: 'boolean', default: false }, 'channel-scales': { type: 'boolean', default: false }, 'no-channel-scales': { type: 'boolean', default: false },
        'no-bias-correction': { type: 'boolean', default: false }, 'residual-compensation': { type: 'boolean', default: false },
        'no-full-grid': { type: 'boolean', default: false }, 'symmetric-activations': { type: 'boolean', default: false }, calib: { type: 'string' }, 'eval-images': { type: 'string' },
        classes: { type: 'string' }, preset: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' },
        report: { type: 'string' }, 'input-size': { type: 'string' }, layout: { type: 'string' }, positions: { type: 'string' }, epochs: { type: 'string' },
        batch: { type: 'string' }, backend: { type: 'string' }, 'first-last-bits': { type: 'string' }, resize: { type: 'string' },
        format: { type: 'string' }, 'budget-bits': { type: 'string' },
      },
    });
  } catch (e) {
    return bad(`${e instanceof Error ? e.message : e}`);
  }
  const { values: v, positionals } = parsed;
  if (positionals[0] !== 'quantize') bad(`unknown command "${positionals[0] ?? ''}"; the command is "quantize".`);
  const model = positionals[1] ?? bad('the model file is missing: bitsplit quantize MODEL.onnx ...');
  if (positionals.length > 2) bad(`unexpected argument "${positionals[2]}".`);
  const required = (name: 'images' | 'abits' | 'method' | 'out' | 'report') => v[name] ?? bad(`--${name} is required.`);
  const method = required('method');
  if (!['rtn', 'mse', 'bitsplit'].includes(method)) bad(`--method must be rtn, mse or bitsplit, got "${method}".`);
  const abits = required('abits');
  const backend = v.backend ?? 'auto';
  if (!['auto', 'gpu', 'cpu'].includes(backend)) bad(`--backend must be auto, gpu or cpu, got "${backend}".`);
  const resize = v.resize ?? 'shorter-side-crop';
  if (!['shorter-side-crop', 'stretch', 'letterbox'].includes(resize)) bad(`--resize must be shorter-side-crop, stretch or letterbox, got "${resize}".`);
  const format = v.format ?? 'int8';
  if (format !== 'int8' && format !== 'int4') bad(`--format must be int8 or int4, got "${format}".`);
  let budgetBits: number | undefined;
  if (v['budget-bits'] !== undefined) {
    budgetBits = Number(v['budget-bits']);
    if (!/^\d+(\.\d+)?$/.test(v['budget-bits']) || budgetBits < 2 || budgetBits > 8) bad(`--budget-bits must be a number of bits from 2 to 8 (e.g. 3 or 2.5), got "${v['budget-bits']}".`);
  }
  if (v.wbits === undefined && budgetBits === undefined) bad('--wbits (or --budget-bits for mixed precision) is required.');
  if (v['channel-scales'] && v['no-channel-scales']) bad('--channel-scales and --no-channel-scales contradict each other: give one (neither: per-channel scales where they pay).');
  const layout = v.layout?.toUpperCase() ?? 'auto';
  if (layout !== 'auto' && layout !== 'NCHW' && layout !== 'NHWC') bad(`--layout must be nchw or nhwc, got "${v.layout}".`);
  let inputSize: CliOptions['inputSize'];
  if (v['input-size'] !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(v['input-size']);
    if (!m) bad(`--input-size must look like 224x224 (height x width), got "${v['input-size']}".`);
    inputSize = { height: Number(m![1]), width: Number(m![2]) };
  }
  return {
    model,
    images: required('images'),
    // Under a budget every layer's bits are chosen; --wbits only names the run.
    wbits: v.wbits === undefined ? Math.min(8, Math.max(2, Math.round(budgetBits!))) : integer('wbits', v.wbits, 2, 8),
    budgetBits,
    abits: abits === 'float' ? 'float' : integer('abits', abits, 2, 8),
    method: method as Method,
    ecaq: Boolean(v.ecaq),
    channelScales: v['channel-scales'] ? true : v['no-channel-scales'] ? false : 'auto',
    biasCorrection: !v['no-bias-correction'],
    residualCompensation: Boolean(v['residual-compensation']),
    fullGrid: !v['no-full-grid'],
    asymmetric: !v['symmetric-activations'],
    calib: v.calib === undefined ? 256 : integer('calib', v.calib, 1, 1_000_000),
    evalImages: v['eval-images'],
    classes: v.classes,
    preset: v.preset ?? 'imagenet',
    seed: v.seed === undefined ? 0 : integer('seed', v.seed, 0, 2 ** 31 - 1),
    out: required('out'),
    report: required('report'),
    inputSize,
    layout: layout as LayoutChoice,
    positions: v.positions === undefined ? undefined : integer('positions', v.positions, 1, 1_000_000),
    epochs: v.epochs === undefined ? 100 : integer('epochs', v.epochs, 0, 10_000),
    batch: v.batch === undefined ? 32 : integer('batch', v.batch, 1, 4096),
    backend: backend as CliOptions['backend'],
    firstLastBits: v['first-last-bits'] === undefined ? 8 : integer('first-last-bits', v['first-last-bits'], 2, 8),
    resize: resize as CliOptions['resize'],
    format: format as CliOptions['format'],
  };
}
