/**
 * What each quantized activation alone costs a model's outputs: the grids of a W8A8 run (round-to-nearest
 * weights, the page's activation settings), switched on one at a time on the float model, scored on the
 * suite's held-out images. Prints the inputs from costliest down, with the whole model's output SQNR.
 *
 *   npm run bench:activations -- --model blazeface-front [--abits 8] [--top 15] [--channels auto|on|off]
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_SETTINGS } from '../src/core/settings';
import { layerWeights } from '../src/core/layer-weights';
import { ModelMetricsAccumulator } from '../src/core/model-metrics';
import { readModelFile } from '../src/core/model-summary';
import { batchOf } from '../src/pipeline/images';
import { resultPlan, runJob } from '../src/pipeline/job';
import { DEFAULT_JOB } from '../src/pipeline/job-config';
import { Simulator } from '../src/pipeline/simulator';
import { cpuBackend } from '../src/pipeline/solver-backend';
import { SUITE } from './suite';

const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

async function main() {
  const name = option('model', 'blazeface-front');
  const abits = Number(option('abits', '8'));
  const spec = SUITE[name];
  if (!spec) throw new Error(`unknown model "${name}"; the suite has ${Object.keys(SUITE).join(', ')}`);
  const { graph, summary } = await readModelFile(new Uint8Array(readFileSync(spec.file)), name);
  const data = await spec.data(summary);
  const s = DEFAULT_SETTINGS;
  const t = performance.now();
  const result = await runJob(
    graph,
    summary.layers,
    data.calib,
    data.scored,
    {
      ...DEFAULT_JOB,
      wbits: 8,
      abits,
      method: 'rtn',
      ecaq: s.ecaq,
      asymmetric: s.asymmetric,
      channelScales: { auto: 'auto' as const, on: true, off: false }[option('channels', 'auto')]!,
      calibImages: data.calib.count,
      positions: s.positions,
      seed: s.seed,
    },
    { backend: cpuBackend, scores: data.scores },
  );
  console.log(
    `${name} W8A${abits} round to nearest: output SQNR ${result.metrics!.sqnrDb.toFixed(1)} dB (${((performance.now() - t) / 1000).toFixed(0)} s)`,
  );
  const { sites } = resultPlan(graph, summary.layers, result);
  const floatWeights = new Map(summary.layers.map((l) => [l.index, layerWeights(graph, l).original]));
  const sim = await Simulator.create(graph, summary.layers, sites, floatWeights);
  const outputs = graph.outputs.map((o) => o.name);
  const batches = Array.from({ length: Math.ceil(data.scored.count / 16) }, (_, i) => batchOf(data.scored, i * 16, 16));
  const float = [];
  for (const b of batches) float.push(await sim.run({ data: b.data, dims: [b.batch, ...data.scored.dims] }, 'float', outputs));
  const rows: { tensor: string; readers: string; sqnr: number; grid: string; outputs: string }[] = [];
  for (const site of sites) {
    const q = result.quantizers.get(site.tensor);
    if (!q) continue;
    sim.load({ quantizers: new Map([[site.tensor, q]]) });
    const m = new ModelMetricsAccumulator(graph.outputs);
    for (const [i, b] of batches.entries())
      m.add(float[i], await sim.run({ data: b.data, dims: [b.batch, ...data.scored.dims] }, 'quantized', outputs), b.labels);
    const r = m.result();
    const grid = `scale ${q.scale[0].toPrecision(3)} [${q.qmin[0]}, ${q.qmax[0]}] → ${(q.scale[0] * q.qmin[0]).toPrecision(3)}..${(q.scale[0] * q.qmax[0]).toPrecision(3)}${q.scale.length > 1 ? ` (${q.scale.length} channels)` : ''}`;
    rows.push({
      tensor: site.tensor,
      readers: site.readers.join(', '),
      sqnr: r.sqnrDb,
      grid,
      outputs: r.outputs.map((o) => o.sqnrDb.toFixed(1)).join(' / '),
    });
  }
  await sim.release();
  rows.sort((a, b) => a.sqnr - b.sqnr);
  console.log(`Each input alone at ${abits} bits (weights float): output SQNR dB (per output: ${outputs.join(' / ')})`);
  for (const r of rows.slice(0, Number(option('top', '15'))))
    console.log(`${r.sqnr.toFixed(1).padStart(6)}  ${r.outputs}  ${r.tensor} → ${r.readers}; ${r.grid}`);
}

await main();
