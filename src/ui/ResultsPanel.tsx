import { useStudio } from '../state/store';

export function ResultsPanel() {
  const result = useStudio((s) => s.result);
  if (!result) return null;
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
      {m && (
        <p className="hint" data-testid="scored-on">
          Scored on {m.images} images{result.scoredOnCalibration ? ', the calibration images included (add more images to score on unseen ones)' : ' not used for calibration'}.
        </p>
      )}
    </section>
  );
}
