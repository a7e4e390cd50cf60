import { parseArgs } from 'node:util';
import { StudioError } from '../core/errors';
import {
  presetFields,
  requirement,
  SETTING_KEYS,
  SETTINGS,
  type BoolSpec,
  type ChoiceSpec,
  type IntSpec,
  type SettingSpec,
  type StudioSettings,
} from '../core/settings';
import { DEFAULT_BATCH } from '../pipeline/job-config';
import type { ComputeChoice } from '../pipeline/solver-backend';

interface PathSpec {
  kind: 'path';
  flag: string;
  label: string;
  help: string;
  /** How `--help` names the value. */
  value: 'DIR' | 'FILE';
  required: boolean;
}
interface NumberSpec {
  kind: 'number';
  flag: string;
  label: string;
  help: string;
  min: number;
  max: number;
}

type CliSpec = SettingSpec | PathSpec | NumberSpec;

/** What only the command line has: files, and how the run is carried out. Every setting of a run is in SETTINGS. */
const CLI_OPTIONS = {
  images: {
    kind: 'path',
    flag: 'images',
    value: 'DIR',
    required: true,
    label: 'Images',
    help: 'Folder of calibration images (JPEG, PNG, WebP; sub-folders named after classes label them).',
  },
  out: {
    kind: 'path',
    flag: 'out',
    value: 'FILE',
    required: true,
    label: 'Output',
    help: 'Where the quantized QDQ ONNX model is written.',
  },
  report: {
    kind: 'path',
    flag: 'report',
    value: 'FILE',
    required: false,
    label: 'Report',
    help: 'Where the JSON report (settings, per-layer records, metrics, timings) is written.',
  },
  evalImages: {
    kind: 'path',
    flag: 'eval-images',
    value: 'DIR',
    required: false,
    label: 'Evaluation images',
    help: 'Folder the result is scored on (default: the images beyond --calib).',
  },
  classes: {
    kind: 'path',
    flag: 'classes',
    value: 'FILE',
    required: false,
    label: 'Classes',
    help: "classes.txt naming the model's classes in order, one per line, for top-1 on labelled images.",
  },
  budgetBits: {
    kind: 'number',
    flag: 'budget-bits',
    label: 'Budget bits',
    min: 2,
    max: 8,
    help: "Mixed precision: average bits per weight, first and last layers included; each layer's bits are chosen by measured sensitivity.",
  },
  batch: {
    kind: 'int',
    flag: 'batch',
    label: 'Batch',
    group: 'quantize',
    default: DEFAULT_BATCH,
    min: 1,
    max: 4096,
    help: 'Images per forward pass: bounds memory, never changes a result.',
  } satisfies IntSpec,
  backend: {
    kind: 'choice',
    flag: 'backend',
    label: 'Backend',
    group: 'quantize',
    default: 'auto',
    choices: [
      { value: 'auto', label: 'auto' },
      { value: 'gpu', label: 'gpu' },
      { value: 'cpu', label: 'cpu' },
    ],
    help: 'Where the solver runs: auto takes a hardware GPU through WebGPU, else the CPU.',
  } satisfies ChoiceSpec<ComputeChoice>,
  format: {
    kind: 'choice',
    flag: 'format',
    label: 'Format',
    group: 'quantize',
    default: 'int8',
    choices: [
      { value: 'int8', label: 'int8' },
      { value: 'int4', label: 'int4' },
    ],
    help: 'Stored weights: int8, or int4 (opset 21) for layers of 4 bits or fewer.',
  } satisfies ChoiceSpec<'int8' | 'int4'>,
  latency: {
    kind: 'boolean',
    flag: 'latency',
    label: 'Latency',
    group: 'quantize',
    default: false,
    help: "Times the float model and the int8 and int4 files in onnxruntime-web's wasm EP (one input at the model's size, median of 20 runs) and reports which layers onnxruntime runs as integer kernels.",
  } satisfies BoolSpec,
} as const;

export type CliOptions = StudioSettings & {
  model: string;
  images: string;
  out: string;
  report: string | null;
  evalImages?: string;
  classes?: string;
  /** Mixed precision: average bits per quantized weight, first and last layers included. */
  budgetBits?: number;
  batch: number;
  backend: ComputeChoice;
  format: 'int8' | 'int4';
  /** Time the float model and the int8 and int4 files, and count the integer kernels onnxruntime runs. */
  latency: boolean;
};

const ALL: [string, CliSpec][] = [
  ...SETTING_KEYS.map((k): [string, CliSpec] => [k, SETTINGS[k]]),
  ...Object.entries(CLI_OPTIONS),
];

const bad = (message: string): never => {
  throw new StudioError('InvalidArgumentError', message);
};

const placeholder = (s: CliSpec): string => {
  switch (s.kind) {
    case 'int':
      return 'N';
    case 'bits-or-float':
      return 'N|float';
    case 'choice':
      return s.choices.map((c) => c.value).join('|');
    case 'triple':
      return 'A,B,C';
    case 'size':
      return 'HxW';
    case 'number':
      return 'B';
    case 'path':
      return s.value;
    default:
      return '';
  }
};

function defaultText(s: CliSpec): string {
  if (s.kind === 'path') return s.required ? 'required' : '';
  if (s.kind === 'number') return `${s.min} to ${s.max}; default: off`;
  if (s.kind === 'boolean' || s.kind === 'boolean-or-auto')
    return `default: ${s.default === true ? 'on' : s.default === false ? 'off' : s.default}`;
  if (s.kind === 'size') return "default: the first image's size";
  const range = s.kind === 'int' || s.kind === 'bits-or-float' ? `${s.min} to ${s.max}; ` : '';
  return `${range}default: ${Array.isArray(s.default) ? s.default.join(',') : s.default}`;
}

function flagsOf(s: CliSpec): string {
  if (s.kind === 'boolean' || s.kind === 'boolean-or-auto')
    return `--${s.flag}, --no-${s.flag}${s.kind === 'boolean' && s.negation ? `, --${s.negation}` : ''}`;
  return `--${s.flag} ${placeholder(s)}`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  return current ? [...lines, current] : lines;
}

/** `bitsplit --help`: every option, with its default, read from the declarations. */
export function helpText(): string {
  // The flags on their own line, the help below, wrapped: readable in an 80-column terminal.
  const line = (s: CliSpec) => {
    const d = defaultText(s);
    return [`  ${flagsOf(s)}`, ...wrap(`${s.help}${d ? ` (${d})` : ''}`, 74).map((l) => `      ${l}`)].join('\n');
  };
  const section = (title: string, specs: CliSpec[]) => [`${title}:`, ...specs.map(line)].join('\n');
  const settings = SETTING_KEYS.map((k): SettingSpec => SETTINGS[k]);
  return [
    'usage: bitsplit quantize MODEL.onnx --images DIR --out OUT.onnx [options]',
    '',
    'Quantizes MODEL.onnx with Bit-Split and error-compensated activations, calibrated on the images in DIR, and',
    "writes a QDQ ONNX model that onnxruntime runs. Every option has the page's default.",
    '',
    section('Files', [CLI_OPTIONS.images, CLI_OPTIONS.out, CLI_OPTIONS.report, CLI_OPTIONS.evalImages, CLI_OPTIONS.classes]),
    '',
    section(
      'Quantization',
      settings.filter((s) => s.group === 'quantize'),
    ),
    '',
    section(
      'Preprocessing',
      settings.filter((s) => s.group === 'preprocess'),
    ),
    '',
    section('Run', [CLI_OPTIONS.budgetBits, CLI_OPTIONS.batch, CLI_OPTIONS.backend, CLI_OPTIONS.format, CLI_OPTIONS.latency]),
    '',
    '  --help',
    '      This text.',
    '',
  ].join('\n');
}

/** A flag's text as its setting's value; a mistake names the flag, what it must be and what it got. */
function valueOf(s: CliSpec, text: string): unknown {
  const wrong = (what = requirementOf(s)) => bad(`--${s.flag} ${what}, got "${text}".`);
  const integer = (t: string, lo: number, hi: number) =>
    /^\d+$/.test(t) && Number(t) >= lo && Number(t) <= hi ? Number(t) : wrong();
  switch (s.kind) {
    case 'int':
      return integer(text, s.min, s.max);
    case 'bits-or-float':
      return text === 'float' ? 'float' : integer(text, s.min, s.max);
    case 'choice':
      return s.choices.find((c) => c.value.toLowerCase() === text.toLowerCase())?.value ?? wrong();
    case 'triple': {
      const v = text.split(',').map((p) => (p.trim() === '' ? NaN : Number(p)));
      return v.length === 3 && v.every((x) => Number.isFinite(x) && (!s.positive || x > 0)) ? v : wrong();
    }
    case 'size': {
      const m = /^(\d+)x(\d+)$/.exec(text);
      const size = m ? [Number(m[1]), Number(m[2])] : null;
      return size && size.every((x) => x >= 1 && x <= s.max) ? size : wrong();
    }
    case 'number': {
      const n = Number(text);
      return /^\d+(\.\d+)?$/.test(text) && n >= s.min && n <= s.max ? n : wrong();
    }
    default:
      return text;
  }
}

const requirementOf = (s: CliSpec): string => {
  if (s.kind === 'size') return 'must look like 224x224 (height x width)';
  if (s.kind === 'number') return `must be a number from ${s.min} to ${s.max} (e.g. 3 or 2.5)`;
  if (s.kind === 'path') return 'must name a file or folder';
  return requirement(s);
};

/** Parses `quantize MODEL.onnx ...` (or `--help`); every mistake becomes a one-line InvalidArgumentError. */
export function parseCli(argv: string[]): CliOptions | { help: string } {
  const options = Object.fromEntries(
    ALL.flatMap(([, s]) => {
      const boolean = s.kind === 'boolean' || s.kind === 'boolean-or-auto';
      const extra = s.kind === 'boolean' && s.negation ? [[s.negation, { type: 'boolean' as const }]] : [];
      return [[s.flag, { type: boolean ? ('boolean' as const) : ('string' as const) }], ...extra];
    }),
  );
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      allowNegative: true,
      tokens: true,
      options: { ...options, help: { type: 'boolean' } },
    });
  } catch (e) {
    return bad(`${e instanceof Error ? e.message : e}`);
  }
  const { positionals, tokens } = parsed;
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { help: helpText() };
  if (positionals[0] !== 'quantize')
    bad(
      positionals[0] === undefined
        ? 'the command is missing: bitsplit quantize MODEL.onnx --images DIR --out OUT.onnx (bitsplit --help lists every option).'
        : `unknown command "${positionals[0]}"; the command is "quantize".`,
    );
  const model = positionals[1] ?? bad('the model file is missing: bitsplit quantize MODEL.onnx ...');
  if (positionals.length > 2) bad(`unexpected argument "${positionals[2]}".`);
  const given = new Set(tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : [])));
  const result: Record<string, unknown> = {};
  for (const [key, s] of ALL) {
    const v = values[s.flag];
    if (s.kind === 'boolean' || s.kind === 'boolean-or-auto') {
      const off = s.kind === 'boolean' && s.negation && values[s.negation] ? s.negation : null;
      const on = tokens.some((t) => t.kind === 'option' && t.name === s.flag && t.rawName === `--${s.flag}`);
      const no = tokens.some((t) => t.kind === 'option' && t.name === s.flag && t.rawName === `--no-${s.flag}`) || off !== null;
      if (on && no) bad(`--${s.flag} and --${off ?? `no-${s.flag}`} contradict each other: give one.`);
      result[key] = on ? true : no ? false : s.default;
    } else if (v === undefined) {
      if (s.kind === 'path' && s.required) bad(`--${s.flag} is required.`);
      result[key] =
        s.kind === 'path' || s.kind === 'number'
          ? s.kind === 'path' && key === 'report'
            ? null
            : undefined
          : Array.isArray(s.default)
            ? [...s.default]
            : s.default;
    } else {
      result[key] = valueOf(s, v as string);
    }
  }
  const o = result as CliOptions;
  // A preset's mean and std, unless they are given too.
  if (given.has('preset'))
    Object.assign(
      o,
      given.has('mean') ? {} : { mean: presetFields(o.preset).mean },
      given.has('std') ? {} : { std: presetFields(o.preset).std },
    );
  // Under a budget every layer's bits are chosen; the weight bits only name the run.
  if (o.budgetBits !== undefined && !given.has('wbits')) o.wbits = Math.min(8, Math.max(2, Math.round(o.budgetBits)));
  return { ...o, model, layers: {} };
}

/** The run's settings out of the parsed options: what the share link and the report carry. */
export function settingsOf(o: CliOptions): StudioSettings {
  return { ...(Object.fromEntries(SETTING_KEYS.map((k) => [k, o[k]])) as Omit<StudioSettings, 'layers'>), layers: o.layers };
}
