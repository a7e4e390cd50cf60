import { useStudio, type RunSummary } from '../state/store';
import { formatBytes } from './format';

/** Weight storage at each layer's bits (float layers at 32), the size a packed integer export approaches. */
function weightBytes(run: RunSummary): number {
  return run.layers.reduce((sum, l) => sum + (l.params * (l.skipped ? 32 : l.wbits)) / 8, 0);
}

export function RunsTable() {
  const runs = useStudio((s) => s.runs);
  const model = useStudio((s) => s.model);
  if (runs.length === 0 || !model) return null;
  const floatBytes = model.quantizableParams * 4;
  return (
    <section className="panel" aria-labelledby="runs-title">
      <h2 id="runs-title">Runs compared</h2>
      <div className="table-scroll">
        <table className="layers" data-testid="runs-table">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Setting</th>
              <th scope="col" className="num">
                Top-1
              </th>
              <th scope="col" className="num">
                Float top-1
              </th>
              <th scope="col" className="num">
                Agreement
              </th>
              <th scope="col" className="num">
                Weights
              </th>
              <th scope="col" className="num">
                Time
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r, i) => {
              const s = r.settings;
              const bytes = weightBytes(r);
              return (
                <tr key={i}>
                  <td>{i + 1}</td>
                  <td>
                    W{s.wbits}A{s.abits} {s.method}
                    {s.ecaq ? ' + EC' : ''} · {s.calibImages} images · seed {s.seed}
                    {Object.keys(s.layers).length > 0 &&
                      ` · ${Object.entries(s.layers)
                        .map(([name, o]) => `${name.split('/').filter(Boolean).slice(-2, -1)[0] ?? name}: ${[o.skip ? 'float' : '', o.bits ? `${o.bits} bits` : '', o.method ?? ''].filter(Boolean).join(' ')}`)
                        .join(', ')}`}
                  </td>
                  <td className="num">{r.metrics?.top1 !== undefined ? `${r.metrics.top1.toFixed(2)} %` : '—'}</td>
                  <td className="num">{r.metrics?.top1Float !== undefined ? `${r.metrics.top1Float.toFixed(2)} %` : '—'}</td>
                  <td className="num">{r.metrics ? `${r.metrics.agreement.toFixed(2)} %` : '—'}</td>
                  <td className="num">
                    {formatBytes(bytes)} ({((100 * bytes) / floatBytes).toFixed(1)} %)
                  </td>
                  <td className="num">{r.seconds.total?.toFixed(1)} s</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
