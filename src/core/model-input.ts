import { StudioError } from './errors';
import type { GraphView, ValueShape } from './onnx/graph';
import { attrInts } from './onnx/graph';

export type InputLayout = 'NCHW' | 'NHWC';
/** 'auto' reads the layout from the input's shape (and a Transpose right after the input where the shape leaves it open). */
export type LayoutChoice = 'auto' | InputLayout;

/** The one image input the studio feeds, as the model declares it. */
export interface ImageInput {
  name: string;
  dims: (number | string | null)[];
  layout: InputLayout;
  /** Where the layout came from: the shape alone, the Transpose after the input, or the user's choice. */
  layoutFrom: 'shape' | 'transpose' | 'chosen';
  /** 1 grey, 3 colour, 4 RGBA (the image's alpha, opaque where it has none). */
  channels: 1 | 3 | 4;
  /** Null where the model leaves the size dynamic. */
  height: number | null;
  width: number | null;
  /** A batch size the model fixes (every run then feeds exactly this many images), or null when it is free. */
  batch: number | null;
}

const CHANNELS = [1, 3, 4];
const fitsChannels = (d: number | string | null) => typeof d === 'number' && CHANNELS.includes(d);
const shapeText = (dims: readonly (number | string | null)[]) => `[${dims.map((d) => d ?? '?').join(', ')}]`;
const WHAT_IT_FEEDS =
  'the studio feeds one float32 image input, [N, C, H, W] or [N, H, W, C] with 1 (grey), 3 (colour) or 4 (RGBA) channels';

/**
 * The layout a Transpose right after the input reveals: perm [0, 3, 1, 2] turns NHWC into the NCHW a
 * Conv reads (tf2onnx exports do this), so the input is NHWC. Null where no such node says.
 */
export function transposedInputLayout(graph: GraphView): InputLayout | null {
  const input = graph.inputs[0];
  if (!input) return null;
  const perms = (graph.consumers.get(input.name) ?? [])
    .filter((n) => n.opType === 'Transpose')
    .map((n) => attrInts(n, 'perm')?.join(','));
  if (perms.includes('0,3,1,2')) return 'NHWC';
  if (perms.includes('0,2,3,1')) return 'NCHW';
  return null;
}

/**
 * What the studio feeds the model, or an UnsupportedModelError naming the input, its shape and what the
 * studio can feed: several inputs, a non-float input, other than 4 dimensions, or a channel count not
 * 1, 3 or 4 in the layout read (or chosen).
 */
export function imageInput(
  s: { inputs: ValueShape[]; inputLayoutHint: InputLayout | null },
  choice: LayoutChoice = 'auto',
): ImageInput {
  const refuse = (what: string): never => {
    throw new StudioError('UnsupportedModelError', `${what}; ${WHAT_IT_FEEDS}.`);
  };
  if (s.inputs.length === 0) refuse('The model has no input');
  if (s.inputs.length > 1) {
    refuse(`The model has ${s.inputs.length} inputs (${s.inputs.map((i) => `"${i.name}" ${shapeText(i.dims)}`).join(', ')})`);
  }
  const { name, elemType, dims } = s.inputs[0];
  if (elemType !== 'FLOAT') {
    refuse(
      `The model's input "${name}" ${shapeText(dims)} is ${elemType} (convert the model to float32 first, e.g. with onnxconverter-common's float16 tools)`,
    );
  }
  if (dims.length !== 4) refuse(`The model's input "${name}" has shape ${shapeText(dims)}, ${dims.length} dimensions`);
  let layout: InputLayout;
  let layoutFrom: ImageInput['layoutFrom'] = 'shape';
  if (choice !== 'auto') {
    layout = choice;
    layoutFrom = 'chosen';
  } else {
    const nchw = fitsChannels(dims[1]);
    const nhwc = fitsChannels(dims[3]);
    if (nchw !== nhwc) layout = nhwc ? 'NHWC' : 'NCHW';
    else {
      layout = s.inputLayoutHint ?? 'NCHW';
      if (s.inputLayoutHint) layoutFrom = 'transpose';
    }
  }
  const [c, h, w] = layout === 'NHWC' ? [dims[3], dims[1], dims[2]] : [dims[1], dims[2], dims[3]];
  if (!fitsChannels(c)) {
    const read = layoutFrom === 'chosen' ? `read as ${layout} (as chosen)` : `read as ${layout}`;
    refuse(
      `The model's input "${name}" has shape ${shapeText(dims)}: ${read} it has ${typeof c === 'number' ? c : 'a dynamic number of'} channels`,
    );
  }
  return {
    name,
    dims,
    layout,
    layoutFrom,
    channels: c as 1 | 3 | 4,
    height: typeof h === 'number' ? h : null,
    width: typeof w === 'number' ? w : null,
    batch: fixedBatchOf(s.inputs)?.size ?? null,
  };
}

/** Dims of one image as the model takes it (without the batch). */
export function imageDims(
  input: Pick<ImageInput, 'layout'>,
  size: { channels: number; height: number; width: number },
): number[] {
  return input.layout === 'NCHW' ? [size.channels, size.height, size.width] : [size.height, size.width, size.channels];
}

/** The batch a model's (first) input fixes, for feeding it that many images at a time; null when the batch is free. */
export function fixedBatchOf(inputs: readonly ValueShape[]): { input: string; size: number } | null {
  const d = inputs[0]?.dims[0];
  return typeof d === 'number' && d > 0 && inputs[0].dims.length === 4 ? { input: inputs[0].name, size: d } : null;
}

/** What the studio will feed, in words for the page; or why it cannot, as the refusal says. */
export function describeImageInput(
  s: Parameters<typeof imageInput>[0],
  choice: LayoutChoice,
): { text: string; refused: boolean } {
  try {
    const i = imageInput(s, choice);
    const from = {
      shape: `from the input shape ${shapeText(i.dims)}`,
      transpose: `from the Transpose after the input ${shapeText(i.dims)}`,
      chosen: `as chosen, input ${shapeText(i.dims)}`,
    }[i.layoutFrom];
    const channels = {
      1: '1 channel (grey)',
      3: '3 channels (colour)',
      4: "4 channels (RGBA: the image's alpha, opaque where it has none)",
    }[i.channels];
    return { text: `${i.layout} ${from}; ${channels}${i.batch !== null ? `; batch fixed at ${i.batch}` : ''}.`, refused: false };
  } catch (e) {
    return { text: e instanceof Error ? e.message : String(e), refused: true };
  }
}
