import { useMemo, useState } from 'react';
import type { LayerInfo, ModelSummary } from '../state/store';
import { formatInt } from './format';

type Column = { key: string; label: string; value: (l: LayerInfo) => string | number; numeric?: boolean; title?: string };

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

export function LayerTable({ layers, skipped }: { layers: LayerInfo[]; skipped: ModelSummary['skipped'] }) {
  const [sort, setSort] = useState<{ key: string; descending: boolean }>({ key: 'index', descending: false });
  const rows = useMemo(() => {
    const column = COLUMNS.find((c) => c.key === sort.key) ?? COLUMNS[0];
    const sorted = [...layers].sort((a, b) => {
      const x = column.value(a);
      const y = column.value(b);
      return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    });
    return sort.descending ? sorted.reverse() : sorted;
  }, [layers, sort]);

  return (
    <section className="panel" aria-labelledby="layers-title">
      <h2 id="layers-title">Quantizable layers</h2>
      {layers.length === 0 ? (
        <p>This model has no Conv, Gemm or MatMul with a constant weight: there is nothing to quantize.</p>
      ) : (
        <div className="table-scroll">
          <table className="layers" data-testid="layer-table">
            <thead>
              <tr>
                {COLUMNS.map((c) => {
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
                <tr key={l.name}>
                  {COLUMNS.map((c) => {
                    const v = c.value(l);
                    return (
                      <td key={c.key} className={c.numeric ? 'num' : c.key === 'input' || c.key === 'name' ? 'mono' : undefined}>
                        {typeof v === 'number' ? formatInt(v) : v}
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
