import { useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { averageBits, nothingToQuantize, plannedBits, useStudio, type ModelSummary, type SensitivityTable } from '../state/store';
import { formatBytes, formatInt } from './format';

const sci = (v: number) => v.toExponential(1);
const CHART_BITS = [
  { bits: 2, color: '#b91c1c' },
  { bits: 3, color: '#c2410c' },
  { bits: 4, color: '#1d4ed8' },
];

/** Light backgrounds (dark text stays readable) from green, KL 1e-4 or less, to red, KL 1e-1 or more. */
function klColor(kl: number): string {
  const t = Math.min(1, Math.max(0, (Math.log10(Math.max(kl, 1e-30)) + 4) / 3));
  return `hsl(${Math.round(130 * (1 - t))} 70% 86%)`;
}

function HeatMap({ table }: { table: SensitivityTable }) {
  const labelled = table.top1Float !== undefined;
  return (
    <div className="table-scroll">
      <table className="layers heat" data-testid="sensitivity-table">
        <caption>
          {labelled ? 'Top-1 %' : 'Agreement with the float model, %'} with only that layer quantized, on {table.images} images
          {labelled ? ` (float ${table.top1Float!.toFixed(2)} %)` : ''}; colour: output KL divergence, green 1e-4 or less, red
          1e-1 or more
        </caption>
        <thead>
          <tr>
            <th scope="col">Layer</th>
            <th scope="col" className="num">
              Params
            </th>
            {table.bits.map((b) => (
              <th key={b} scope="col" className="num">
                {b} bits
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.layers.map((l) => (
            <tr key={l.name}>
              <th scope="row" className="name">
                {l.name}
              </th>
              <td className="num">{formatInt(l.params)}</td>
              {l.cells.map((c) => (
                <td
                  key={c.bits}
                  className="num"
                  style={{ background: klColor(c.kl) }}
                  title={`${l.name} at ${c.bits} bits: KL ${c.kl.toExponential(2)}, agreement ${c.agreement.toFixed(1)} %${c.top1 !== undefined ? `, top-1 ${c.top1.toFixed(2)} %` : ''}, layer output error ${c.relOutputError.toExponential(2)}`}
                >
                  {(c.top1 ?? c.agreement).toFixed(1)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function KlChart({ table }: { table: SensitivityTable }) {
  const data = table.layers.map((l, i) => ({
    layer: i + 1,
    name: l.name,
    ...Object.fromEntries(l.cells.map((c) => [`w${c.bits}`, Math.max(c.kl, 1e-9)])),
  }));
  return (
    <figure className="chart" aria-label="Output KL divergence per layer">
      <figcaption>Output KL divergence with only that layer quantized (log scale)</figcaption>
      <ResponsiveContainer width="100%" height={220}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="layer" />
          <YAxis scale="log" domain={['auto', 'auto']} tickFormatter={sci} width={64} allowDataOverflow />
          <Tooltip formatter={(v) => sci(Number(v))} labelFormatter={(l) => data[Number(l) - 1]?.name ?? l} />
          <Legend />
          {CHART_BITS.filter(({ bits }) => table.bits.includes(bits)).map(({ bits, color }) => (
            <Line
              key={bits}
              type="linear"
              dataKey={`w${bits}`}
              name={`${bits} bits`}
              stroke={color}
              dot
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** Which layer matters: each layer alone at 2..8 bits; then the bits per layer under a size budget. */
export function SensitivityPanel({ model }: { model: ModelSummary }) {
  const table = useStudio((s) => s.sensitivity);
  const plan = useStudio((s) => s.mixedPlan);
  const settings = useStudio((s) => s.settings);
  const running = useStudio((s) => s.running);
  const images = useStudio((s) => s.images);
  const measure = useStudio((s) => s.measureSensitivity);
  const choose = useStudio((s) => s.chooseMixedBits);
  const run = useStudio((s) => s.run);
  const [budget, setBudget] = useState(3);
  const active = model.layers.filter((l) => !settings.layers[l.name]?.skip);
  const activeParams = active.reduce((sum, l) => sum + l.params, 0);
  const uniformBits = plannedBits(model.layers, { ...settings, layers: {} });
  const uniformAverage = averageBits(active, (name) => uniformBits.get(active.find((l) => l.name === name)!.index)!);
  return (
    <section className="panel" aria-labelledby="sensitivity-title">
      <h2 id="sensitivity-title">Sensitivity and mixed precision</h2>
      <p className="hint">
        Quantizes each layer alone at 2 to 8 bits with the chosen method, the others float, and measures the model on images not
        used for calibration: which layers need their bits. Then the cheapest bits per layer under a budget (a knapsack over the
        table; first and last layers at their {settings.firstLastBits} bits, counted in the budget), and Run to verify.
      </p>
      <div className="run-row">
        <button
          type="button"
          className="secondary"
          onClick={() => void measure()}
          disabled={running || !images || Boolean(nothingToQuantize(model))}
        >
          Measure sensitivity
        </button>
      </div>
      {table && (
        <>
          <HeatMap table={table} />
          <KlChart table={table} />
          <div className="settings">
            <label>
              Budget (bits per weight)
              <input
                type="number"
                min={2}
                max={8}
                step={0.25}
                value={budget}
                disabled={running}
                onChange={(e) => setBudget(Math.min(8, Math.max(2, Number(e.target.value) || 2)))}
              />
            </label>
            <button type="button" className="secondary" disabled={running} onClick={() => choose(budget)}>
              Choose bits
            </button>
            <button type="button" disabled={running} onClick={() => choose(budget) && void run()}>
              Choose and run
            </button>
          </div>
          <p className="hint">
            A budget of {budget} bits per weight is {formatBytes((budget * activeParams) / 8)} of weights. Uniform{' '}
            {settings.wbits} bits with the first and last layers at {settings.firstLastBits}: {uniformAverage.toFixed(2)} bits per
            weight.
          </p>
          {plan && (
            <p data-testid="mixed-plan">
              Chosen for a budget of {plan.budgetBits} bits: {plan.averageBits.toFixed(3)} bits per weight on average, predicted
              output KL {plan.predictedKl.toExponential(2)} (the sum of the layers' own). Each layer's bits are in the layer table
              and the share link.
            </p>
          )}
        </>
      )}
    </section>
  );
}
