import { useStudio } from '../state/store';

function save(name: string, data: BlobPart, type: string) {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ResultsPanel() {
  const result = useStudio((s) => s.result);
  const exportFiles = useStudio((s) => s.exportFiles);
  if (!result) return null;
  const download = async (which: 'model' | 'report') => {
    const files = await exportFiles();
    if (!files) return;
    if (which === 'model') save(files.model.name, files.model.bytes as Uint8Array<ArrayBuffer>, 'application/octet-stream');
    else save(files.report.name, files.report.text, 'application/json');
  };
  const m = result.metrics;
  const s = result.settings;
  return (
    <section className="panel" aria-labelledby="results-title">
      <h2 id="results-title">
        Result: W{s.wbits}A{s.abits} {s.method}{s.ecaq ? ' + error compensation' : ''}
      </h2>
      <dl className="facts">
        {m?.top1 !== undefined && (
          <>
            <div><dt>Top-1 quantized</dt><dd data-testid="top1">{m.top1.toFixed(2)} %</dd></div>
            <div><dt>Top-1 float</dt><dd data-testid="top1-float">{m.top1Float!.toFixed(2)} %</dd></div>
          </>
        )}
        {m && <div><dt>Agreement with float</dt><dd data-testid="agreement">{m.agreement.toFixed(2)} %</dd></div>}
        {m && <div><dt>Output SQNR</dt><dd>{Number.isFinite(m.sqnrDb) ? `${m.sqnrDb.toFixed(1)} dB` : '∞'}</dd></div>}
        <div><dt>Solver</dt><dd>{result.backend === 'webgpu' ? 'WebGPU' : 'CPU (float64 reference)'}</dd></div>
        <div><dt>Time</dt><dd>{result.seconds.total?.toFixed(1)} s</dd></div>
      </dl>
      <div className="run-row">
        <button type="button" onClick={() => void download('model')}>Download model (.onnx)</button>
        <button type="button" className="secondary" onClick={() => void download('report')}>Download report (.json)</button>
        <span className="hint">The model holds the dequantized weights and the activation quantizers the studio simulated; int8/int4 QDQ export is not built yet.</span>
      </div>
      {m && (
        <p className="hint" data-testid="scored-on">
          Scored on {m.images} images{result.scoredOnCalibration ? ', the calibration images included (add more images to score on unseen ones)' : ' not used for calibration'}.
        </p>
      )}
    </section>
  );
}
