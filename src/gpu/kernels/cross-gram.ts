import entry from '../../../shaders/cross-gram.wgsl?raw';
import patchTaps from '../../../shaders/lib/patch-taps.wgsl?raw';

import type { GpuContext } from '../device';
import { encodePass, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';
import { geometryValues, patchStruct, TILE, WORKGROUP_SIZE, type PatchPass } from './patch-pass';

const PARAMS = patchStruct({
  rows: 'u32',
  rows_per_group: 'u32',
  n: 'u32',
  col_tiles: 'u32',
  positions: 'u32',
  chunk: 'u32',
  row_tiles: 'u32',
  sampled: 'u32',
});
const shader = `${PARAMS.wgsl}\n${entry}\n${patchTaps}`;

/** Encodes the partial sums of C = Y^T X for M output channels. */
export async function encodeCrossGram(
  ctx: GpuContext,
  pipelines: PipelineCache,
  encoder: GPUCommandEncoder,
  s: PatchPass,
  m: number,
  b: { input: GPUBuffer; target: GPUBuffer; partial: GPUBuffer; samples: GPUBuffer },
): Promise<GPUBuffer> {
  const rowsPerGroup = m / s.groups;
  const rowTiles = Math.ceil(rowsPerGroup / TILE);
  const colTiles = Math.ceil(s.n / TILE);
  const params = uniformBuffer(
    ctx.device,
    PARAMS.pack({
      ...geometryValues(s),
      rows: m,
      rows_per_group: rowsPerGroup,
      n: s.n,
      col_tiles: colTiles,
      positions: s.positions,
      chunk: s.chunk,
      row_tiles: rowTiles,
      sampled: s.sampled ? 1 : 0,
    }),
    'cross-gram:params',
  );
  const pipeline = await pipelines.get('cross-gram', shader, { WORKGROUP_SIZE });
  encodePass(
    ctx.device,
    encoder,
    pipeline,
    'cross-gram',
    [params, b.input, b.target, b.partial, b.samples],
    [Math.ceil((rowTiles * colTiles) / WORKGROUP_SIZE), s.groups, s.chunks],
  );
  return params;
}
