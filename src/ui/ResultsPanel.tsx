import { useState } from 'react';
import { useStudio, type StudioState } from '../state/store';
import { bitsLabel, downloadName, methodLabel } from './run-labels';
import { formatBytes, formatDb, formatShape } from './format';
import { LatencyTable } from './LatencyTable';

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
  const exportFile = useStudio((s) => s.exportFile);
  const lastExport = useStudio((s) => s.lastExport);
  const model = useStudio((s) => s.model);
  const [exporting, setExporting] = useState(false);
  if (!result) return null;
  const download = async (what: 'int8' | 'int4' | 'report') => {
    setExporting(true);
    const data = await exportFile(what).finally(() => setExporting(false));
    if (data === null) return;
    save(
      downloadName(model?.fileName ?? 'model', result, what),
      data as Uint8Array<ArrayBuffer> | string,
      what === 'report' ? 'application/json' : 'application/octet-stream',
    );
  };
  const m = result.metrics;
  return (
    <section className="panel" aria-labelledby="results-title">
      <h2 id="results-title">
        Result: {bitsLabel(result)} {methodLabel(result)}
      </h2>
      <dl className="facts">
        {m?.top1 !== undefined && (
          <>
            <div>
              <dt>Top-1 quantized</dt>
              <dd data-testid="top1">{m.top1.toFixed(2)} %</dd>
            </div>
            <div>
              <dt>Top-1 float</dt>
              <dd data-testid="top1-float">{m.top1Float!.toFixed(2)} %</dd>
            </div>
          </>
        )}
        {m?.agreement !== undefined && (
          <div>
            <dt>Agreement with float</dt>
            <dd data-testid="agreement">{m.agreement.toFixed(2)} %</dd>
          </div>
        )}
        {m && (
          <div>
            <dt>Output SQNR</dt>
            <dd data-testid="model-sqnr">{formatDb(m.sqnrDb)}</dd>
          </div>
        )}
        <div>
          <dt>Solver</dt>
          <dd data-testid="solver">{result.backend === 'webgpu' ? 'WebGPU' : 'CPU (float64 reference)'}</dd>
        </div>
        <div>
          <dt>Forward passes</dt>
          <dd data-testid="forward-passes">onnxruntime {result.executionProvider === 'webgpu' ? 'WebGPU' : 'wasm (CPU)'}</dd>
        </div>
        <div>
          <dt>Time</dt>
          <dd>{result.seconds.total?.toFixed(1)} s</dd>
        </div>
      </dl>
      <div className="run-row">
        <button type="button" disabled={exporting} onClick={() => void download('int8')}>
          Download int8 model (.onnx)
        </button>
        <button type="button" disabled={exporting} onClick={() => void download('int4')}>
          Download int4 model (.onnx, opset 21)
        </button>
        <button type="button" className="secondary" disabled={exporting} onClick={() => void download('report')}>
          Download report (.json)
        </button>
        <span className="hint">
          QDQ ONNX that onnxruntime runs: integer weights with per-channel scales, activation QuantizeLinear/DequantizeLinear
          pairs. In the int4 file, layers of at most 4 bits are stored as int4.
        </span>
      </div>
      {m && <OutputsTable metrics={m} />}
      <LatencyTable run={result} />
      {lastExport && <ExportNote exported={lastExport} sourceBytes={model?.sizeBytes ?? 0} shownTop1={m?.top1} />}
      {m && (
        <p className="hint" data-testid="scored-on">
          Scored on {m.images} images
          {result.scoredOnCalibration
            ? ', the calibration images included (add more images to score on unseen ones)'
            : ' not used for calibration'}
          .
        </p>
      )}
    </section>
  );
}

function ExportNote({
  exported: e,
  sourceBytes,
  shownTop1,
}: {
  exported: NonNullable<StudioState['lastExport']>;
  sourceBytes: number;
  shownTop1?: number;
}) {
  const matches = e.check.maxRelativeDifference <= 1e-4;
  const top1 = e.metrics.top1;
  return (
    <div className="hint" data-testid="export-check">
      <p>
        {e.format} file: {formatBytes(e.bytes)}
        {sourceBytes ? ` (${((100 * e.bytes) / sourceBytes).toFixed(1)} % of the float file)` : ''}. Checked in onnxruntime on{' '}
        {e.check.images} calibration images: largest relative difference from the studio&apos;s simulation{' '}
        {e.check.maxRelativeDifference.toExponential(1)}
        {matches ? ' (matches)' : ' (more than 1e-4: please report this model)'};{' '}
        {e.check.maxRelativeDifferenceOptimized !== null
          ? `${e.check.maxRelativeDifferenceOptimized.toExponential(1)} with onnxruntime's default optimizations, whose integer kernels round on their own.`
          : `onnxruntime's default optimizations refuse this file (${e.check.optimizedRefusal}); it runs with them off (graphOptimizationLevel 'disabled').`}
      </p>
      <p data-testid="export-score">
        This file in onnxruntime scores {top1 !== undefined ? `top-1 ${top1.toFixed(2)} %, ` : ''}
        {e.metrics.agreement !== undefined ? `agreement with float ${e.metrics.agreement.toFixed(2)} %, ` : ''}output SQNR{' '}
        {formatDb(e.metrics.sqnrDb)} on the {e.metrics.images} scored images
        {top1 !== undefined && shownTop1 !== undefined && top1.toFixed(2) !== shownTop1.toFixed(2)
          ? ` (the run showed ${shownTop1.toFixed(2)} %)`
          : ''}
        .
      </p>
    </div>
  );
}

/** Each output of the model against the float model's on the scored images. */
function OutputsTable({ metrics: m }: { metrics: NonNullable<StudioState['result']>['metrics'] & object }) {
  const classes = m.outputs.some((o) => o.agreement !== undefined);
  return (
    <div className="table-scroll">
      <table className="layers" data-testid="outputs-table" aria-label="Fidelity per output">
        <thead>
          <tr>
            <th scope="col">Output</th>
            <th scope="col">Shape</th>
            <th scope="col" className="num">
              SQNR
            </th>
            <th scope="col" className="num">
              Cosine
            </th>
            <th scope="col" className="num">
              Max |diff|
            </th>
            {classes && (
              <th scope="col" className="num">
                Agreement
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {m.outputs.map((o) => (
            <tr key={o.name} data-output={o.name}>
              <td>{o.name}</td>
              <td>{formatShape(o.shape)}</td>
              <td className="num" data-testid="output-sqnr">
                {formatDb(o.sqnrDb)}
              </td>
              <td className="num">{o.cosine.toFixed(5)}</td>
              <td className="num">{o.maxAbsDiff.toPrecision(3)}</td>
              {classes && <td className="num">{o.agreement !== undefined ? `${o.agreement.toFixed(2)} %` : '—'}</td>}
            </tr>
          ))}
        </tbody>
      </table>
      {m.labelsNote && (
        <p className="hint" data-testid="labels-note">
          {m.labelsNote}
        </p>
      )}
    </div>
  );
}
