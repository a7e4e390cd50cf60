import type { ModelSummary } from '../state/store';
import { formatBytes, formatInt, formatShape } from './format';

export function ModelPanel({ model }: { model: ModelSummary }) {
  const ops = Object.entries(model.opCounts).sort((a, b) => b[1] - a[1]);
  return (
    <section className="panel" aria-labelledby="model-title">
      <h2 id="model-title" data-testid="model-name">
        {model.fileName}
      </h2>
      <dl className="facts">
        <div>
          <dt>Size</dt>
          <dd>{formatBytes(model.sizeBytes)}</dd>
        </div>
        <div>
          <dt>Opset</dt>
          <dd>{model.opset}</dd>
        </div>
        <div>
          <dt>IR version</dt>
          <dd>{model.irVersion}</dd>
        </div>
        <div>
          <dt>Producer</dt>
          <dd>{model.producer || '—'}</dd>
        </div>
        <div>
          <dt>Nodes</dt>
          <dd>{formatInt(model.nodeCount)}</dd>
        </div>
        <div>
          <dt>Parameters</dt>
          <dd>{formatInt(model.totalParams)}</dd>
        </div>
        <div>
          <dt>Quantizable layers</dt>
          <dd data-testid="layer-count">{model.layers.length}</dd>
        </div>
        <div>
          <dt>Quantizable parameters</dt>
          <dd>{formatInt(model.quantizableParams)}</dd>
        </div>
        <div>
          <dt>Inputs</dt>
          <dd>{model.inputs.map((i) => `${i.name} ${formatShape(i.dims)}`).join(', ')}</dd>
        </div>
        <div>
          <dt>Outputs</dt>
          <dd>{model.outputs.map((o) => `${o.name} ${formatShape(o.dims)}`).join(', ')}</dd>
        </div>
        <div className="wide">
          <dt>SHA-256</dt>
          <dd className="mono" data-testid="model-sha">
            {model.sha256}
          </dd>
        </div>
        <div className="wide">
          <dt>Operators</dt>
          <dd>{ops.map(([op, n]) => `${op} ×${n}`).join(' · ')}</dd>
        </div>
      </dl>
      {model.quantizedInFile.length > 0 && (
        <>
          <h3>Already quantized in this file</h3>
          <p className="hint">
            {model.quantizedInFile.length} layer(s) store integer weights behind a DequantizeLinear; the studio shows them and
            does not quantize them again.
          </p>
          <table className="layers" data-testid="quantized-in-file">
            <thead>
              <tr>
                <th scope="col">Layer</th>
                <th scope="col">Op</th>
                <th scope="col">Weight</th>
                <th scope="col" className="num">
                  Bits
                </th>
                <th scope="col">Stored as</th>
              </tr>
            </thead>
            <tbody>
              {model.quantizedInFile.map((q) => (
                <tr key={q.name}>
                  <td>{q.name}</td>
                  <td>{q.op}</td>
                  <td>{formatShape(q.weightShape)}</td>
                  <td className="num">{q.bits}</td>
                  <td>{q.storage}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
