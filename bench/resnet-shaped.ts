/**
 * ResNet-18- and ResNet-50-shaped ONNX models with random (He-initialised) weights, for the speed and
 * scale benchmarks: the layer shapes of the real networks (torchvision), BatchNorm folded away.
 */
import { makeModel, makeNode, makeValueInfo } from '../src/core/onnx/builder';
import { DataType, makeTensor } from '../src/core/onnx/tensor';
import { gaussian, seededRandom } from '../src/core/random';
import type { ModelProto, NodeProto, TensorProto } from 'onnx-buf';

export type Architecture = 'resnet18' | 'resnet50';

export function resnetShapedModel(arch: Architecture, seed = 1): ModelProto {
  const normal = gaussian(seededRandom(seed));
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let count = 0;
  const conv = (x: string, cin: number, cout: number, k: number, stride: number, relu: boolean): string => {
    const name = `conv${count++}`;
    const std = Math.sqrt(2 / (cin * k * k));
    initializers.push(
      makeTensor(
        `${name}.w`,
        [cout, cin, k, k],
        DataType.FLOAT,
        Float32Array.from({ length: cout * cin * k * k }, () => normal() * std),
      ),
      makeTensor(
        `${name}.b`,
        [cout],
        DataType.FLOAT,
        Float32Array.from({ length: cout }, () => normal() * 0.01),
      ),
    );
    const pad = Math.floor(k / 2);
    nodes.push(
      makeNode(
        'Conv',
        [x, `${name}.w`, `${name}.b`],
        [`${name}.y`],
        { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] },
        name,
      ),
    );
    if (!relu) return `${name}.y`;
    nodes.push(makeNode('Relu', [`${name}.y`], [`${name}.r`], {}, `${name}.relu`));
    return `${name}.r`;
  };
  const add = (a: string, b: string): string => {
    const out = `add${count++}`;
    nodes.push(makeNode('Add', [a, b], [out], {}, out), makeNode('Relu', [out], [`${out}.r`], {}, `${out}.relu`));
    return `${out}.r`;
  };
  let x = conv('image', 3, 64, 7, 2, true);
  nodes.push(makeNode('MaxPool', [x], ['pool'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'maxpool'));
  x = 'pool';
  let channels = 64;
  const bottleneck = arch === 'resnet50';
  const blocks = bottleneck ? [3, 4, 6, 3] : [2, 2, 2, 2];
  [64, 128, 256, 512].forEach((width, stage) => {
    for (let block = 0; block < blocks[stage]; block++) {
      const stride = stage > 0 && block === 0 ? 2 : 1;
      const out = bottleneck ? width * 4 : width;
      const shortcut = stride !== 1 || channels !== out ? conv(x, channels, out, 1, stride, false) : x;
      const y = bottleneck
        ? conv(conv(conv(x, channels, width, 1, 1, true), width, width, 3, stride, true), width, out, 1, 1, false)
        : conv(conv(x, channels, width, 3, stride, true), width, width, 3, 1, false);
      x = add(y, shortcut);
      channels = out;
    }
  });
  nodes.push(makeNode('GlobalAveragePool', [x], ['gap'], {}, 'gap'), makeNode('Flatten', ['gap'], ['flat'], {}, 'flatten'));
  initializers.push(
    makeTensor(
      'fc.w',
      [1000, channels],
      DataType.FLOAT,
      Float32Array.from({ length: 1000 * channels }, () => normal() * Math.sqrt(1 / channels)),
    ),
    makeTensor('fc.b', [1000], DataType.FLOAT, new Float32Array(1000)),
  );
  nodes.push(makeNode('Gemm', ['flat', 'fc.w', 'fc.b'], ['logits'], { transB: 1 }, 'fc'));
  return makeModel({
    nodes,
    initializers,
    name: arch,
    inputs: [makeValueInfo('image', ['batch', 3, 'height', 'width'])],
    outputs: [makeValueInfo('logits', ['batch', 1000])],
  });
}
