import { denseGeometry, type ConvGeometry } from '../core/conv-geometry';
import { randomArray } from '../core/random';
import { convGramReference } from '../core/reference/conv-gram';
import type { GpuContext } from '../gpu/device';
import { LayerStatistics } from '../gpu/layer-statistics';

export interface SelfTestResult {
  passed: boolean;
  /** Largest |A_gpu - A_ref| / max|A_ref| over the cases. */
  maxRelativeError: number;
  milliseconds: number;
}

const CASES: ConvGeometry[] = [
  {
    batch: 2,
    channels: 4,
    height: 9,
    width: 7,
    groups: 2,
    kernelH: 3,
    kernelW: 3,
    strideH: 2,
    strideW: 1,
    dilationH: 1,
    dilationW: 2,
    padTop: 1,
    padLeft: 2,
    padBottom: 0,
    padRight: 1,
  },
  denseGeometry(9, 11),
];

/** Runs the Gram kernel on this device against its float64 reference: proves the GPU path end to end. */
export async function runGpuSelfTest(ctx: GpuContext): Promise<SelfTestResult> {
  const start = performance.now();
  let worst = 0;
  for (const [i, g] of CASES.entries()) {
    const x = randomArray(g.batch * g.channels * g.height * g.width, 40 + i);
    const { batch, ...geometry } = g;
    const acc = new LayerStatistics(ctx, geometry);
    await acc.add(x, batch);
    const got = await acc.readGram();
    acc.destroy();
    convGramReference(x, g).forEach((ref, group) => {
      const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
      ref.forEach((v, k) => (worst = Math.max(worst, Math.abs(got[group][k] - v) / scale)));
    });
  }
  return { passed: worst < 1e-4, maxRelativeError: worst, milliseconds: performance.now() - start };
}
