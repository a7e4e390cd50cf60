import { useStudio, type ModelSummary } from '../state/store';
import { logScaleColor } from './format';

const errorColor = (error: number) => logScaleColor(error, 1e-4, 1e-1);

/** The model's layers in order, one cell each, coloured by the last run's relative output error. */
export function LayerStrip({ model }: { model: ModelSummary }) {
  const result = useStudio((s) => s.result);
  const selected = useStudio((s) => s.selectedLayer);
  const selectLayer = useStudio((s) => s.selectLayer);
  if (!result || model.layers.length === 0) return null;
  const records = new Map(result.layers.map((r) => [r.name, r]));
  return (
    <>
      <div className="layer-strip" role="group" aria-label="Layers coloured by relative output error" data-testid="layer-strip">
        {model.layers.map((l) => {
          const r = records.get(l.name);
          const label = r?.skipped
            ? `${l.name}: float`
            : `${l.name}: ${r?.wbits} bits, relative output error ${r?.relOutputError.toExponential(2)}`;
          return (
            <button
              key={l.name}
              type="button"
              title={label}
              aria-label={label}
              className={selected === l.name ? 'selected' : undefined}
              style={{ background: r && !r.skipped ? errorColor(r.relOutputError) : '#e5e7eb' }}
              onClick={() => selectLayer(l.name)}
            />
          );
        })}
      </div>
      <p className="strip-legend">
        Each cell is a layer, in order: green 1e-4 or less, red 1e-1 or more (log scale); grey stays float. Click one to select
        it.
      </p>
    </>
  );
}
