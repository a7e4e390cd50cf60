import { useStudio, type LatencyReport, type RunSummary } from '../state/store';
import { formatBytes, formatMs, formatShape } from './format';

type Figure = LatencyReport['variants'][number]['timings'][number];

const EP_NAMES: Record<Figure['ep'], string> = { wasm: 'wasm (CPU)', webgpu: 'WebGPU' };

function timingText(f: Figure | undefined, float: Figure | undefined): string {
  if (!f) return '–';
  const vs = float && f !== float && f.medianMs > 0 ? ` · ${(float.medianMs / f.medianMs).toFixed(2)}× float` : '';
  return `${formatMs(f.medianMs)} (${formatMs(f.p10Ms)}–${formatMs(f.p90Ms)})${vs}`;
}

/** Size, latency on each EP and integer kernels of the float model and each downloadable file, or the timing under way. */
export function LatencyTable({ run }: { run: RunSummary }) {
  const timing = useStudio((s) => s.timing);
  const cancel = useStudio((s) => s.cancel);
  const latency = run.latency;
  if (!latency) {
    return timing ? (
      <p className="hint" data-testid="latency-progress">
        Timing the {timing.variant} model on {EP_NAMES[timing.ep]} ({timing.done + 1} of {timing.total})…{' '}
        <button type="button" className="secondary" onClick={cancel}>
          Cancel timing
        </button>
      </p>
    ) : null;
  }
  const eps = latency.variants[0]?.timings.map((t) => t.ep) ?? [];
  const float = latency.variants.find((v) => v.variant === 'float');
  const first = latency.variants[0]?.timings[0];
  return (
    <div className="table-wrap">
      <table className="outputs" data-testid="latency-table">
        <caption>
          What the download buys: each file in this browser&apos;s onnxruntime-web, one input {formatShape(latency.input.dims)},
          median (10th–90th percentile) of {first?.runs} runs after {first?.warmup} warm-up runs
        </caption>
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Size</th>
            {eps.map((ep) => (
              <th scope="col" key={ep}>
                {EP_NAMES[ep]}
              </th>
            ))}
            <th scope="col">Integer kernels (CPU EP)</th>
          </tr>
        </thead>
        <tbody>
          {latency.variants.map((v) => (
            <tr key={v.variant} data-testid={`latency-${v.variant}`}>
              <th scope="row">{v.variant}</th>
              <td className="num">{formatBytes(v.bytes)}</td>
              {eps.map((ep) => (
                <td className="num" key={ep} data-testid={`latency-${v.variant}-${ep}`}>
                  {timingText(
                    v.timings.find((t) => t.ep === ep),
                    float?.timings.find((t) => t.ep === ep),
                  )}
                </td>
              ))}
              <td>{v.kernels ? <KernelsCell kernels={v.kernels} /> : 'float model'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function KernelsCell({ kernels }: { kernels: NonNullable<LatencyReport['variants'][number]['kernels']> }) {
  const integer = kernels.layers.filter((k) => k.integer).length;
  const reasons = new Map<string, number>();
  for (const k of kernels.layers) if (k.why) reasons.set(k.why, (reasons.get(k.why) ?? 0) + 1);
  return (
    <span
      data-testid="integer-kernels"
      title={kernels.layers.map((k) => `${k.name}: ${k.integer ? 'integer kernel' : k.why}`).join('\n')}
    >
      {integer} of {kernels.layers.length} layers
      {reasons.size > 0 && ` (dequantized where ${[...reasons].map(([why, n]) => `${why}: ${n}`).join('; ')})`}
    </span>
  );
}
