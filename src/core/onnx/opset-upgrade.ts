import { AttributeProto_AttributeType as AttrType, type ModelProto, type NodeProto, type TensorProto } from 'onnx-buf';
import { StudioError } from '../errors';
import { makeAttribute, makeNode } from './builder';
import { attr, attrInt, attrInts } from './graph';
import { DataType, makeTensor } from './tensor';

/**
 * Ops whose meaning at inference is the same from opset 8 to 21: later versions only add types or
 * optional attributes whose default is the old behaviour.
 */
const STABLE = new Set([
  'Abs',
  'Acos',
  'Add',
  'And',
  'ArgMax',
  'ArgMin',
  'Asin',
  'Atan',
  'AveragePool',
  'BatchNormalization',
  'Cast',
  'Ceil',
  'Concat',
  'Constant',
  'ConstantOfShape',
  'Conv',
  'ConvTranspose',
  'Cos',
  'CumSum',
  'DequantizeLinear',
  'Div',
  'Dropout',
  'Einsum',
  'Elu',
  'Equal',
  'Erf',
  'Exp',
  'Expand',
  'Flatten',
  'Floor',
  'Gather',
  'GatherElements',
  'Gemm',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Greater',
  'GreaterOrEqual',
  'HardSigmoid',
  'HardSwish',
  'Identity',
  'InstanceNormalization',
  'LeakyRelu',
  'Less',
  'LessOrEqual',
  'Log',
  'LRN',
  'MatMul',
  'Max',
  'MaxPool',
  'Mean',
  'Min',
  'Mod',
  'Mul',
  'Neg',
  'NonZero',
  'Not',
  'Or',
  'Pow',
  'PRelu',
  'QuantizeLinear',
  'Range',
  'Reciprocal',
  'Relu',
  'Reshape',
  'Resize',
  'Round',
  'Selu',
  'Shape',
  'Sigmoid',
  'Sign',
  'Sin',
  'Size',
  'Softplus',
  'Softsign',
  'Sqrt',
  'Sub',
  'Sum',
  'Tan',
  'Tanh',
  'Tile',
  'Transpose',
  'Where',
  'Xor',
]);

interface Context {
  constant(base: string, dims: number[], type: DataType, values: Float32Array | BigInt64Array): string;
}

type Converter = (node: NodeProto, ctx: Context) => NodeProto[];

/** The opset at which an op changed meaning or moved attributes to inputs, and how to rewrite it. */
const CHANGES: Record<string, { since: number; convert: Converter }[]> = {
  Clip: [
    {
      since: 11,
      convert: (n, c) =>
        attrsToInputs(n, c, [
          ['min', 'float', -3.4028234663852886e38],
          ['max', 'float', 3.4028234663852886e38],
        ]),
    },
  ],
  Slice: [
    {
      since: 10,
      convert: (n, c) =>
        attrsToInputs(n, c, [
          ['starts', 'ints'],
          ['ends', 'ints'],
          ['axes', 'ints'],
        ]),
    },
  ],
  Pad: [
    {
      since: 11,
      convert: (n, c) =>
        attrsToInputs(n, c, [
          ['pads', 'ints'],
          ['value', 'float', 0],
        ]),
    },
  ],
  Squeeze: [{ since: 13, convert: (n, c) => attrsToInputs(n, c, [['axes', 'ints']]) }],
  Unsqueeze: [{ since: 13, convert: (n, c) => attrsToInputs(n, c, [['axes', 'ints']]) }],
  ReduceSum: [{ since: 13, convert: (n, c) => attrsToInputs(n, c, [['axes', 'ints']]) }],
  ...Object.fromEntries(
    [
      'ReduceMean',
      'ReduceMax',
      'ReduceMin',
      'ReduceProd',
      'ReduceL1',
      'ReduceL2',
      'ReduceLogSum',
      'ReduceLogSumExp',
      'ReduceSumSquare',
    ].map((op) => [op, [{ since: 18, convert: (n: NodeProto, c: Context) => attrsToInputs(n, c, [['axes', 'ints']]) }]]),
  ),
  Split: [
    { since: 13, convert: (n, c) => attrsToInputs(n, c, [['split', 'ints']], 1) },
    { since: 18, convert: (n) => (n.input[1] ? [n] : [withAttrs(n, { num_outputs: n.output.length })]) },
  ],
  TopK: [{ since: 10, convert: (n, c) => attrsToInputs(n, c, [['k', 'ints']]) }],
  Softmax: [{ since: 13, convert: coercedTo2d }],
  LogSoftmax: [{ since: 13, convert: coercedTo2d }],
  Hardmax: [{ since: 13, convert: coercedTo2d }],
  Dropout: [{ since: 12, convert: (n) => [withoutAttrs(n, ['ratio'])] }],
  BatchNormalization: [
    {
      since: 9,
      convert: (n) => {
        if (attrInt(n, 'spatial', 1) !== 1)
          throw new Error('BatchNormalization with spatial = 0 has no equivalent after opset 8');
        return [withoutAttrs(n, ['spatial'])];
      },
    },
  ],
  Resize: [
    {
      since: 11,
      convert: () => {
        throw new Error('Resize-10 rounds coordinates differently from Resize-11');
      },
    },
  ],
};

/**
 * Raises the default-domain opset of `model` (in place) to `target`, rewriting the ops whose form
 * changed on the way. An op the studio cannot carry over is refused by name, before anything is written.
 */
export function upgradeOpset(model: ModelProto, target: number): void {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  const from = entry ? Number(entry.version) : 0;
  if (!entry || from >= target) return;
  const g = model.graph!;
  const names = new Set([...g.initializer.map((t) => t.name), ...g.node.flatMap((n) => [...n.input, ...n.output])]);
  const added: TensorProto[] = [];
  const ctx: Context = {
    constant(base, dims, type, values) {
      let name = base;
      for (let i = 1; names.has(name); i++) name = `${base}_${i}`;
      names.add(name);
      added.push(makeTensor(name, dims, type, values));
      return name;
    },
  };
  const refused: string[] = [];
  g.node = g.node.flatMap((node) => {
    if (node.domain !== '' && node.domain !== 'ai.onnx') return [node];
    const changes = (CHANGES[node.opType] ?? []).filter((c) => c.since > from && c.since <= target);
    if (!STABLE.has(node.opType) && !CHANGES[node.opType]) {
      refused.push(`${node.opType} (no rule to carry it from opset ${from} to ${target})`);
      return [node];
    }
    let nodes = [node];
    try {
      for (const change of changes) nodes = nodes.flatMap((n) => (n.opType === node.opType ? change.convert(n, ctx) : [n]));
    } catch (e) {
      refused.push(`${node.opType} "${node.name || node.output[0]}" (${(e as Error).message})`);
    }
    return nodes;
  });
  if (refused.length > 0) {
    const unique = [...new Set(refused)];
    throw new StudioError(
      'UnsupportedModelError',
      `Export needs ONNX opset ${target} and the model is opset ${from}; it uses ${unique.slice(0, 5).join(', ')}${unique.length > 5 ? ` and ${unique.length - 5} more` : ''}. ` +
        `Convert the model to opset ${target} first (onnx.version_converter), then quantize it again.`,
    );
  }
  g.initializer.push(...added);
  entry.version = BigInt(target);
  const ir = target >= 21 ? 10n : target >= 15 ? 8n : 7n;
  if (model.irVersion < ir) model.irVersion = ir;
}

type AttrSpec = [name: string, kind: 'ints' | 'float', fallback?: number];

/** Moves attributes to inputs, in order, from input position `at` on; a missing optional one becomes ''. */
function attrsToInputs(node: NodeProto, ctx: Context, specs: AttrSpec[], at = node.input.length): NodeProto[] {
  const base = node.name || node.output[0];
  const inputs = specs.map(([name, kind, fallback]) => {
    const a = attr(node, name);
    if (kind === 'ints') {
      const ints = attrInts(node, name) ?? (a && a.type === AttrType.INT ? [Number(a.i)] : undefined);
      return ints ? ctx.constant(`${base}_${name}`, [ints.length], DataType.INT64, BigInt64Array.from(ints.map(BigInt))) : '';
    }
    const value = a ? a.f : fallback;
    return value === undefined ? '' : ctx.constant(`${base}_${name}`, [], DataType.FLOAT, Float32Array.of(value));
  });
  while (inputs.length > 0 && inputs.at(-1) === '') inputs.pop();
  const moved = withoutAttrs(
    node,
    specs.map(([name]) => name),
  );
  moved.input = [...node.input.slice(0, at), ...inputs];
  return [moved];
}

/** Softmax before opset 13 flattens to 2-D at `axis` and normalises each row: the same, spelled out. */
function coercedTo2d(node: NodeProto): NodeProto[] {
  const axis = attrInt(node, 'axis', 1);
  if (axis === -1) return [node];
  const [x] = node.input;
  const base = node.name || node.output[0];
  return [
    makeNode('Flatten', [x], [`${base}_2d`], { axis }, `${base}_Flatten`),
    makeNode(node.opType, [`${base}_2d`], [`${base}_2d_out`], { axis: 1 }, base),
    makeNode('Shape', [x], [`${base}_shape`], {}, `${base}_Shape`),
    makeNode('Reshape', [`${base}_2d_out`, `${base}_shape`], [node.output[0]], {}, `${base}_Reshape`),
  ];
}

function withoutAttrs(node: NodeProto, names: string[]): NodeProto {
  return { ...node, attribute: node.attribute.filter((a) => !names.includes(a.name)) };
}

function withAttrs(node: NodeProto, values: Record<string, number>): NodeProto {
  return { ...node, attribute: [...node.attribute, ...Object.entries(values).map(([k, v]) => makeAttribute(k, v))] };
}
