import { useMemo, useState } from 'react';
import {
  nothingToQuantize,
  plannedBits,
  useStudio,
  type LayerInfo,
  type LayerSetting,
  type ModelSummary,
  type RunSummary,
} from '../state/store';
import { formatInt } from './format';
import { LayerStrip } from './LayerStrip';

type Row = LayerInfo & { record?: RunSummary['layers'][number] };
type Column = {
  key: string;
  label: string;
  value: (l: Row) => string | number;
  /** How a numeric value shows; sorting uses the number. */
  format?: (v: number) => string;
  numeric?: boolean;
  title?: string;
};

const sci = (x: number) => (x < 0 ? '' : x === 0 ? '0' : x.toExponential(2));
type Activation = NonNullable<RunSummary['layers'][number]['activation']>;
const span = (values: number[], format: (v: number) => string) => {
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  return lo === hi ? format(lo) : `${format(lo)}–${format(hi)}`;
};
const activationGrid = (a: Activation) =>
  a.channelZeroPoints
    ? `, zero points ${span(a.channelZeroPoints, String)}`
    : a.zeroPoint !== undefined
      ? `, zero point ${a.zeroPoint}`
      : a.signed
        ? ' signed'
        : '';
/** One scale, or the range of the per-channel ones. */
const activationScale = (a: Activation) =>
  a.channelScales ? `${span(a.channelScales, (v) => v.toPrecision(3))} per channel` : a.scale.toPrecision(3);

const COLUMNS: Column[] = [
  { key: 'index', label: '#', value: (l) => l.index + 1, numeric: true },
  { key: 'name', label: 'Layer', value: (l) => l.name },
  { key: 'op', label: 'Op', value: (l) => l.op },
  { key: 'shape', label: 'Weight shape', value: (l) => l.weightShape.join(' × ') },
  { key: 'params', label: 'Parameters', value: (l) => l.params, numeric: true },
  { key: 'm', label: 'M', value: (l) => l.m, numeric: true, title: 'Output channels (rows of the weight matrix)' },
  { key: 'n', label: 'N', value: (l) => l.n, numeric: true, title: 'Reduction length per group' },
  { key: 'groups', label: 'Groups', value: (l) => l.groups, numeric: true },
  { key: 'source', label: 'Weight in', value: (l) => (l.weightSource === 'constant' ? 'Constant node' : 'initializer') },
  { key: 'input', label: 'Input tensor', value: (l) => l.input },
];

/** Editable per layer: they show the plan before a run. */
const CHOICE_COLUMNS: Column[] = [
  { key: 'bits', label: 'Bits', value: (l) => l.record?.wbits ?? '', numeric: true },
  { key: 'method', label: 'Method', value: (l) => l.record?.method ?? '' },
  { key: 'skip', label: 'Skip', value: (l) => (l.record?.skipped ? 'yes' : ''), title: 'Keep this layer in float' },
];

const RESULT_COLUMNS: Column[] = [
  {
    key: 'errRtn',
    label: 'Error (RTN)',
    value: (l) => l.record?.relOutputErrorRtn ?? -1,
    format: sci,
    numeric: true,
    title: 'Relative output error with round to nearest',
  },
  {
    key: 'err',
    label: 'Error',
    value: (l) => l.record?.relOutputError ?? -1,
    format: sci,
    numeric: true,
    title: 'Relative output error ||Y - X Wq||² / ||Y||² on the calibration input',
  },
  {
    key: 'act',
    label: 'Input scale',
    value: (l) =>
      l.record?.activation
        ? `${activationScale(l.record.activation)} (${l.record.activation.bits}b${activationGrid(l.record.activation)})`
        : l.record
          ? 'float'
          : '',
  },
  { key: 'epochs', label: 'Epochs', value: (l) => l.record?.epochs ?? '', numeric: true },
  {
    key: 'time',
    label: 'Time (s)',
    value: (l) => (l.record ? (l.record.reused ? 'reused' : l.record.seconds.toFixed(2)) : ''),
    numeric: true,
  },
];

const PLAN = [...COLUMNS.slice(0, 5), ...CHOICE_COLUMNS, ...COLUMNS.slice(5)];
const WITH_RESULTS = [...COLUMNS.slice(0, 5), ...CHOICE_COLUMNS, ...RESULT_COLUMNS, ...COLUMNS.slice(5)];
const METHODS = [
  ['bitsplit', 'Bit-Split'],
  ['mse', 'MSE scale'],
  ['rtn', 'RTN'],
] as const;

export function LayerTable({ model }: { model: ModelSummary }) {
  const { layers, skipped } = model;
  const [sort, setSort] = useState<{ key: string; descending: boolean }>({ key: 'index', descending: false });
  const result = useStudio((s) => s.result);
  const selected = useStudio((s) => s.selectedLayer);
  const selectLayer = useStudio((s) => s.selectLayer);
  const settings = useStudio((s) => s.settings);
  const setLayer = useStudio((s) => s.setLayer);
  const running = useStudio((s) => s.running);
  const columns = result ? WITH_RESULTS : PLAN;
  const bitsOf = useMemo(() => plannedBits(layers, settings), [layers, settings]);
  const rows = useMemo(() => {
    const byName = new Map(result?.layers.map((r) => [r.name, r]));
    const all: Row[] = layers.map((l) => ({ ...l, record: byName.get(l.name) }));
    const column = columns.find((c) => c.key === sort.key) ?? columns[0];
    const sorted = all.sort((a, b) => {
      const x = column.value(a);
      const y = column.value(b);
      return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    });
    return sort.descending ? sorted.reverse() : sorted;
  }, [layers, sort, result, columns]);

  return (
    <section className="panel" aria-labelledby="layers-title">
      <h2 id="layers-title">Quantizable layers</h2>
      <LayerStrip model={model} />
      {layers.length === 0 ? (
        <p data-testid="nothing-to-quantize">{nothingToQuantize(model)}</p>
      ) : (
        <div className="table-scroll">
          <table className="layers" data-testid="layer-table">
            <thead>
              <tr>
                {columns.map((c) => {
                  const active = sort.key === c.key;
                  return (
                    <th
                      key={c.key}
                      scope="col"
                      className={c.numeric ? 'num' : undefined}
                      title={c.title}
                      aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}
                    >
                      <button
                        type="button"
                        onClick={() => setSort({ key: c.key, descending: active ? !sort.descending : false })}
                      >
                        {c.label}
                        {active ? (sort.descending ? ' ▼' : ' ▲') : ''}
                      </button>
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {rows.map((l) => (
                <tr
                  key={l.name}
                  className={selected === l.name ? 'selected' : undefined}
                  aria-selected={selected === l.name}
                  tabIndex={0}
                  onClick={() => selectLayer(l.name)}
                  onKeyDown={(e) => e.key === 'Enter' && selectLayer(l.name)}
                >
                  {columns.map((c) => {
                    const v = c.value(l);
                    const choice = settings.layers[l.name] ?? {};
                    if (c.key === 'bits') {
                      return (
                        <td key={c.key} className="num" onClick={(e) => e.stopPropagation()}>
                          <select
                            aria-label={`Bits of ${l.name}`}
                            value={bitsOf.get(l.index)}
                            disabled={running || choice.skip}
                            onChange={(e) => setLayer(l.name, { bits: Number(e.target.value) })}
                          >
                            {[2, 3, 4, 5, 6, 7, 8].map((b) => (
                              <option key={b} value={b}>
                                {b}
                              </option>
                            ))}
                          </select>
                        </td>
                      );
                    }
                    if (c.key === 'method') {
                      return (
                        <td key={c.key} onClick={(e) => e.stopPropagation()}>
                          <select
                            aria-label={`Method of ${l.name}`}
                            value={choice.method ?? settings.method}
                            disabled={running || choice.skip}
                            onChange={(e) =>
                              setLayer(l.name, {
                                method:
                                  e.target.value === settings.method ? undefined : (e.target.value as LayerSetting['method']),
                              })
                            }
                          >
                            {METHODS.map(([value, label]) => (
                              <option key={value} value={value}>
                                {label}
                              </option>
                            ))}
                          </select>
                        </td>
                      );
                    }
                    if (c.key === 'skip') {
                      return (
                        <td key={c.key} onClick={(e) => e.stopPropagation()}>
                          <input
                            type="checkbox"
                            aria-label={`Keep ${l.name} in float`}
                            checked={Boolean(choice.skip)}
                            disabled={running}
                            onChange={(e) => setLayer(l.name, { skip: e.target.checked || undefined })}
                          />
                        </td>
                      );
                    }
                    return (
                      <td key={c.key} className={c.numeric ? 'num' : c.key === 'input' || c.key === 'name' ? 'mono' : undefined}>
                        {typeof v === 'number' ? (c.format ?? formatInt)(v) : v}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {skipped.length > 0 && (
        <details className="skipped">
          <summary>{skipped.length} layer(s) not quantizable</summary>
          <ul>
            {skipped.map((s) => (
              <li key={s.name}>
                <span className="mono">{s.name}</span> ({s.op}): {s.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
