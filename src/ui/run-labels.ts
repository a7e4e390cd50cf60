import { averageBits, type RunSummary } from '../state/store';

/** Average bits per quantized weight of a run (layers kept in float left out). */
export function bitsPerWeight(run: RunSummary): number {
  const quantized = run.layers.filter((l) => !l.skipped);
  const bits = new Map(quantized.map((l) => [l.name, l.wbits]));
  return averageBits(quantized, (name) => bits.get(name)!);
}

/** A run with bits chosen per layer (by hand or by the mixed-precision knapsack). */
export const hasPerLayerBits = (run: RunSummary) => Object.values(run.settings.layers).some((o) => o.bits !== undefined);

/** "W4A8", or "W2.50A8" (average bits per weight) for per-layer bits. */
export function bitsLabel(run: RunSummary): string {
  return `W${hasPerLayerBits(run) ? bitsPerWeight(run).toFixed(2) : run.settings.wbits}A${run.settings.abits}`;
}

/**
 * The method and the refinements that applied to it: "bitsplit + error compensation + bias correction",
 * or with `short` "bitsplit + EC + BC". Bias correction and the full grid need Bit-Split; residual compensation also EC;
 * asymmetric activations need quantized activations (and change only those that may be negative); per-channel scales also EC.
 */
export function methodLabel(run: RunSummary, short = false): string {
  const s = run.settings;
  const bitsplit = s.method === 'bitsplit';
  const parts = [
    [s.ecaq, 'error compensation', 'EC'],
    [s.biasCorrection && bitsplit, 'bias correction', 'BC'],
    [s.residualCompensation && s.ecaq && bitsplit, 'residual compensation', 'RC'],
    [s.fullGrid && bitsplit, 'full grid', 'FG'],
    [s.asymmetric && s.abits !== 'float', 'asymmetric activations', 'AA'],
    // On "auto", only where the run chose them for some input.
    [
      s.ecaq &&
        s.abits !== 'float' &&
        (s.channelScales === true || (s.channelScales === 'auto' && run.layers.some((l) => l.activation?.channelScales))),
      'per-channel activation scales',
      'PC',
    ],
  ] as const;
  return [s.method, ...parts.filter(([on]) => on).map(([, long, abbreviation]) => (short ? abbreviation : long))].join(' + ');
}

/** "model.w4a8.bitsplit-ecaq.int8.onnx": the model's name, the run's bits and method, and what the file is. */
export function downloadName(modelFile: string, run: RunSummary, what: 'int8' | 'int4' | 'report'): string {
  const { method, ecaq } = run.settings;
  const stem = `${modelFile.replace(/^Demo: .*\((.*)\)$/, '$1').replace(/\.onnx$/i, '')}.${bitsLabel(run).toLowerCase()}.${method}${ecaq ? '-ecaq' : ''}`;
  return what === 'report' ? `${stem}.report.json` : `${stem}.${what}.onnx`;
}
