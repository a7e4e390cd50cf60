import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataLocation, type ModelProto, type TensorProto, type GraphProto } from 'onnx-buf';
import { StudioError } from '../errors';

export { ModelProtoSchema, create };
export type { ModelProto, TensorProto, GraphProto };

const HOW_TO_EXPORT = 'Drop a model saved by torch.onnx.export, tf2onnx or onnx.save_model (a single .onnx file).';

/** Decodes an ONNX ModelProto, refusing anything that is not one with a message the user can act on. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  if (bytes.byteLength === 0) {
    throw new StudioError('OnnxFormatError', `The file is empty. ${HOW_TO_EXPORT}`);
  }
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new StudioError(
      'OnnxFormatError',
      `This file is not a valid ONNX model: its protobuf could not be decoded (${why}). ` +
        `It may be truncated or another format. ${HOW_TO_EXPORT}`,
    );
  }
  // Random bytes sometimes parse as protobuf; a real model always has an IR version and a graph.
  if (model.irVersion <= 0n || !model.graph || model.graph.node.length === 0) {
    throw new StudioError(
      'OnnxFormatError',
      `This file is not an ONNX model: it has ${model.irVersion <= 0n ? 'no IR version' : 'no graph nodes'}. ${HOW_TO_EXPORT}`,
    );
  }
  assertNoExternalData(model.graph);
  return model;
}

export function encodeModel(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}

function assertNoExternalData(graph: GraphProto): void {
  const tensors: TensorProto[] = [...graph.initializer];
  for (const node of graph.node) {
    for (const attr of node.attribute) {
      if (attr.t) tensors.push(attr.t);
      tensors.push(...attr.tensors);
    }
  }
  for (const t of tensors) {
    if (t.dataLocation !== TensorProto_DataLocation.EXTERNAL) continue;
    const location = t.externalData.find((e) => e.key === 'location')?.value ?? '(unnamed file)';
    throw new StudioError(
      'ExternalDataError',
      `Weight tensor "${t.name}" is stored in a separate file, "${location}", which the browser cannot ` +
        `open next to the model. Save the model with its weights inside: ` +
        `onnx.save_model(model, "model.onnx", save_as_external_data=False).`,
    );
  }
}
