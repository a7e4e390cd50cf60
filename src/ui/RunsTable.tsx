import { useState } from 'react';
import { CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { useStudio, type RunSummary } from '../state/store';
import { bitsLabel, bitsPerWeight, hasPerLayerBits, methodLabel } from './run-labels';
import { formatBytes, formatDb, formatMs } from './format';

/** The per-layer choices, spelled out when few, counted when many (a mixed-precision run sets every layer). */
function overridesText(layers: RunSummary['settings']['layers']): string {
  const entries = Object.entries(layers);
  if (entries.length === 0) return '';
  if (entries.length > 3) return ` · per-layer choices on ${entries.length} layers`;
  const short = (name: string) => name.split('/').filter(Boolean).slice(-2, -1)[0] ?? name;
  return ` · ${entries.map(([name, o]) => `${short(name)}: ${[o.skip ? 'float' : '', o.bits ? `${o.bits} bits` : '', o.method ?? ''].filter(Boolean).join(' ')}`).join(', ')}`;
}

/** The int8 file's median latency on the wasm EP, once timed. */
const int8Latency = (r: RunSummary) =>
  r.latency?.variants.find((v) => v.variant === 'int8')?.timings.find((t) => t.ep === 'wasm')?.medianMs;

type Axis = 'bits' | 'latency';

/** Size (or latency) against accuracy, every run of the session: the mixed-precision choices beside the uniform ones. */
function FrontChart({ runs, x }: { runs: RunSummary[]; x: Axis }) {
  // The best figure every run has: top-1 with labels, agreement for classifiers, else the output SQNR.
  const measure = runs.some((r) => r.metrics?.top1 !== undefined)
    ? 'top1'
    : runs.some((r) => r.metrics?.agreement !== undefined)
      ? 'agreement'
      : 'sqnrDb';
  const name = { top1: 'top-1 %', agreement: 'agreement %', sqnrDb: 'output SQNR dB' }[measure];
  const point = (r: RunSummary, i: number) => {
    const score = r.metrics?.[measure];
    return {
      run: i + 1,
      x: x === 'bits' ? Number(bitsPerWeight(r).toFixed(3)) : int8Latency(r),
      score: score !== undefined && Number.isFinite(score) ? score : undefined,
    };
  };
  const all = runs.map(point).filter((p) => p.score !== undefined && p.x !== undefined);
  const xName = x === 'bits' ? 'bits per weight' : 'int8 latency, wasm (ms)';
  const uniform = all.filter((p) => !hasPerLayerBits(runs[p.run - 1]));
  const mixed = all.filter((p) => hasPerLayerBits(runs[p.run - 1]));
  return (
    <figure className="chart" aria-label="Size against accuracy of every run">
      <figcaption>
        {name} against {xName}, every run{x === 'latency' ? ' timed so far' : ''} (uniform and per-layer bits)
      </figcaption>
      <ResponsiveContainer width="100%" height={220}>
        <ScatterChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis type="number" dataKey="x" name={xName} domain={['auto', 'auto']} />
          <YAxis type="number" dataKey="score" name={name} domain={['auto', 'auto']} width={56} />
          <Tooltip formatter={(v) => Number(v).toFixed(2)} />
          <Legend />
          <Scatter name="uniform" data={uniform} fill="#b91c1c" isAnimationActive={false} />
          <Scatter name="per-layer bits" data={mixed} fill="#1d4ed8" shape="diamond" isAnimationActive={false} />
        </ScatterChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** Weight storage at each layer's bits (float layers at 32), the size a packed integer export approaches. */
function weightBytes(run: RunSummary): number {
  return run.layers.reduce((sum, l) => sum + (l.params * (l.skipped ? 32 : l.wbits)) / 8, 0);
}

export function RunsTable() {
  const runs = useStudio((s) => s.runs);
  const model = useStudio((s) => s.model);
  const [axis, setAxis] = useState<Axis>('bits');
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
                Output SQNR
              </th>
              <th scope="col" className="num">
                Bits/weight
              </th>
              <th scope="col" className="num">
                Weights
              </th>
              <th scope="col" className="num">
                int8 latency (wasm)
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
                    {bitsLabel(r)} {methodLabel(r, true)} · {s.calibImages} images · seed {s.seed}
                    {overridesText(s.layers)}
                  </td>
                  <td className="num">{r.metrics?.top1 !== undefined ? `${r.metrics.top1.toFixed(2)} %` : '—'}</td>
                  <td className="num">{r.metrics?.top1Float !== undefined ? `${r.metrics.top1Float.toFixed(2)} %` : '—'}</td>
                  <td className="num">{r.metrics?.agreement !== undefined ? `${r.metrics.agreement.toFixed(2)} %` : '—'}</td>
                  <td className="num" data-testid="run-sqnr">
                    {r.metrics ? formatDb(r.metrics.sqnrDb) : '—'}
                    {r.metrics && r.metrics.outputs.length > 1 && (
                      <div className="hint">{r.metrics.outputs.map((o) => `${o.name} ${formatDb(o.sqnrDb)}`).join(' · ')}</div>
                    )}
                  </td>
                  <td className="num">{bitsPerWeight(r).toFixed(2)}</td>
                  <td className="num">
                    {formatBytes(bytes)} ({((100 * bytes) / floatBytes).toFixed(1)} %)
                  </td>
                  <td className="num" data-testid="run-latency">
                    {int8Latency(r) !== undefined ? formatMs(int8Latency(r)!) : '—'}
                  </td>
                  <td className="num">{r.seconds.total?.toFixed(1)} s</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <label className="chart-axis">
        Chart&apos;s x axis{' '}
        <select aria-label="Chart's x axis" value={axis} onChange={(e) => setAxis(e.target.value as Axis)}>
          <option value="bits">bits per weight</option>
          <option value="latency">int8 latency (wasm)</option>
        </select>
      </label>
      <FrontChart runs={runs} x={axis} />
    </section>
  );
}
