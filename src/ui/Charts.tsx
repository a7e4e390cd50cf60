import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useStudio, type RunSummary } from '../state/store';

const sci = (v: number) => v.toExponential(1);

/** Per-layer relative output error of the chosen method beside round to nearest, on a log scale. */
function ErrorChart({ result }: { result: RunSummary }) {
  const data = result.layers
    .filter((l) => !l.skipped)
    .map((l, i) => ({
      layer: i + 1,
      name: l.name,
      [result.settings.method]: l.relOutputError || 1e-12,
      rtn: l.relOutputErrorRtn || 1e-12,
    }));
  return (
    <figure className="chart" aria-label="Relative output error per layer">
      <figcaption>Relative output error per layer (log scale)</figcaption>
      <ResponsiveContainer width="100%" height={240}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="layer" label={{ value: 'layer', position: 'insideBottomRight', offset: -4 }} />
          <YAxis scale="log" domain={['auto', 'auto']} tickFormatter={sci} width={64} allowDataOverflow />
          <Tooltip formatter={(v) => sci(Number(v))} labelFormatter={(l) => data[Number(l) - 1]?.name ?? l} />
          <Legend />
          <Line type="linear" dataKey="rtn" name="round to nearest" stroke="#b91c1c" dot isAnimationActive={false} />
          <Line
            type="linear"
            dataKey={result.settings.method}
            name={result.settings.method}
            stroke="#1d4ed8"
            dot
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** The selected layer's weight codes and, for Bit-Split, its error after each epoch. */
function LayerCharts({ result, name }: { result: RunSummary; name: string }) {
  const layer = result.layers.find((l) => l.name === name);
  if (!layer || layer.skipped) return null;
  const epochs = layer.errorPerEpoch.map((e, i) => ({ epoch: i + 1, error: e }));
  return (
    <div className="chart-row">
      <figure className="chart" aria-label="Weight code histogram">
        <figcaption>
          Weight codes of {layer.name} ({layer.wbits} bits)
        </figcaption>
        <ResponsiveContainer width="100%" height={200}>
          <BarChart data={layer.codeHistogram}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="code" />
            <YAxis width={56} />
            <Tooltip />
            <Bar dataKey="count" fill="#1d4ed8" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </figure>
      {epochs.length > 0 && (
        <figure className="chart" aria-label="Solver objective per epoch">
          <figcaption>
            Bit-Split: relative output error per epoch ({layer.epochs} epochs, {layer.flips} flips)
          </figcaption>
          <ResponsiveContainer width="100%" height={200}>
            <LineChart data={epochs}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="epoch" />
              <YAxis tickFormatter={sci} width={64} domain={['auto', 'auto']} />
              <Tooltip formatter={(v) => sci(Number(v))} />
              <Line type="linear" dataKey="error" stroke="#1d4ed8" dot isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </figure>
      )}
    </div>
  );
}

export function Charts() {
  const result = useStudio((s) => s.result);
  const selected = useStudio((s) => s.selectedLayer);
  if (!result) return null;
  const name = selected ?? result.layers.find((l) => !l.skipped && l.epochs > 0)?.name ?? result.layers[0]?.name;
  return (
    <section className="panel" aria-labelledby="charts-title">
      <h2 id="charts-title">Errors</h2>
      <ErrorChart result={result} />
      <p className="hint">Select a layer in the table to see its codes and its solver's progress.</p>
      {name && <LayerCharts result={result} name={name} />}
    </section>
  );
}
