import { clampSetting, SETTINGS, useStudio, type RunSettings, type SettingSpec } from '../state/store';

export type FieldKey = {
  [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K]['kind'] extends 'triple' | 'size' ? never : K;
}[keyof typeof SETTINGS];

/** Up to this many integer values are offered as a list; more as a number field. */
const LIST_AT_MOST = 8;

const range = (min: number, max: number) => Array.from({ length: max - min + 1 }, (_, i) => min + i);

/** One setting's control, as its declaration describes it: label, tooltip, range, choices, and when it applies. */
export function SettingField({ name }: { name: FieldKey }) {
  const settings = useStudio((s) => s.settings);
  const setSetting = useStudio((s) => s.setSetting);
  const running = useStudio((s) => s.running);
  const spec: SettingSpec = SETTINGS[name];
  const value = settings[name];
  const set = (v: unknown) => setSetting(name, v as RunSettings[typeof name]);
  const disabled = running || !(spec.appliesWhen?.(settings) ?? true);
  const select = (options: { value: string; label: string }[], parse: (text: string) => unknown) => (
    <label title={spec.help}>
      {spec.label}
      <select aria-label={spec.label} value={String(value)} onChange={(e) => set(parse(e.target.value))} disabled={disabled}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
  switch (spec.kind) {
    case 'boolean':
      return (
        <label className="check" title={spec.help}>
          <input type="checkbox" checked={value as boolean} onChange={(e) => set(e.target.checked)} disabled={disabled} />
          {spec.label}
        </label>
      );
    case 'boolean-or-auto':
      return select(
        [
          { value: 'auto', label: 'Auto' },
          { value: 'true', label: 'On' },
          { value: 'false', label: 'Off' },
        ],
        (t) => (t === 'auto' ? 'auto' : t === 'true'),
      );
    case 'choice':
      return select([...spec.choices], (t) => t);
    case 'bits-or-float':
      return select(
        [{ value: 'float', label: 'float' }, ...range(spec.min, spec.max).map((b) => ({ value: String(b), label: String(b) }))],
        (t) => (t === 'float' ? 'float' : Number(t)),
      );
    case 'int':
      if (spec.max - spec.min < LIST_AT_MOST)
        return select(
          range(spec.min, spec.max).map((b) => ({ value: String(b), label: String(b) })),
          Number,
        );
      return (
        <label title={spec.help}>
          {spec.label}
          <input
            type="number"
            min={spec.min}
            max={spec.max}
            value={value as number}
            onChange={(e) => set(clampSetting(spec, Number(e.target.value)))}
            disabled={disabled}
          />
        </label>
      );
    default:
      return null;
  }
}
