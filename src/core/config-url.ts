import { strFromU8, strToU8, unzlibSync, zlibSync } from 'fflate';
import { StudioError } from './errors';
import { PRESETS, type PresetName, type ResizeMode } from './preprocess';
import type { Method } from './quant/plan';
import type { LayoutChoice } from './model-input';

const METHODS: Method[] = ['rtn', 'mse', 'bitsplit'];

export interface LayerSetting {
  bits?: number;
  method?: Method;
  skip?: boolean;
}

/** Every setting of a run: what the page edits, the worker runs and a link carries. */
export interface StudioSettings {
  wbits: number;
  abits: number | 'float';
  method: Method;
  ecaq: boolean;
  /**
   * One activation scale per conv input channel, folded into the reading layer's weights (the paper's
   * variant); 'auto': only below 8 bits and where one scale per tensor loses much more (channel-choice.ts).
   */
  channelScales: boolean | 'auto';
  /** Bit-Split layers' biases absorb their mean output error, and the weights are fitted to the rest. */
  biasCorrection: boolean;
  /** With error compensation: a residual branch's last layer also makes up for its shortcut's drift. */
  residualCompensation: boolean;
  /** Bit-Split rows may also take the b-bit integer's extra level (full-grid.ts). */
  fullGrid: boolean;
  /** Activations that may be negative get 2^bits levels with a zero point instead of a symmetric grid. */
  asymmetric: boolean;
  calibImages: number;
  seed: number;
  /** Weight bits of the first and last quantized layers (the paper keeps them at 8). */
  firstLastBits: number;
  /** Bit-Split epochs at most per plane (the solver usually stops earlier, at its fixed point). */
  epochs: number;
  /** Output positions sampled per calibration image for the Gram matrices. */
  positions: number;
  /** Preprocessing: a preset names the mean/std it started from; the fields are what is used. */
  preset: string;
  resize: ResizeMode;
  colorOrder: 'RGB' | 'BGR';
  mean: number[];
  std: number[];
  /** Height and width fed to a model whose input size is dynamic; null: the first image's own size. */
  inputSize: [number, number] | null;
  /** The input's layout: 'auto' reads it from the model's input shape (and a Transpose after the input). */
  layout: LayoutChoice;
  /** Per-layer choices where they differ from the defaults, by layer name. */
  layers: Record<string, LayerSetting>;
}

export const DEFAULT_SETTINGS: StudioSettings = {
  wbits: 4, abits: 8, method: 'bitsplit', ecaq: true, channelScales: 'auto', biasCorrection: true, residualCompensation: false, fullGrid: true, asymmetric: true, calibImages: 64, seed: 0, firstLastBits: 8, epochs: 100, positions: 128,
  preset: 'imagenet', resize: 'shorter-side-crop', colorOrder: 'RGB', mean: [...PRESETS.imagenet.mean], std: [...PRESETS.imagenet.std], inputSize: null, layout: 'auto', layers: {},
};

/** Everything a colleague needs to reproduce a run, apart from the model file itself. */
export interface SharedConfig {
  version: 1;
  model: { name: string; sha256: string };
  settings: StudioSettings;
}

const MAX_ENCODED = 8192;

const toBase64Url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

export function sharedConfigOf(model: { name: string; sha256: string }, settings: StudioSettings): SharedConfig {
  return { version: 1, model: { name: model.name, sha256: model.sha256 }, settings };
}

/** The link for a model and settings, as the address bar and exported models' metadata carry it. */
export function configLink(model: { name: string; sha256: string }, settings: StudioSettings): string {
  return `#c=${encodeSharedConfig(sharedConfigOf(model, settings))}`;
}

export function encodeSharedConfig(c: SharedConfig): string {
  return toBase64Url(zlibSync(strToU8(JSON.stringify(c)), { level: 9 }));
}

const fail = (why: string): never => {
  throw new StudioError('InvalidArgumentError', `The link's configuration cannot be used: ${why}. The studio keeps its defaults.`);
};

/** Decodes and validates a shared configuration; anything malformed or tampered is refused with the reason. */
export function decodeSharedConfig(text: string): SharedConfig {
  if (text.length > MAX_ENCODED) fail(`it is ${text.length} characters long, more than ${MAX_ENCODED}`);
  let value: unknown;
  try {
    value = JSON.parse(strFromU8(unzlibSync(fromBase64Url(text))));
  } catch {
    return fail('it is not a compressed studio configuration (damaged or cut short?)');
  }
  const c = value as SharedConfig;
  if (typeof c !== 'object' || c === null || c.version !== 1) fail('unknown format version');
  if (typeof c.model?.name !== 'string' || !/^[0-9a-f]{64}$/.test(c.model?.sha256 ?? '')) fail('the model name or SHA-256 is missing');
  const given = (c.settings ?? fail('settings are missing')) as Partial<StudioSettings> & { layerBits?: unknown };
  // Links made before a setting existed get its default; a preset without fields gets the preset's.
  const preset = PRESETS[given.preset as PresetName];
  // Except bias correction, the full grid, asymmetric activations and per-channel scales (now 'auto' by default): links made
  // before they existed ran without them, and reproduce that.
  const s: StudioSettings = { ...DEFAULT_SETTINGS, biasCorrection: false, fullGrid: false, asymmetric: false, channelScales: false, ...(preset ? { mean: [...preset.mean], std: [...preset.std] } : {}), ...given };
  const legacyBits = (value as { layerBits?: Record<string, number> }).layerBits;
  if (legacyBits && !given.layers) s.layers = Object.fromEntries(Object.entries(legacyBits).map(([k, bits]) => [k, { bits }]));
  const int = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
  const finite = (v: unknown, positive: boolean) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0);
  if (!int(s.wbits, 2, 8)) fail(`weight bits ${JSON.stringify(s.wbits)} are not 2 to 8`);
  if (s.abits !== 'float' && !int(s.abits, 2, 8)) fail(`activation bits ${JSON.stringify(s.abits)} are not 2 to 8 or "float"`);
  if (!METHODS.includes(s.method)) fail(`method ${JSON.stringify(s.method)} is unknown`);
  if (typeof s.ecaq !== 'boolean') fail('error compensation must be true or false');
  if (typeof s.channelScales !== 'boolean' && s.channelScales !== 'auto') fail('per-channel activation scales must be true, false or "auto"');
  if (typeof s.biasCorrection !== 'boolean') fail('bias correction must be true or false');
  if (typeof s.residualCompensation !== 'boolean') fail('residual compensation must be true or false');
  if (typeof s.fullGrid !== 'boolean') fail('full grid must be true or false');
  if (typeof s.asymmetric !== 'boolean') fail('asymmetric activations must be true or false');
  if (!int(s.calibImages, 1, 1_000_000)) fail(`${JSON.stringify(s.calibImages)} calibration images`);
  if (!int(s.seed, 0, 2 ** 31 - 1)) fail(`seed ${JSON.stringify(s.seed)}`);
  if (!int(s.firstLastBits, 2, 8)) fail(`first/last-layer bits ${JSON.stringify(s.firstLastBits)} are not 2 to 8`);
  if (!int(s.epochs, 0, 10_000)) fail(`${JSON.stringify(s.epochs)} epochs`);
  if (!int(s.positions, 1, 1_000_000)) fail(`${JSON.stringify(s.positions)} positions per image`);
  if (!(s.preset in PRESETS)) fail(`preprocessing preset ${JSON.stringify(s.preset)} is unknown`);
  if (!['shorter-side-crop', 'stretch', 'letterbox'].includes(s.resize)) fail(`resize mode ${JSON.stringify(s.resize)} is unknown`);
  if (s.colorOrder !== 'RGB' && s.colorOrder !== 'BGR') fail(`colour order ${JSON.stringify(s.colorOrder)} is not RGB or BGR`);
  if (!Array.isArray(s.mean) || s.mean.length !== 3 || !s.mean.every((v) => finite(v, false))) fail('the mean is not three numbers');
  if (!Array.isArray(s.std) || s.std.length !== 3 || !s.std.every((v) => finite(v, true))) fail('the std is not three positive numbers');
  if (s.inputSize !== null && !(Array.isArray(s.inputSize) && s.inputSize.length === 2 && s.inputSize.every((v) => int(v, 1, 8192)))) {
    fail(`input size ${JSON.stringify(s.inputSize)} is not [height, width] from 1 to 8192`);
  }
  if (!['auto', 'NCHW', 'NHWC'].includes(s.layout)) fail(`input layout ${JSON.stringify(s.layout)} is not auto, NCHW or NHWC`);
  if (typeof s.layers !== 'object' || s.layers === null || Array.isArray(s.layers)) fail('the per-layer settings are not a table');
  for (const [layer, o] of Object.entries(s.layers)) {
    if (typeof o !== 'object' || o === null) fail(`layer "${layer}" has no settings`);
    if (o.bits !== undefined && !int(o.bits, 2, 8)) fail(`layer "${layer}" has ${JSON.stringify(o.bits)} bits`);
    if (o.method !== undefined && !METHODS.includes(o.method)) fail(`layer "${layer}" has method ${JSON.stringify(o.method)}`);
    if (o.skip !== undefined && typeof o.skip !== 'boolean') fail(`layer "${layer}" has skip ${JSON.stringify(o.skip)}`);
  }
  const { layerBits: _legacy, ...settings } = s as StudioSettings & { layerBits?: unknown };
  return { version: 1, model: { name: c.model.name, sha256: c.model.sha256 }, settings };
}
