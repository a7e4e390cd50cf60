import type { LayoutChoice } from './model-input';
import { PRESETS, type PresetName, type ResizeMode } from './preprocess';
import type { LayerOverride, Method } from './quant/plan';

/**
 * Every setting of a run, declared once: the page's controls, the command line's flags and `--help`,
 * the share link's validation and the job's configuration are all read from these entries.
 */

/** The settings an entry's availability depends on (kept apart so the schema's types do not refer to themselves). */
interface Gate {
  ecaq: boolean;
  abits: number | 'float';
  method: Method;
}

interface Common {
  /** The page's label; lower-cased, the subject of a link's or a flag's error message. */
  label: string;
  /** The page's tooltip and the command line's `--help` line. */
  help: string;
  /** The command-line flag, without its dashes. */
  flag: string;
  /** Where the page shows it. */
  group: 'quantize' | 'preprocess';
  /** Whether it has an effect under the other settings (the page disables it where it has none). */
  appliesWhen?: (s: Gate) => boolean;
}

export interface IntSpec extends Common {
  kind: 'int';
  default: number;
  min: number;
  max: number;
}
export interface BitsSpec extends Common {
  kind: 'bits-or-float';
  default: number | 'float';
  min: number;
  max: number;
}
export interface BoolSpec extends Common {
  kind: 'boolean';
  default: boolean;
  /** What a link made before the setting existed ran with, where that differs from the default. */
  legacy?: boolean;
  /** A second flag that sets it to false (besides `--no-FLAG`). */
  negation?: string;
}
export interface AutoBoolSpec extends Common {
  kind: 'boolean-or-auto';
  default: boolean | 'auto';
  legacy?: boolean | 'auto';
}
export interface ChoiceSpec<T extends string = string> extends Common {
  kind: 'choice';
  default: T;
  choices: readonly { value: T; label: string }[];
}
export interface TripleSpec extends Common {
  kind: 'triple';
  default: readonly number[];
  positive: boolean;
}
export interface SizeSpec extends Common {
  kind: 'size';
  default: null;
  max: number;
}

export type SettingSpec = IntSpec | BitsSpec | BoolSpec | AutoBoolSpec | ChoiceSpec | TripleSpec | SizeSpec;

const int = (s: Omit<IntSpec, 'kind'>): IntSpec => ({ kind: 'int', ...s });
const bool = (s: Omit<BoolSpec, 'kind'>): BoolSpec => ({ kind: 'boolean', ...s });
const choice = <T extends string>(s: Omit<ChoiceSpec<T>, 'kind'>): ChoiceSpec<T> => ({ kind: 'choice', ...s });
const quantized = (s: Gate) => s.abits !== 'float';

export const SETTINGS = {
  wbits: int({
    label: 'Weight bits',
    flag: 'wbits',
    group: 'quantize',
    default: 4,
    min: 2,
    max: 8,
    help: 'Bits per weight of every quantized layer but the first and last.',
  }),
  abits: {
    kind: 'bits-or-float',
    label: 'Activation bits',
    flag: 'abits',
    group: 'quantize',
    default: 8,
    min: 2,
    max: 8,
    help: 'Bits per activation at each quantized layer\'s input, or "float" to quantize the weights alone.',
  } satisfies BitsSpec as BitsSpec,
  method: choice<Method>({
    label: 'Method',
    flag: 'method',
    group: 'quantize',
    default: 'bitsplit',
    choices: [
      { value: 'bitsplit', label: 'Bit-Split' },
      { value: 'mse', label: 'MSE scale' },
      { value: 'rtn', label: 'Round to nearest' },
    ],
    help: "How each layer's weights are quantized: Bit-Split and Stitching on the layer's output error, the scale of least weight error, or round to nearest on the max-abs scale.",
  }),
  ecaq: bool({
    label: 'Error compensation',
    flag: 'ecaq',
    group: 'quantize',
    default: true,
    help: 'Each layer is solved on its real input: the output of the layers before it, already quantized.',
  }),
  channelScales: {
    kind: 'boolean-or-auto',
    label: 'Per-channel activation scales',
    flag: 'channel-scales',
    group: 'quantize',
    default: 'auto',
    legacy: false,
    appliesWhen: (s) => s.ecaq && quantized(s),
    help: "One activation scale per conv input channel, folded into the layer's weights; needs error compensation. Auto: below 8-bit activations, on every conv input when one of them loses much more on one scale per tensor (lopsided channels, as after a Hardswish).",
  } satisfies AutoBoolSpec as AutoBoolSpec,
  biasCorrection: bool({
    label: 'Bias correction',
    flag: 'bias-correction',
    group: 'quantize',
    default: true,
    legacy: false,
    help: "Each Bit-Split layer's bias takes its mean output error (upstream rounding included), and the weights are fitted to the rest.",
  }),
  residualCompensation: bool({
    label: 'Residual compensation',
    flag: 'residual-compensation',
    group: 'quantize',
    default: false,
    appliesWhen: (s) => s.ecaq,
    help: "With error compensation: the last layer of a residual branch aims at the float sum minus the quantized shortcut, so it also makes up for the shortcut's drift.",
  }),
  fullGrid: bool({
    label: 'Full grid',
    flag: 'full-grid',
    group: 'quantize',
    default: true,
    legacy: false,
    appliesWhen: (s) => s.method === 'bitsplit',
    help: "After Bit-Split: each row's codes may also take the b-bit integer's extra level (-2^(b-1), or +2^(b-1) stored with a zero point of -1), by coordinate descent on the layer's output error.",
  }),
  asymmetric: bool({
    label: 'Asymmetric activations',
    flag: 'asymmetric-activations',
    negation: 'symmetric-activations',
    group: 'quantize',
    default: true,
    legacy: false,
    appliesWhen: quantized,
    help: 'Activations that may be negative (after a BatchNormalization, a Hardswish, a residual Add) get all 2^bits levels with a zero point instead of a symmetric grid; with per-channel scales, a zero point per channel.',
  }),
  calibImages: int({
    label: 'Calibration images',
    flag: 'calib',
    group: 'quantize',
    default: 64,
    min: 1,
    max: 1_000_000,
    help: 'Images the layers are solved on: a seeded random subset; the rest are scored.',
  }),
  seed: int({
    label: 'Seed',
    flag: 'seed',
    group: 'quantize',
    default: 0,
    min: 0,
    max: 2 ** 31 - 1,
    help: 'Chooses the calibration images and the sampled positions.',
  }),
  firstLastBits: int({
    label: 'First/last layers',
    flag: 'first-last-bits',
    group: 'quantize',
    default: 8,
    min: 2,
    max: 8,
    help: 'Weight bits of the first and last quantized layers (the paper keeps them at 8).',
  }),
  epochs: int({
    label: 'Epochs (max.)',
    flag: 'epochs',
    group: 'quantize',
    default: 100,
    min: 0,
    max: 10_000,
    help: 'Bit-Split epochs at most per plane; the solver usually stops earlier, at its fixed point.',
  }),
  positions: int({
    label: 'Positions per image',
    flag: 'positions',
    group: 'quantize',
    default: 128,
    min: 1,
    max: 1_000_000,
    help: "Output positions sampled per calibration image for each layer's Gram matrices.",
  }),
  preset: choice<PresetName>({
    label: 'Preprocessing preset',
    flag: 'preset',
    group: 'preprocess',
    default: 'imagenet',
    choices: [
      { value: 'imagenet', label: 'imagenet (mean/std)' },
      { value: 'minus1to1', label: '[-1, 1]' },
      { value: 'zero1', label: '[0, 1]' },
    ],
    help: 'Mean and std to start from: the ImageNet statistics, pixels to [-1, 1], or pixels to [0, 1].',
  }),
  resize: choice<ResizeMode>({
    label: 'Resize',
    flag: 'resize',
    group: 'preprocess',
    default: 'shorter-side-crop',
    choices: [
      { value: 'shorter-side-crop', label: 'shorter side, centre crop' },
      { value: 'stretch', label: 'stretch' },
      { value: 'letterbox', label: 'letterbox' },
    ],
    help: "How an image is brought to the model's input size.",
  }),
  colorOrder: choice<'RGB' | 'BGR'>({
    label: 'Colour order',
    flag: 'color-order',
    group: 'preprocess',
    default: 'RGB',
    choices: [
      { value: 'RGB', label: 'RGB' },
      { value: 'BGR', label: 'BGR' },
    ],
    help: 'The order of the colour channels the model reads.',
  }),
  layout: choice<LayoutChoice>({
    label: 'Input layout',
    flag: 'layout',
    group: 'preprocess',
    default: 'auto',
    choices: [
      { value: 'auto', label: 'auto (from the model)' },
      { value: 'NCHW', label: 'NCHW' },
      { value: 'NHWC', label: 'NHWC' },
    ],
    help: "Where the input's channels sit; auto reads it from the input's shape (and a Transpose right after the input).",
  }),
  mean: {
    kind: 'triple',
    label: 'Mean',
    flag: 'mean',
    group: 'preprocess',
    default: PRESETS.imagenet.mean,
    positive: false,
    help: 'Per channel, subtracted from the pixel scaled to 0..1; --preset sets it unless given.',
  } satisfies TripleSpec as TripleSpec,
  std: {
    kind: 'triple',
    label: 'Std',
    flag: 'std',
    group: 'preprocess',
    default: PRESETS.imagenet.std,
    positive: true,
    help: 'Per channel, what the pixel is then divided by; --preset sets it unless given.',
  } satisfies TripleSpec as TripleSpec,
  inputSize: {
    kind: 'size',
    label: 'Input size',
    flag: 'input-size',
    group: 'preprocess',
    default: null,
    max: 8192,
    help: 'Height x width fed to a model whose input size is open.',
  } satisfies SizeSpec as SizeSpec,
} as const;

export type SettingKey = keyof typeof SETTINGS;

type ValueOf<S> = S extends IntSpec
  ? number
  : S extends BitsSpec
    ? number | 'float'
    : S extends BoolSpec
      ? boolean
      : S extends AutoBoolSpec
        ? boolean | 'auto'
        : S extends ChoiceSpec<infer T>
          ? T
          : S extends TripleSpec
            ? number[]
            : S extends SizeSpec
              ? [number, number] | null
              : never;

export type LayerSetting = LayerOverride;

/** Every setting of a run: what the page edits, the command line takes, the job runs and a link carries. */
export type StudioSettings = { -readonly [K in SettingKey]: ValueOf<(typeof SETTINGS)[K]> } & {
  /** Per-layer choices where they differ from the defaults, by layer name. */
  layers: Record<string, LayerSetting>;
};

const defaultOf = (s: SettingSpec) => (Array.isArray(s.default) ? [...s.default] : s.default);

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export const DEFAULT_SETTINGS: StudioSettings = {
  ...(Object.fromEntries(SETTING_KEYS.map((k) => [k, defaultOf(SETTINGS[k])])) as Omit<StudioSettings, 'layers'>),
  layers: {},
};

/** What a link made before a setting existed ran with. */
export const LEGACY_SETTINGS: Partial<StudioSettings> = Object.fromEntries(
  SETTING_KEYS.flatMap((k) => {
    const s: SettingSpec = SETTINGS[k];
    return 'legacy' in s && s.legacy !== undefined ? [[k, s.legacy]] : [];
  }),
);

const isInt = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
const orList = (items: readonly string[]) =>
  items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;

/** What a value must be, in words: "must be an integer from 2 to 8". */
export function requirement(spec: SettingSpec): string {
  switch (spec.kind) {
    case 'int':
      return `must be an integer from ${spec.min} to ${spec.max}`;
    case 'bits-or-float':
      return `must be an integer from ${spec.min} to ${spec.max} or "float"`;
    case 'boolean':
      return 'must be true or false';
    case 'boolean-or-auto':
      return 'must be true, false or "auto"';
    case 'choice':
      return `must be ${orList(spec.choices.map((c) => c.value))}`;
    case 'triple':
      return `must be three numbers${spec.positive ? ' above 0' : ''}`;
    case 'size':
      return `must be [height, width], each an integer from 1 to ${spec.max}`;
  }
}

/** Whether `value` is a valid value of the setting. */
export function isValidSetting(spec: SettingSpec, value: unknown): boolean {
  switch (spec.kind) {
    case 'int':
      return isInt(value, spec.min, spec.max);
    case 'bits-or-float':
      return value === 'float' || isInt(value, spec.min, spec.max);
    case 'boolean':
      return typeof value === 'boolean';
    case 'boolean-or-auto':
      return typeof value === 'boolean' || value === 'auto';
    case 'choice':
      return spec.choices.some((c) => c.value === value);
    case 'triple':
      return (
        Array.isArray(value) &&
        value.length === 3 &&
        value.every((v) => typeof v === 'number' && Number.isFinite(v) && (!spec.positive || v > 0))
      );
    case 'size':
      return value === null || (Array.isArray(value) && value.length === 2 && value.every((v) => isInt(v, 1, spec.max)));
  }
}

/** The first setting that is not valid, as "weight bits must be an integer from 2 to 8, got 12"; null when all are. */
export function settingsProblem(s: Record<string, unknown>): string | null {
  for (const key of SETTING_KEYS) {
    const spec: SettingSpec = SETTINGS[key];
    if (!isValidSetting(spec, s[key])) return `${spec.label.toLowerCase()} ${requirement(spec)}, got ${JSON.stringify(s[key])}`;
  }
  return null;
}

/** The value a control may hold: clamped into an integer setting's range. */
export function clampSetting(spec: IntSpec, value: number): number {
  return Math.min(spec.max, Math.max(spec.min, Math.floor(Number.isFinite(value) ? value : spec.min)));
}

/** A preset's mean and std, which its fields start from. */
export function presetFields(preset: PresetName): Pick<StudioSettings, 'mean' | 'std'> {
  return { mean: [...PRESETS[preset].mean], std: [...PRESETS[preset].std] };
}
