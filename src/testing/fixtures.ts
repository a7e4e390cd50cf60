import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema, type ModelProto } from 'onnx-buf';
import { makeModel, makeNode, makeValueInfo } from '../core/onnx/builder';
import { encodeModel } from '../core/onnx/model-io';
import { DataType, makeTensor } from '../core/onnx/tensor';
import { randomArray } from '../core/random';

/**
 * Small generated models that exercise every layer form the inventory must find: a strided conv
 * with asymmetric padding, a dilated depthwise conv whose weight lives in a `Constant` node (typed
 * float_data, not raw bytes), a Gemm with transB and alpha, and a MatMul with a constant weight.
 */
export function mixedLayersModel(seed = 1): ModelProto {
  const w1 = makeTensor('conv1.weight', [8, 3, 3, 3], DataType.FLOAT, randomArray(8 * 3 * 9, seed, 0.3));
  const b1 = makeTensor('conv1.bias', [8], DataType.FLOAT, randomArray(8, seed + 1, 0.1));
  const dwValues = randomArray(8 * 9, seed + 2, 0.3);
  const dw = create(TensorProtoSchema, {
    name: 'dw.weight',
    dims: [8n, 1n, 3n, 3n],
    dataType: DataType.FLOAT,
    floatData: Array.from(dwValues),
  });
  const fc = makeTensor('fc.weight', [6, 8], DataType.FLOAT, randomArray(48, seed + 3, 0.4));
  const fcBias = makeTensor('fc.bias', [6], DataType.FLOAT, randomArray(6, seed + 4, 0.1));
  const proj = makeTensor('proj.weight', [6, 4], DataType.FLOAT, randomArray(24, seed + 5, 0.4));
  return makeModel({
    name: 'mixed-layers',
    inputs: [makeValueInfo('image', ['batch', 3, 9, 11])],
    outputs: [makeValueInfo('scores', ['batch', 4])],
    initializers: [w1, b1, fc, fcBias, proj],
    nodes: [
      makeNode('Conv', ['image', 'conv1.weight', 'conv1.bias'], ['c1'], { strides: [2, 2], pads: [1, 0, 2, 1] }, 'conv1'),
      makeNode('Relu', ['c1'], ['r1'], {}, 'relu1'),
      makeNode('Constant', [], ['dw.weight'], { value: dw }, 'dw_weight'),
      makeNode(
        'Conv',
        ['r1', 'dw.weight'],
        ['c2'],
        { group: 8, dilations: [2, 2], pads: [2, 1, 2, 3], kernel_shape: [3, 3] },
        'depthwise',
      ),
      makeNode('GlobalAveragePool', ['c2'], ['pooled'], {}, 'pool'),
      makeNode('Flatten', ['pooled'], ['flat'], { axis: 1 }, 'flatten'),
      makeNode('Gemm', ['flat', 'fc.weight', 'fc.bias'], ['fc'], { transB: 1, alpha: { float: 0.5 } }, 'fc'),
      makeNode('MatMul', ['fc', 'proj.weight'], ['scores'], {}, 'proj'),
    ],
  });
}

/** A one-layer model: the smallest thing a user can drop. */
export function singleGemmModel(seed = 7): ModelProto {
  return makeModel({
    name: 'single-gemm',
    inputs: [makeValueInfo('x', [1, 5])],
    outputs: [makeValueInfo('y', [1, 3])],
    initializers: [makeTensor('w', [5, 3], DataType.FLOAT, randomArray(15, seed))],
    nodes: [makeNode('Gemm', ['x', 'w'], ['y'], {}, 'only_gemm')],
  });
}

/**
 * A residual block with an unfolded BatchNormalization: stem → Relu → branch1 → Relu → branch2 →
 * BatchNormalization → Add(stem's Relu) → Relu → pool → fc. One normalisation channel has no gain.
 */
export function residualBlockModel() {
  const conv = (name: string, cin: number) =>
    makeTensor(`${name}.w`, [4, cin, 3, 3], DataType.FLOAT, randomArray(4 * cin * 9, cin + name.length, 0.3));
  const bn = (what: string, values: number[]) => makeTensor(`bn.${what}`, [4], DataType.FLOAT, Float32Array.from(values));
  return makeModel({
    inputs: [makeValueInfo('image', ['batch', 2, 5, 5])],
    outputs: [makeValueInfo('scores', ['batch', 3])],
    initializers: [
      conv('stem', 2),
      conv('branch1', 4),
      conv('branch2', 4),
      bn('scale', [2, -1, 0.5, 0]),
      bn('bias', [0, 1, 0, 0]),
      bn('mean', [0.1, 0, 0, 0]),
      bn('var', [3, 0, 0.25, 1]),
      makeTensor('fc.w', [3, 4], DataType.FLOAT, randomArray(12, 9, 0.3)),
    ],
    nodes: [
      makeNode('Conv', ['image', 'stem.w'], ['s'], { pads: [1, 1, 1, 1] }, 'stem'),
      makeNode('Relu', ['s'], ['r0']),
      makeNode('Conv', ['r0', 'branch1.w'], ['b1'], { pads: [1, 1, 1, 1] }, 'branch1'),
      makeNode('Relu', ['b1'], ['r1']),
      makeNode('Conv', ['r1', 'branch2.w'], ['b2'], { pads: [1, 1, 1, 1] }, 'branch2'),
      makeNode('BatchNormalization', ['b2', 'bn.scale', 'bn.bias', 'bn.mean', 'bn.var'], ['n2'], { epsilon: { float: 1 } }),
      makeNode('Add', ['r0', 'n2'], ['sum']),
      makeNode('Relu', ['sum'], ['r2']),
      makeNode('GlobalAveragePool', ['r2'], ['pooled']),
      makeNode('Flatten', ['pooled'], ['flat']),
      makeNode('Gemm', ['flat', 'fc.w'], ['scores'], { transB: 1 }, 'fc'),
    ],
  });
}

/**
 * Conv 3 -> 8 whose channels differ in offset (seven near 0, one near 10), Hardswish, conv 8 -> 6
 * ('middle'), ReLU, conv 6 -> 6 ('third'), average pool, dense 6 -> 4: the middle conv reads channels
 * that are each lopsided in their own way, and one grid for all of them wastes most levels on the
 * outlier channel; the third reads ReLU outputs.
 */
export function hardswishConvModel() {
  const gains = [0.3, 0.5, 0.3, 0.4, 0.3, 0.5, 0.3, 0.3];
  const offsets = [0.2, -0.3, 0.3, -0.5, 0.1, 0, 0.4, 10];
  const w1 = randomArray(8 * 3 * 9, 11, 0.5).map((v, i) => v * gains[Math.floor(i / 27)]);
  return makeModel({
    inputs: [makeValueInfo('x', ['batch', 3, 8, 8])],
    outputs: [makeValueInfo('y', ['batch', 4])],
    initializers: [
      makeTensor('w1', [8, 3, 3, 3], DataType.FLOAT, w1),
      makeTensor('b1', [8], DataType.FLOAT, Float32Array.from(offsets)),
      makeTensor('w2', [6, 8, 3, 3], DataType.FLOAT, randomArray(6 * 8 * 9, 12, 0.3)),
      makeTensor('w3', [6, 4], DataType.FLOAT, randomArray(24, 13, 0.8)),
      makeTensor('wt', [6, 6, 3, 3], DataType.FLOAT, randomArray(6 * 6 * 9, 14, 0.3)),
    ],
    nodes: [
      makeNode('Conv', ['x', 'w1', 'b1'], ['h'], { pads: [1, 1, 1, 1] }, 'first'),
      makeNode('HardSigmoid', ['h'], ['gate'], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } }, 'gate'),
      makeNode('Mul', ['h', 'gate'], ['hs'], {}, 'hardswish'),
      makeNode('Conv', ['hs', 'w2'], ['m'], { pads: [1, 1, 1, 1] }, 'middle'),
      makeNode('Relu', ['m'], ['r'], {}, 'relu'),
      makeNode('Conv', ['r', 'wt'], ['t'], { pads: [1, 1, 1, 1] }, 'third'),
      makeNode('GlobalAveragePool', ['t'], ['pooled'], {}, 'pool'),
      makeNode('Flatten', ['pooled'], ['flat'], {}, 'flatten'),
      makeNode('MatMul', ['flat', 'w3'], ['y'], {}, 'last'),
    ],
  });
}

/**
 * A face-detector head as TF exports it (BlazeFace-like): NHWC input [1, 16, 16, 3] with the batch fixed
 * at 1, a Transpose to NCHW, a strided conv, a depthwise conv, and two 1x1 heads reshaped to anchors:
 * `scores` [1, 128, 1] (logits) and `boxes` [1, 128, 4].
 */
export function nhwcDetectorModel(): ModelProto {
  const shape = (name: string, dims: number[]) =>
    makeTensor(name, [dims.length], DataType.INT64, BigInt64Array.from(dims.map(BigInt)));
  return makeModel({
    name: 'nhwc-detector',
    inputs: [makeValueInfo('image', [1, 16, 16, 3])],
    outputs: [makeValueInfo('scores', [1, 128, 1]), makeValueInfo('boxes', [1, 128, 4])],
    initializers: [
      makeTensor('stem.w', [8, 3, 3, 3], DataType.FLOAT, randomArray(8 * 27, 31, 0.4)),
      makeTensor('stem.b', [8], DataType.FLOAT, randomArray(8, 32, 0.1)),
      makeTensor('dw.w', [8, 1, 3, 3], DataType.FLOAT, randomArray(8 * 9, 33, 0.5)),
      makeTensor('cls.w', [2, 8, 1, 1], DataType.FLOAT, randomArray(16, 34, 0.6)),
      makeTensor('cls.b', [2], DataType.FLOAT, Float32Array.of(-1, -0.5)),
      makeTensor('box.w', [8, 8, 1, 1], DataType.FLOAT, randomArray(64, 35, 0.6)),
      makeTensor('box.b', [8], DataType.FLOAT, randomArray(8, 36, 2)),
      shape('scores.shape', [1, 128, 1]),
      shape('boxes.shape', [1, 128, 4]),
    ],
    nodes: [
      makeNode('Transpose', ['image'], ['nchw'], { perm: [0, 3, 1, 2] }, 'to_nchw'),
      makeNode('Conv', ['nchw', 'stem.w', 'stem.b'], ['s'], { strides: [2, 2], pads: [1, 1, 1, 1] }, 'stem'),
      makeNode('Relu', ['s'], ['s_relu']),
      makeNode('Conv', ['s_relu', 'dw.w'], ['d'], { group: 8, pads: [1, 1, 1, 1] }, 'depthwise'),
      makeNode('Relu', ['d'], ['features']),
      makeNode('Conv', ['features', 'cls.w', 'cls.b'], ['c'], {}, 'classifier_head'),
      makeNode('Transpose', ['c'], ['c_nhwc'], { perm: [0, 2, 3, 1] }),
      makeNode('Reshape', ['c_nhwc', 'scores.shape'], ['scores']),
      makeNode('Conv', ['features', 'box.w', 'box.b'], ['b'], {}, 'box_head'),
      makeNode('Transpose', ['b'], ['b_nhwc'], { perm: [0, 2, 3, 1] }),
      makeNode('Reshape', ['b_nhwc', 'boxes.shape'], ['boxes']),
    ],
  });
}

/** A line-detector stem as M-LSD takes it: NHWC RGBA [1, 12, 12, 4], batch fixed at 1, one map out [1, 2, 6, 6]. */
export function rgbaMapModel(): ModelProto {
  return makeModel({
    name: 'rgba-map',
    inputs: [makeValueInfo('rgba', [1, 12, 12, 4])],
    outputs: [makeValueInfo('map', [1, 2, 6, 6])],
    initializers: [
      makeTensor('w1', [6, 4, 3, 3], DataType.FLOAT, randomArray(6 * 36, 41, 0.4)),
      makeTensor('w2', [2, 6, 1, 1], DataType.FLOAT, randomArray(12, 42, 0.5)),
    ],
    nodes: [
      makeNode('Transpose', ['rgba'], ['x'], { perm: [0, 3, 1, 2] }),
      makeNode('Conv', ['x', 'w1'], ['h'], { strides: [2, 2], pads: [1, 1, 1, 1] }, 'conv1'),
      makeNode('Relu', ['h'], ['r']),
      makeNode('Conv', ['r', 'w2'], ['m'], {}, 'conv2'),
      makeNode('Sigmoid', ['m'], ['map']),
    ],
  });
}

/** Two inputs (an image and a mask): a model the studio cannot feed from a folder of images. */
export function twoInputModel(): ModelProto {
  return makeModel({
    name: 'two-inputs',
    inputs: [makeValueInfo('image', ['batch', 3, 8, 8]), makeValueInfo('mask', ['batch', 1, 8, 8])],
    outputs: [makeValueInfo('y', ['batch', 4, 8, 8])],
    initializers: [makeTensor('w', [4, 3, 3, 3], DataType.FLOAT, randomArray(108, 51, 0.4))],
    nodes: [
      makeNode('Mul', ['image', 'mask'], ['masked']),
      makeNode('Conv', ['masked', 'w'], ['y'], { pads: [1, 1, 1, 1] }, 'conv'),
    ],
  });
}

/**
 * Three convs, each followed by ReLU6 (Clip at 0 and 6), as MobileNet-style exports have them; zero biases.
 * Its 8-bit activation fits land a hair above 6 / 255 unless held within the Clip.
 */
export function relu6Model(): ModelProto {
  const bias = (name: string) => makeTensor(name, [4], DataType.FLOAT, new Float32Array(4));
  const clip = (i: string, o: string) => makeNode('Clip', [i, 'lo', 'hi'], [o], {}, `relu6_${o}`);
  return makeModel({
    name: 'relu6',
    inputs: [makeValueInfo('x', ['N', 3, 8, 8])],
    outputs: [makeValueInfo('y', ['N', 4, 8, 8])],
    initializers: [
      makeTensor('w1', [4, 3, 3, 3], DataType.FLOAT, randomArray(108, 1, 0.4)),
      makeTensor('w2', [4, 4, 3, 3], DataType.FLOAT, randomArray(144, 2, 0.4)),
      makeTensor('w3', [4, 4, 1, 1], DataType.FLOAT, randomArray(16, 3, 0.4)),
      bias('b1'),
      bias('b2'),
      bias('b3'),
      makeTensor('lo', [], DataType.FLOAT, Float32Array.of(0)),
      makeTensor('hi', [], DataType.FLOAT, Float32Array.of(6)),
    ],
    nodes: [
      makeNode('Conv', ['x', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1] }, 'Conv__1'),
      clip('c1', 'a1'),
      makeNode('Conv', ['a1', 'w2', 'b2'], ['c2'], { pads: [1, 1, 1, 1] }, 'Conv__2'),
      clip('c2', 'a2'),
      makeNode('Conv', ['a2', 'w3', 'b3'], ['c3'], {}, 'Conv__3'),
      clip('c3', 'y'),
    ],
  });
}

export const fixtureBytes = (model: ModelProto): Uint8Array => encodeModel(model);

/** Each fixture with the input shape to run it at. */
export const fixtureCases: [string, () => ModelProto, Record<string, number[]>][] = [
  ['mixed-layers fixture', () => mixedLayersModel(), { image: [2, 3, 9, 11] }],
  ['single-gemm fixture', () => singleGemmModel(), { x: [1, 5] }],
];

/**
 * Dense layers as exporters write them: MatMul then a bias Add (which onnxruntime fuses into a Gemm), and a last
 * MatMul alone; with `last`, the MatMul and its Add give the scores.
 */
export function matmulBiasModel(o: { last?: boolean } = {}): ModelProto {
  const first = [makeNode('Relu', ['features'], ['r0'], {}, 'relu0'), makeNode('MatMul', ['r0', 'w1'], ['m1'], {}, 'fc1')];
  return makeModel({
    name: 'matmul-bias',
    inputs: [makeValueInfo('features', ['batch', 8])],
    outputs: [makeValueInfo('scores', ['batch', o.last ? 6 : 4])],
    initializers: [
      makeTensor('w1', [8, 6], DataType.FLOAT, randomArray(48, 21, 0.4)),
      makeTensor('b1', [6], DataType.FLOAT, randomArray(6, 22, 0.1)),
      makeTensor('w2', [6, 4], DataType.FLOAT, randomArray(24, 23, 0.4)),
    ],
    nodes: o.last
      ? [...first, makeNode('Add', ['m1', 'b1'], ['scores'], {}, 'fc1_bias')]
      : [
          ...first,
          makeNode('Add', ['m1', 'b1'], ['a1'], {}, 'fc1_bias'),
          makeNode('Relu', ['a1'], ['r1'], {}, 'relu1'),
          makeNode('MatMul', ['r1', 'w2'], ['scores'], {}, 'fc2'),
        ],
  });
}
