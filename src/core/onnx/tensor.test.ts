import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema, type TensorProto } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { DataType, halfToFloat, makeTensor, readTensor, tensorToFloat32 } from './tensor';

const values = (t: TensorProto) => Array.from(readTensor(t).values as ArrayLike<number>);
const tensor = (dataType: DataType, fields: object, dims = [2, 2]) =>
  create(TensorProtoSchema, { name: 't', dims: dims.map(BigInt), dataType, ...fields });

describe('readTensor', () => {
  it('float32 in raw_data at an unaligned offset and in float_data', () => {
    const expected = Float32Array.of(1.5, -2, 0, 3.25);
    const shifted = new Uint8Array(17);
    shifted.set(new Uint8Array(expected.buffer), 1);
    expect(values(tensor(DataType.FLOAT, { rawData: shifted.subarray(1) }))).toEqual(Array.from(expected));
    expect(values(tensor(DataType.FLOAT, { floatData: [1.5, -2, 0, 3.25] }))).toEqual(Array.from(expected));
  });

  it('float16 from raw bits and from int32_data, including subnormals and infinity', () => {
    const bits = Uint16Array.of(0x3c00, 0xc000, 0x0001, 0x7c00);
    const expected = [1, -2, 2 ** -24, Infinity];
    const raw = readTensor(tensor(DataType.FLOAT16, { rawData: new Uint8Array(bits.buffer) }));
    expect(Array.from(raw.values as ArrayLike<number>)).toEqual(expected);
    expect(values(tensor(DataType.FLOAT16, { int32Data: Array.from(bits) }))).toEqual(expected);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it('int8, uint8 and int32 in raw_data and int32_data', () => {
    expect(values(tensor(DataType.INT8, { rawData: Uint8Array.of(0xff, 1, 0x80, 127) }))).toEqual([-1, 1, -128, 127]);
    expect(values(tensor(DataType.INT8, { int32Data: [-1, 1, -128, 127] }))).toEqual([-1, 1, -128, 127]);
    expect(values(tensor(DataType.UINT8, { int32Data: [0, 255, 7, 8] }))).toEqual([0, 255, 7, 8]);
    const i32 = Int32Array.of(-5, 1 << 30, 0, 9);
    expect(values(tensor(DataType.INT32, { rawData: new Uint8Array(i32.buffer) }))).toEqual(Array.from(i32));
  });

  it('int64 in raw_data and int64_data', () => {
    const i64 = BigInt64Array.of(-1n, 2n, 1n << 40n, 0n);
    expect(values(tensor(DataType.INT64, { rawData: new Uint8Array(i64.buffer) }))).toEqual(Array.from(i64));
    const typed = readTensor(tensor(DataType.INT64, { int64Data: [-1n, 2n, 1n << 40n, 0n] }));
    expect(Array.from(tensorToFloat32(typed))).toEqual([-1, 2, 2 ** 40, 0]);
  });

  it('names the tensor when its data does not fit its shape, or its type is unsupported', () => {
    expect(() => readTensor(tensor(DataType.FLOAT, { rawData: new Uint8Array(12) }))).toThrowError(
      /"t" holds 12 bytes.*needs 16/,
    );
    expect(() => readTensor(tensor(DataType.FLOAT, { floatData: [1] }))).toThrowError(/"t" has 1 values but its shape needs 4/);
    expect(() => readTensor(tensor(DataType.STRING, {}))).toThrowError(/data type STRING/);
  });

  it('makeTensor writes what readTensor reads', () => {
    const ints = Int32Array.of(3, -4, 5, -6, 7, 8);
    const back = readTensor(makeTensor('w', [3, 2], DataType.INT32, ints));
    expect(back.dims).toEqual([3, 2]);
    expect(Array.from(back.values as ArrayLike<number>)).toEqual(Array.from(ints));
    expect(() => makeTensor('w', [4], DataType.INT32, ints)).toThrowError(/6 values for shape \[4\]/);
  });
});
