import { strFromU8, strToU8, unzlibSync, zlibSync } from 'fflate';
import { StudioError } from './errors';

/** Everything a colleague needs to reproduce a run, apart from the model file itself. */
export interface SharedConfig {
  version: 1;
  model: { name: string; sha256: string };
  settings: {
    wbits: number;
    abits: number | 'float';
    method: 'rtn' | 'mse' | 'bitsplit';
    ecaq: boolean;
    calibImages: number;
    preset: string;
    seed: number;
  };
  /** Per-layer bits where they differ from the default rule. */
  layerBits?: Record<string, number>;
}

const MAX_ENCODED = 8192;

const toBase64Url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/** The shared form of a model and the settings of a run: per-layer bits only where set. */
export function sharedConfigOf(model: { name: string; sha256: string }, settings: SharedConfig['settings'] & { layerBits?: Record<string, number> }): SharedConfig {
  const { layerBits, ...rest } = settings;
  const s = { wbits: rest.wbits, abits: rest.abits, method: rest.method, ecaq: rest.ecaq, calibImages: rest.calibImages, preset: rest.preset, seed: rest.seed };
  return { version: 1, model: { name: model.name, sha256: model.sha256 }, settings: s, ...(layerBits && Object.keys(layerBits).length ? { layerBits } : {}) };
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
  const s = c.settings ?? fail('settings are missing');
  const int = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
  if (!int(s.wbits, 2, 8)) fail(`weight bits ${JSON.stringify(s.wbits)} are not 2 to 8`);
  if (s.abits !== 'float' && !int(s.abits, 2, 8)) fail(`activation bits ${JSON.stringify(s.abits)} are not 2 to 8 or "float"`);
  if (!['rtn', 'mse', 'bitsplit'].includes(s.method)) fail(`method ${JSON.stringify(s.method)} is unknown`);
  if (typeof s.ecaq !== 'boolean') fail('error compensation must be true or false');
  if (!int(s.calibImages, 1, 1_000_000)) fail(`${JSON.stringify(s.calibImages)} calibration images`);
  if (!['imagenet', 'minus1to1', 'zero1'].includes(s.preset)) fail(`preprocessing preset ${JSON.stringify(s.preset)} is unknown`);
  if (!int(s.seed, 0, 2 ** 31 - 1)) fail(`seed ${JSON.stringify(s.seed)}`);
  for (const [layer, bits] of Object.entries(c.layerBits ?? {})) if (!int(bits, 2, 8)) fail(`layer "${layer}" has ${JSON.stringify(bits)} bits`);
  return { version: 1, model: { name: c.model.name, sha256: c.model.sha256 }, settings: { ...s }, ...(c.layerBits ? { layerBits: c.layerBits } : {}) };
}
