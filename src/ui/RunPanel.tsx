import { useRef } from 'react';
import { SETTING_KEYS, SETTINGS, useStudio, type ComputeChoice } from '../state/store';
import { PreprocessSettings } from './PreprocessSettings';
import { SettingField, type FieldKey } from './SettingField';

const QUANTIZE_KEYS = SETTING_KEYS.filter((k) => SETTINGS[k].group === 'quantize') as FieldKey[];

/** Settings, images and the Run / Cancel control with the job's progress. */
export function RunPanel() {
  const images = useStudio((s) => s.images);
  const imagesLoading = useStudio((s) => s.imagesLoading);
  const addImages = useStudio((s) => s.addImages);
  const running = useStudio((s) => s.running);
  const progress = useStudio((s) => s.progress);
  const run = useStudio((s) => s.run);
  const cancel = useStudio((s) => s.cancel);
  const model = useStudio((s) => s.model);
  const compute = useStudio((s) => s.compute);
  const setCompute = useStudio((s) => s.setCompute);
  const folder = useRef<HTMLInputElement>(null);
  const fraction = progress?.fraction ?? 0;

  return (
    <section className="panel" aria-labelledby="run-title">
      <h2 id="run-title">Quantize</h2>
      <div className="settings">
        {QUANTIZE_KEYS.map((key) => (
          <SettingField key={key} name={key} />
        ))}
        <label title="Where the solver and onnxruntime's forward passes run. Auto: on the GPU when it is a hardware one, since a software adapter (SwiftShader) is slower than the CPU. Not part of a shared link: results agree across the two to rounding.">
          Compute
          <select value={compute} onChange={(e) => setCompute(e.target.value as ComputeChoice)} disabled={running}>
            <option value="auto">Auto</option>
            <option value="gpu">GPU (WebGPU)</option>
            <option value="cpu">CPU (wasm)</option>
          </select>
        </label>
      </div>
      <PreprocessSettings />
      <p className="images" data-testid="images-summary">
        {imagesLoading
          ? 'Reading images…'
          : images
            ? `${images.count} images (${images.labelled} labelled) from ${images.source}`
            : 'No images yet: drop a folder of images, or add them.'}
        {images && images.ignored.length > 0 && (
          <span data-testid="ignored-files">
            {' '}
            Ignored {images.ignored.length} file(s): {images.ignored.slice(0, 3).join(', ')}
            {images.ignored.length > 3 ? ', …' : ''}.
          </span>
        )}
        {images && images.unmatched.length > 0 && (
          <span className="field-error" data-testid="unmatched-labels">
            {' '}
            Folder name(s) {images.unmatched.map((f) => `"${f}"`).join(', ')} match no class in classes.txt: those images count as
            unlabelled. Rename the folder(s) to a class name.
          </span>
        )}{' '}
        <button type="button" className="secondary" onClick={() => folder.current?.click()} disabled={running}>
          Add image folder…
        </button>
        <input
          ref={folder}
          type="file"
          hidden
          multiple
          aria-label="Image folder"
          {...{ webkitdirectory: '' }}
          onChange={(e) => {
            void addImages(Array.from(e.target.files ?? []));
            e.target.value = '';
          }}
        />
      </p>
      <div className="run-row">
        {running ? (
          <button type="button" onClick={cancel}>
            Cancel
          </button>
        ) : (
          <button
            type="button"
            onClick={() => void run()}
            disabled={!model || model.layers.length === 0 || !images || imagesLoading}
          >
            Run
          </button>
        )}
        {progress && running && (
          <div
            className="progress"
            role="progressbar"
            aria-label="Quantization progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(fraction * 100)}
          >
            <div className="progress-fill" style={{ width: `${fraction * 100}%` }} />
            <span data-testid="progress-text">
              {progress.stage}
              {progress.layer > 0 ? ` · layer ${progress.layer}/${progress.layers}` : ''}
              {progress.etaSeconds !== null ? ` · ETA ${Math.ceil(progress.etaSeconds)} s` : ''}
            </span>
          </div>
        )}
      </div>
    </section>
  );
}
