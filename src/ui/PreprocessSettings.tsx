import { useEffect, useRef, useState } from 'react';
import {
  describeImageInput,
  inputSizeIsDynamic,
  SETTINGS,
  useStudio,
  type PreprocessPreview,
  type RunSettings,
  type TripleSpec,
} from '../state/store';
import { SettingField } from './SettingField';

const PREVIEW_COUNT = 4;

/** Three numbers, comma-separated; null while the text is not that yet. */
function parseTriple(text: string, positive: boolean): number[] | null {
  const parts = text.split(',').map((p) => Number(p.trim()));
  return parts.length === 3 && parts.every((v) => Number.isFinite(v) && (!positive || v > 0)) ? parts : null;
}

function TripleField({
  spec,
  value,
  disabled,
  onChange,
}: {
  spec: TripleSpec;
  value: number[];
  disabled: boolean;
  onChange: (v: number[]) => void;
}) {
  const { label, positive, help } = spec;
  const [text, setText] = useState(value.join(', '));
  useEffect(() => setText(value.join(', ')), [value]);
  const valid = parseTriple(text, positive) !== null;
  return (
    <label title={help}>
      {label}
      <input
        type="text"
        value={text}
        disabled={disabled}
        aria-invalid={!valid}
        onChange={(e) => {
          setText(e.target.value);
          const v = parseTriple(e.target.value, positive);
          if (v) onChange(v);
        }}
      />
      {!valid && <span className="field-error">three numbers{positive ? ' above 0' : ''}, e.g. 0.5, 0.5, 0.5</span>}
    </label>
  );
}

function PreviewImage({ width, height, rgba, index }: { width: number; height: number; rgba: Uint8ClampedArray; index: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    canvas.current?.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  }, [rgba, width, height]);
  return (
    <canvas
      ref={canvas}
      width={width}
      height={height}
      className="preview-image"
      aria-label={`Preprocessed image ${index + 1}`}
      role="img"
    />
  );
}

/** Preset plus its fields, and the first images as the model will see them. */
export function PreprocessSettings() {
  const settings = useStudio((s) => s.settings);
  const setSetting = useStudio((s) => s.setSetting);
  const setPreset = useStudio((s) => s.setPreset);
  const previewImages = useStudio((s) => s.previewImages);
  const images = useStudio((s) => s.images);
  const model = useStudio((s) => s.model);
  const running = useStudio((s) => s.running);
  const [preview, setPreview] = useState<PreprocessPreview | null>(null);
  const { preset, resize, colorOrder, mean, std, inputSize, layout } = settings;
  const dynamic = model !== null && inputSizeIsDynamic(model, layout);
  const input = model && describeImageInput(model, layout);
  useEffect(() => {
    let current = true;
    if (images && model) void previewImages(PREVIEW_COUNT).then((p) => current && setPreview(p));
    return () => {
      current = false;
    };
  }, [images, model, preset, resize, colorOrder, mean, std, inputSize, layout, previewImages]);
  const setSize = (axis: 0 | 1, text: string) => {
    const v = Math.floor(Number(text));
    if (!text) return setSetting('inputSize', null);
    if (v >= 1 && v <= SETTINGS.inputSize.max)
      setSetting(
        'inputSize',
        axis === 0 ? [v, inputSize?.[1] ?? preview?.width ?? v] : [inputSize?.[0] ?? preview?.height ?? v, v],
      );
  };
  const set =
    <K extends keyof RunSettings>(key: K) =>
    (value: RunSettings[K]) =>
      setSetting(key, value);

  return (
    <fieldset className="preprocess">
      <legend>Preprocessing</legend>
      <div className="settings">
        <label title={SETTINGS.preset.help}>
          {SETTINGS.preset.label}
          <select
            aria-label={SETTINGS.preset.label}
            value={preset}
            onChange={(e) => setPreset(e.target.value as RunSettings['preset'])}
            disabled={running}
          >
            {SETTINGS.preset.choices.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <SettingField name="resize" />
        <SettingField name="colorOrder" />
        <SettingField name="layout" />
        <TripleField spec={SETTINGS.mean} value={mean} disabled={running} onChange={set('mean')} />
        <TripleField spec={SETTINGS.std} value={std} disabled={running} onChange={set('std')} />
        {dynamic && (
          <>
            <label>
              Input height
              <input
                type="number"
                min={1}
                max={SETTINGS.inputSize.max}
                value={inputSize?.[0] ?? ''}
                placeholder={preview ? String(preview.height) : 'from the images'}
                disabled={running}
                onChange={(e) => setSize(0, e.target.value)}
              />
            </label>
            <label>
              Input width
              <input
                type="number"
                min={1}
                max={SETTINGS.inputSize.max}
                value={inputSize?.[1] ?? ''}
                placeholder={preview ? String(preview.width) : 'from the images'}
                disabled={running}
                onChange={(e) => setSize(1, e.target.value)}
              />
            </label>
          </>
        )}
      </div>
      {input && (
        <p className={input.refused ? 'field-error' : 'hint'} data-testid="input-layout">
          {input.refused ? input.text : `Fed as ${input.text}`}
        </p>
      )}
      {dynamic && (
        <p className="hint" data-testid="dynamic-input">
          This model&apos;s input size is open:{' '}
          {inputSize
            ? `images are resized to ${inputSize[0]} × ${inputSize[1]}`
            : "the first image's size is used until you set one"}
          .
        </p>
      )}
      {preview && preview.images.length > 0 && (
        <figure className="preview" data-testid="preprocess-preview">
          <div className="preview-row">
            {preview.images.map((rgba, i) => (
              <PreviewImage key={i} index={i} width={preview.width} height={preview.height} rgba={rgba} />
            ))}
          </div>
          <figcaption>
            As the model sees them ({preview.height} × {preview.width}, height × width; 0 black, 1 white, beyond clipped). Value
            range per channel:{' '}
            <span data-testid="preview-ranges">
              {preview.ranges.map((r) => `${r.min.toFixed(2)} … ${r.max.toFixed(2)}`).join(' · ')}
            </span>
          </figcaption>
        </figure>
      )}
    </fieldset>
  );
}
