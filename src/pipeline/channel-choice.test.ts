import { describe, expect, it } from 'vitest';
import { hardswishConvModel } from '../testing/fixtures';
import { layerWeights } from '../core/layer-weights';
import type { LayerInfo } from '../core/layers';
import type { GraphView } from '../core/onnx/graph';
import { readModelFile } from '../core/model-summary';
import { encodeModel } from '../core/onnx/model-io';
import { randomArray } from '../core/random';
import { autoChannelTensors } from './channel-choice';
import { loadDemo } from '../testing/demo';
import type { ImageSet } from './images';
import { runJob, type JobProgress } from './job';
import { DEFAULT_JOB, type JobConfig } from './job-config';
import { exportQuantizedModel, simulatedQuantizedModel } from './report';
import { cpuBackend } from './solver-backend';
import { verifyExport } from './verify-export';

const depsFor = (graph: GraphView, layers: LayerInfo[]) => ({
  floatWeights: new Map(layers.map((l) => [l.index, layerWeights(graph, l).original])),
  executionProvider: 'wasm' as const,
  check: async () => undefined,
});

describe('per-channel activation scales on "auto"', async () => {
  const { graph, summary } = await readModelFile(encodeModel(hardswishConvModel()), 'hardswish-conv.onnx');
  const images: ImageSet = { count: 48, dims: [3, 8, 8], image: (i) => randomArray(3 * 64, 300 + i, 1), label: () => null };
  const config: JobConfig = {
    ...DEFAULT_JOB,
    wbits: 8,
    abits: 4,
    method: 'rtn',
    channelScales: 'auto',
    calibImages: 48,
    batchSize: 16,
  };
  const deps = depsFor(graph, summary.layers);

  it('takes every conv input when one has channels on different scales; below 8 bits only, with error compensation only', async () => {
    // 'r' follows a ReLU and alone would stay per tensor; 'hs' decides for the model.
    expect(await autoChannelTensors(graph, summary.layers, images, config, deps)).toEqual(['hs', 'r']);
    expect(
      await autoChannelTensors(graph, summary.layers, images, { ...config, layers: { middle: { skip: true } } }, deps),
    ).toEqual([]);
    expect(await autoChannelTensors(graph, summary.layers, images, { ...config, abits: 8 }, deps)).toEqual([]);
    expect(await autoChannelTensors(graph, summary.layers, images, { ...config, ecaq: false }, deps)).toEqual([]);
    expect(await autoChannelTensors(graph, summary.layers, images, { ...config, channelScales: true }, deps)).toEqual([]);
  });

  it("leaves the demo's inputs (after ReLU, channels alike) at one scale per tensor", async () => {
    const { loaded, images: demoImages } = await loadDemo();
    expect(
      await autoChannelTensors(
        loaded.graph,
        loaded.summary.layers,
        demoImages,
        { ...DEFAULT_JOB, abits: 4, channelScales: 'auto', calibImages: 32 },
        depsFor(loaded.graph, loaded.summary.layers),
      ),
    ).toEqual([]);
  });

  it('runs as "on" where it chose them, and the export and later runs know which inputs it chose', async () => {
    const stages: JobProgress[] = [];
    const auto = await runJob(graph, summary.layers, images, null, config, {
      backend: cpuBackend,
      onProgress: (p) => stages.push(p),
    });
    // The choice reports as 'prepare', before any layer: 32 of the 48 calibration images, in batches of 8.
    expect(stages.filter((p) => p.stage === 'prepare').map((p) => [p.layer, p.imagesDone, p.imagesTotal, p.fraction])).toEqual(
      [8, 16, 24, 32].map((n) => [0, n, 32, 0]),
    );
    expect(stages[4].stage).not.toBe('prepare');
    const on = await runJob(graph, summary.layers, images, null, { ...config, channelScales: true }, { backend: cpuBackend });
    expect(auto.channelTensors).toEqual(['hs', 'r']);
    expect(auto.layers.map((l) => l.activation?.channelScales)).toEqual(on.layers.map((l) => l.activation?.channelScales));
    expect(auto.layers.map((l) => l.relOutputError)).toEqual(on.layers.map((l) => l.relOutputError));
    const bytes = exportQuantizedModel(graph, summary.layers, auto, {
      format: 'int8',
      sourceSha256: summary.sha256,
      configLink: '#c=test',
    });
    const check = await verifyExport(bytes, simulatedQuantizedModel(graph, summary.layers, auto), images, graph);
    expect(check.maxRelativeDifference).toBeLessThan(1e-4);
    // A rerun with the same settings reuses every layer: the previous plan is rebuilt with its choice.
    const again = await runJob(graph, summary.layers, images, null, config, { backend: cpuBackend, previous: auto });
    expect(again.layers.every((l) => l.reused)).toBe(true);
  });

  it("keeps a previous run's choice while its candidate inputs are the same, and chooses again when they change", async () => {
    const first = await runJob(graph, summary.layers, images, null, config, { backend: cpuBackend });
    const choicePasses = async (c: JobConfig) => {
      const stages: string[] = [];
      const result = await runJob(graph, summary.layers, images, null, c, {
        backend: cpuBackend,
        previous: first,
        onProgress: (p) => stages.push(p.stage),
      });
      return { result, passes: stages.filter((s) => s === 'prepare').length };
    };
    // Another weight bit-width for one layer: the same inputs to choose for, no float pass.
    const wbits = await choicePasses({ ...config, layers: { third: { bits: 4 } } });
    expect(wbits.passes).toBe(0);
    expect(wbits.result.channelTensors).toEqual(['hs', 'r']);
    expect(wbits.result.layers.find((l) => l.name === 'third')?.reused).toBe(false);
    // A skipped layer takes its input out of the candidates: the choice runs again.
    const skipped = await choicePasses({ ...config, layers: { middle: { skip: true } } });
    expect(skipped.passes).toBe(4);
    expect(skipped.result.channelTensors).toEqual([]);
    // Another seed is another global setting: chosen again (the same answer here).
    expect((await choicePasses({ ...config, seed: 5 })).passes).toBe(4);
  });
});
