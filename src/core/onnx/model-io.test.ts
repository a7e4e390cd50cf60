import { readFileSync } from 'node:fs';
import { equals } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import { StringStringEntryProtoSchema, TensorProto_DataLocation } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { fixtureCases, singleGemmModel } from '../../testing/fixtures';
import { randomArray } from '../random';
import { decodeModel, encodeModel, ModelProtoSchema, type ModelProto } from './model-io';

const demoBytes = () => new Uint8Array(readFileSync(new URL('../../../public/demo/model.onnx', import.meta.url)));

const cases: [string, () => Uint8Array, Record<string, number[]>][] = [
  ['demo', demoBytes, { image: [2, 1, 28, 28] }],
  ...fixtureCases.map(([name, model, shapes]) => [name, () => encodeModel(model()), shapes] as (typeof cases)[number]),
];

describe('ONNX round trip', () => {
  it.each(cases)('%s: decode -> encode -> decode gives the same graph', (_name, bytes) => {
    const first = decodeModel(bytes());
    const again = decodeModel(encodeModel(first));
    expect(equals(ModelProtoSchema, first, again)).toBe(true);
    expect(again.graph!.node.map((n) => n.opType)).toEqual(first.graph!.node.map((n) => n.opType));
  });
});

describe('decodeModel refuses what is not a model, with a reason', () => {
  it('an empty file', () => {
    expect(() => decodeModel(new Uint8Array())).toThrowError(/The file is empty/);
  });

  it('a truncated model', () => {
    const bytes = demoBytes();
    expect(() => decodeModel(bytes.subarray(0, Math.floor(bytes.length / 2)))).toThrowError(
      expect.objectContaining({ name: 'OnnxFormatError', message: expect.stringMatching(/not a valid ONNX model.*truncated/) }),
    );
  });

  it('random bytes and text', () => {
    const text = new TextEncoder().encode('name,label\ncat,1\n');
    for (const bytes of [text, Uint8Array.from(randomArray(512, 3), (v) => (v * 1000) & 255)]) {
      expect(() => decodeModel(bytes)).toThrowError(expect.objectContaining({ name: 'OnnxFormatError' }));
    }
  });

  it('weights stored as external data name the missing file', () => {
    const model: ModelProto = singleGemmModel();
    const w = model.graph!.initializer[0];
    w.rawData = new Uint8Array();
    w.dataLocation = TensorProto_DataLocation.EXTERNAL;
    w.externalData = [create(StringStringEntryProtoSchema, { key: 'location', value: 'weights.bin' })];
    expect(() => decodeModel(encodeModel(model))).toThrowError(
      expect.objectContaining({ name: 'ExternalDataError', message: expect.stringContaining('"weights.bin"') }),
    );
  });
});
