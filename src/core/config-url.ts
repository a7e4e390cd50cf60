import { strFromU8, strToU8, unzlibSync, zlibSync } from 'fflate';
import { StudioError } from './errors';
import { PRESETS, type PresetName } from './preprocess';
import { DEFAULT_SETTINGS, LEGACY_SETTINGS, settingsProblem, SETTINGS, type StudioSettings } from './settings';

const METHODS = SETTINGS.method.choices.map((c) => c.value);

/** Everything a colleague needs to reproduce a run, apart from the model file itself. */
export interface SharedConfig {
  version: 1;
  model: { name: string; sha256: string };
  settings: StudioSettings;
}

const MAX_ENCODED = 8192;

const toBase64Url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

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
  throw new StudioError(
    'InvalidArgumentError',
    `The link's configuration cannot be used: ${why}. The studio keeps its defaults.`,
  );
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
  if (typeof c.model?.name !== 'string' || !/^[0-9a-f]{64}$/.test(c.model?.sha256 ?? ''))
    fail('the model name or SHA-256 is missing');
  const given = (c.settings ?? fail('settings are missing')) as Partial<StudioSettings> & { layerBits?: unknown };
  // A setting the link does not name takes what links made before it existed ran with, else its default; a
  // preset without its fields gets the preset's.
  const preset = PRESETS[given.preset as PresetName];
  const s: StudioSettings = {
    ...DEFAULT_SETTINGS,
    ...LEGACY_SETTINGS,
    ...(preset ? { mean: [...preset.mean], std: [...preset.std] } : {}),
    ...given,
  };
  const legacyBits = (value as { layerBits?: Record<string, number> }).layerBits;
  if (legacyBits && !given.layers) s.layers = Object.fromEntries(Object.entries(legacyBits).map(([k, bits]) => [k, { bits }]));
  const problem = settingsProblem(s);
  if (problem) fail(problem);
  const int = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
  if (typeof s.layers !== 'object' || s.layers === null || Array.isArray(s.layers))
    fail('the per-layer settings are not a table');
  for (const [layer, o] of Object.entries(s.layers)) {
    if (typeof o !== 'object' || o === null) fail(`layer "${layer}" has no settings`);
    if (o.bits !== undefined && !int(o.bits, 2, 8)) fail(`layer "${layer}" has ${JSON.stringify(o.bits)} bits`);
    if (o.method !== undefined && !METHODS.includes(o.method)) fail(`layer "${layer}" has method ${JSON.stringify(o.method)}`);
    if (o.skip !== undefined && typeof o.skip !== 'boolean') fail(`layer "${layer}" has skip ${JSON.stringify(o.skip)}`);
  }
  const { layerBits: _legacy, ...settings } = s as StudioSettings & { layerBits?: unknown };
  return { version: 1, model: { name: c.model.name, sha256: c.model.sha256 }, settings };
}
