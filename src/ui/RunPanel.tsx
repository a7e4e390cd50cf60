import { useRef } from 'react';
import { useStudio, type ComputeChoice, type RunSettings } from '../state/store';
import { PreprocessSettings } from './PreprocessSettings';

const WBITS = [2, 3, 4, 5, 6, 7, 8];
const ABITS = ['float', 4, 5, 6, 7, 8] as const;

/** Settings, images and the Run / Cancel control with the job's progress. */
export function RunPanel() {
  const settings = useStudio((s) => s.settings);
  const setSetting = useStudio((s) => s.setSetting);
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
  const set = <K extends keyof RunSettings>(key: K) => (value: RunSettings[K]) => setSetting(key, value);
  const fraction = progress?.fraction ?? 0;

  return (
    <section className="panel" aria-labelledby="run-title">
      <h2 id="run-title">Quantize</h2>
      <div className="settings">
        <label>
          Weight bits
          <select value={settings.wbits} onChange={(e) => set('wbits')(Number(e.target.value))} disabled={running}>
            {WBITS.map((b) => <option key={b} value={b}>{b}</option>)}
          </select>
        </label>
        <label>
          Activation bits
          <select value={String(settings.abits)} onChange={(e) => set('abits')(e.target.value === 'float' ? 'float' : Number(e.target.value))} disabled={running}>
            {ABITS.map((b) => <option key={b} value={String(b)}>{b}</option>)}
          </select>
        </label>
        <label>
          Method
          <select aria-label="Method" value={settings.method} onChange={(e) => set('method')(e.target.value as RunSettings['method'])} disabled={running}>
            <option value="bitsplit">Bit-Split</option>
            <option value="mse">MSE scale</option>
            <option value="rtn">Round to nearest</option>
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={settings.ecaq} onChange={(e) => set('ecaq')(e.target.checked)} disabled={running} />
          Error compensation
        </label>
        <label title="One activation scale per conv input channel, folded into the layer's weights (the paper's variant); needs error compensation. Auto: below 8-bit activations, on every conv input when one of them loses at least 4 times more on one scale per tensor (lopsided channels, as after a Hardswish). At 4-bit activations it decides whether a model such as PP-OCRv4 survives: W4A4 84.8 % with it, 15.1 % per tensor">
          Per-channel activation scales
          <select aria-label="Per-channel activation scales" value={String(settings.channelScales)} onChange={(e) => set('channelScales')(e.target.value === 'auto' ? 'auto' : e.target.value === 'true')}
            disabled={running || !settings.ecaq || settings.abits === 'float'}>
            <option value="auto">Auto</option>
            <option value="true">On</option>
            <option value="false">Off</option>
          </select>
        </label>
        <label className="check" title="Each Bit-Split layer's bias takes its mean output error (upstream rounding included), and the weights are fitted to the rest">
          <input type="checkbox" checked={settings.biasCorrection} onChange={(e) => set('biasCorrection')(e.target.checked)} disabled={running} />
          Bias correction
        </label>
        <label className="check" title="With error compensation: the last layer of a residual branch aims at the float sum minus the quantized shortcut, so it also makes up for the shortcut's drift">
          <input type="checkbox" checked={settings.residualCompensation} onChange={(e) => set('residualCompensation')(e.target.checked)} disabled={running || !settings.ecaq} />
          Residual compensation
        </label>
        <label className="check" title="After Bit-Split: each row's codes may also take the b-bit integer's extra level (-2^(b-1), or +2^(b-1) stored with a zero point of -1), by coordinate descent on the layer's output error">
          <input type="checkbox" checked={settings.fullGrid} onChange={(e) => set('fullGrid')(e.target.checked)} disabled={running || settings.method !== 'bitsplit'} />
          Full grid
        </label>
        <label className="check" title="Activations that may be negative (after a BatchNormalization, a Hardswish, a residual Add) get all 2^bits levels with a zero point instead of a symmetric grid, which wastes the side the values do not reach; with per-channel activation scales, a zero point per channel">
          <input type="checkbox" checked={settings.asymmetric} onChange={(e) => set('asymmetric')(e.target.checked)} disabled={running || settings.abits === 'float'} />
          Asymmetric activations
        </label>
        <label>
          Calibration images
          <input type="number" min={1} max={100000} value={settings.calibImages} onChange={(e) => set('calibImages')(Math.max(1, Number(e.target.value) || 1))} disabled={running} />
        </label>
        <label>
          Seed
          <input type="number" min={0} value={settings.seed} onChange={(e) => set('seed')(Math.max(0, Math.floor(Number(e.target.value) || 0)))} disabled={running} />
        </label>
        <label>
          First/last layers
          <select value={settings.firstLastBits} onChange={(e) => set('firstLastBits')(Number(e.target.value))} disabled={running}
            title="Weight bits of the first and last quantized layers; the paper keeps them at 8">
            {WBITS.map((b) => <option key={b} value={b}>{b} bits{b === 8 ? ' (paper)' : ''}</option>)}
          </select>
        </label>
        <label>
          Epochs (max.)
          <input type="number" min={0} max={10000} value={settings.epochs} onChange={(e) => set('epochs')(Math.min(10000, Math.max(0, Math.floor(Number(e.target.value) || 0))))} disabled={running} />
        </label>
        <label>
          Positions per image
          <input type="number" min={1} max={1000000} value={settings.positions} onChange={(e) => set('positions')(Math.max(1, Math.floor(Number(e.target.value) || 1)))} disabled={running} />
        </label>
        <label title="Where the solver and onnxruntime's forward passes run. Auto: on the GPU when it is a hardware one; a software adapter (SwiftShader) is many times slower than the CPU. Not part of a shared link: results agree across the two to rounding.">
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
        {imagesLoading ? 'Reading images…' : images ? `${images.count} images (${images.labelled} labelled) from ${images.source}` : 'No images yet: drop a folder of images, or add them.'}
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
            Folder name(s) {images.unmatched.map((f) => `"${f}"`).join(', ')} match no class in classes.txt: those images count as unlabelled. Rename the folder(s) to a class name.
          </span>
        )}
        {' '}
        <button type="button" className="secondary" onClick={() => folder.current?.click()} disabled={running}>Add image folder…</button>
        <input ref={folder} type="file" hidden multiple aria-label="Image folder" {...{ webkitdirectory: '' }}
          onChange={(e) => { void addImages(Array.from(e.target.files ?? [])); e.target.value = ''; }} />
      </p>
      <div className="run-row">
        {running ? (
          <button type="button" onClick={cancel}>Cancel</button>
        ) : (
          <button type="button" onClick={() => void run()} disabled={!model || model.layers.length === 0 || !images || imagesLoading}>Run</button>
        )}
        {progress && running && (
          <div className="progress" role="progressbar" aria-label="Quantization progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)}>
            <div className="progress-fill" style={{ width: `${fraction * 100}%` }} />
            <span data-testid="progress-text">
              {progress.stage}{progress.layer > 0 ? ` · layer ${progress.layer}/${progress.layers}` : ''}
              {progress.etaSeconds !== null ? ` · ETA ${Math.ceil(progress.etaSeconds)} s` : ''}
            </span>
          </div>
        )}
      </div>
    </section>
  );
}
