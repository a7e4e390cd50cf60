import { describe, expect, it } from 'vitest';
import { convOutputSize, denseGeometry, patchLength, type ConvGeometry } from './conv-geometry';
import { gatherPatches, gatherTargets } from './im2col';
import { randomArray } from './random';
import { forEachPatch } from './reference/patches';
import { batchPositions } from './sampling';

const conv = (o: Partial<ConvGeometry>): ConvGeometry => ({
  batch: 2,
  channels: 3,
  height: 7,
  width: 9,
  groups: 1,
  kernelH: 3,
  kernelW: 3,
  strideH: 1,
  strideW: 1,
  dilationH: 1,
  dilationW: 1,
  padTop: 1,
  padLeft: 1,
  padBottom: 1,
  padRight: 1,
  ...o,
});

const cases: [string, ConvGeometry, number | undefined][] = [
  ['3x3, padding 1, every position', conv({}), undefined],
  [
    'stride 2, asymmetric padding, dilation 2, 5 positions per image',
    conv({
      channels: 5,
      strideH: 2,
      strideW: 2,
      dilationH: 2,
      dilationW: 2,
      padTop: 1,
      padLeft: 0,
      padBottom: 2,
      padRight: 1,
      height: 11,
      width: 8,
    }),
    5,
  ],
  [
    '2 groups, 2 x 3 kernel, no padding',
    conv({ channels: 6, groups: 2, kernelH: 2, kernelW: 3, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 }),
    7,
  ],
  [
    'depthwise, dilation 2, padding 2',
    conv({ channels: 8, groups: 8, dilationH: 2, dilationW: 2, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2 }),
    undefined,
  ],
  ['dense layer, 37 rows of 19 features', denseGeometry(37, 19), undefined],
];

describe('im2col gathering', () => {
  it.each(cases)('%s: the rows forEachPatch visits, per group', (_name, g, count) => {
    const input = randomArray(g.batch * g.channels * g.height * g.width, 3);
    const { outH, outW } = convOutputSize(g);
    const positions = batchPositions(outH * outW, g.batch, count, 1, 0);
    const n = patchLength(g);
    const got = gatherPatches(input, g, positions);
    expect(got.length).toBe(g.groups * positions.length * n);
    for (let group = 0; group < g.groups; group++) {
      let row = 0;
      forEachPatch(
        input,
        g,
        group,
        (patch, position) => {
          expect(position).toBe(positions[row]);
          expect(
            Array.from(got.subarray((group * positions.length + row) * n, (group * positions.length + row + 1) * n)),
          ).toEqual(Array.from(patch, Math.fround));
          row++;
        },
        positions,
      );
      expect(row).toBe(positions.length);
    }
  });

  it('gathers targets per group at the same positions and sums their energy', () => {
    const m = 6,
      plane = 4,
      batch = 2,
      groups = 3;
    const target = Float32Array.from({ length: batch * m * plane }, (_, i) => i - 20);
    const positions = Uint32Array.of(1, 4, 7);
    const energy = new Float64Array(m);
    const y = gatherTargets(target, m, plane, groups, positions, energy);
    const at = (b: number, r: number, p: number) => target[(b * m + r) * plane + p];
    // Group 1 holds channels 2 and 3; position 4 is image 1's position 0.
    expect(Array.from(y.subarray(6, 12))).toEqual([at(0, 2, 1), at(0, 3, 1), at(1, 2, 0), at(1, 3, 0), at(1, 2, 3), at(1, 3, 3)]);
    expect(energy[5]).toBe(at(0, 5, 1) ** 2 + at(1, 5, 0) ** 2 + at(1, 5, 3) ** 2);
  });
});
