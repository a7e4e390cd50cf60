import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema, TensorProto_DataType as DataType, type TensorProto } from 'onnx-buf';
import { StudioError } from '../errors';

export { DataType };

export type TensorValues = Float32Array | Float64Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

/** A decoded tensor: dims and values in a typed array matching its data type. */
export interface HostTensor {
  name: string;
  dims: number[];
  dataType: DataType;
  values: TensorValues;
}

export const dataTypeName = (t: DataType): string => DataType[t] ?? `type ${t}`;

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** An aligned copy of `raw_data`: protobuf hands out views at any byte offset. */
function rawView(raw: Uint8Array, bytesPerElement: number, count: number, name: string): ArrayBuffer {
  if (raw.byteLength !== count * bytesPerElement) {
    throw new StudioError(
      'UnsupportedTensorError',
      `Tensor "${name}" holds ${raw.byteLength} bytes of raw data but its shape needs ${count * bytesPerElement}.`,
    );
  }
  return raw.slice().buffer;
}

function fromInt32Field(t: TensorProto, count: number): Int32Array {
  if (t.int32Data.length !== count) throw lengthError(t, t.int32Data.length, count);
  return Int32Array.from(t.int32Data);
}

function lengthError(t: TensorProto, got: number, want: number): StudioError {
  return new StudioError('UnsupportedTensorError', `Tensor "${t.name}" has ${got} values but its shape needs ${want}.`);
}

/** Decodes the values of a tensor from `raw_data` or from the typed field its type uses. */
export function readTensor(t: TensorProto): HostTensor {
  const dims = t.dims.map(Number);
  const count = elementCount(dims);
  const raw = t.rawData.byteLength > 0 ? t.rawData : null;
  const base = { name: t.name, dims, dataType: t.dataType as DataType };
  switch (t.dataType) {
    case DataType.FLOAT:
      if (raw) return { ...base, values: new Float32Array(rawView(raw, 4, count, t.name)) };
      if (t.floatData.length !== count) throw lengthError(t, t.floatData.length, count);
      return { ...base, values: Float32Array.from(t.floatData) };
    case DataType.DOUBLE:
      if (raw) return { ...base, values: new Float64Array(rawView(raw, 8, count, t.name)) };
      if (t.doubleData.length !== count) throw lengthError(t, t.doubleData.length, count);
      return { ...base, values: Float64Array.from(t.doubleData) };
    case DataType.FLOAT16: {
      const bits = raw ? new Uint16Array(rawView(raw, 2, count, t.name)) : Uint16Array.from(fromInt32Field(t, count));
      return { ...base, values: Float32Array.from(bits, halfToFloat) };
    }
    case DataType.INT8:
      return { ...base, values: raw ? new Int8Array(rawView(raw, 1, count, t.name)) : Int8Array.from(fromInt32Field(t, count)) };
    case DataType.UINT8:
      return {
        ...base,
        values: raw ? new Uint8Array(rawView(raw, 1, count, t.name)) : Uint8Array.from(fromInt32Field(t, count)),
      };
    case DataType.INT32:
      return { ...base, values: raw ? new Int32Array(rawView(raw, 4, count, t.name)) : fromInt32Field(t, count) };
    case DataType.INT4:
    case DataType.UINT4:
      return { ...base, values: unpackNibbles(t, count, t.dataType === DataType.INT4) };
    case DataType.INT64:
      if (raw) return { ...base, values: new BigInt64Array(rawView(raw, 8, count, t.name)) };
      if (t.int64Data.length !== count) throw lengthError(t, t.int64Data.length, count);
      return { ...base, values: BigInt64Array.from(t.int64Data) };
    default:
      throw new StudioError(
        'UnsupportedTensorError',
        `Tensor "${t.name}" has data type ${dataTypeName(t.dataType)}, which the studio cannot read ` +
          `(it reads FLOAT, FLOAT16, DOUBLE, INT4, UINT4, INT8, UINT8, INT32 and INT64).`,
      );
  }
}

/** INT4/UINT4: two values a byte, low nibble first (raw_data, or int32_data holding the bytes). */
function unpackNibbles(t: TensorProto, count: number, signed: boolean): Int8Array | Uint8Array {
  const bytes = Math.ceil(count / 2);
  const packed = t.rawData.byteLength > 0 ? t.rawData : Uint8Array.from(t.int32Data);
  if (packed.byteLength !== bytes) {
    throw new StudioError(
      'UnsupportedTensorError',
      `Tensor "${t.name}" holds ${packed.byteLength} bytes of 4-bit data but its shape needs ${bytes}.`,
    );
  }
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const nibble = (packed[i >> 1] >> ((i & 1) * 4)) & 0xf;
    out[i] = signed && nibble > 7 ? nibble - 16 : nibble;
  }
  return out;
}

/** Packs 4-bit values two a byte, low nibble first, as ONNX stores INT4 and UINT4. */
export function packNibbles(values: ArrayLike<number>): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) out[i >> 1] |= (values[i] & 0xf) << ((i & 1) * 4);
  return out;
}

/** The tensor's values as float32, whatever its stored type (weights arrive as float16 too). */
export function tensorToFloat32(t: HostTensor): Float32Array {
  if (t.values instanceof Float32Array) return t.values;
  if (t.values instanceof BigInt64Array) return Float32Array.from(t.values, Number);
  return Float32Array.from(t.values);
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const BYTES: Partial<Record<DataType, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.DOUBLE]: 8,
  [DataType.INT8]: 1,
  [DataType.UINT8]: 1,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
};

function copyBytes(values: TensorValues): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(values.byteLength);
  bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return bytes;
}

/** Builds a TensorProto with little-endian `raw_data`, the layout onnxruntime reads fastest. */
export function makeTensor(name: string, dims: readonly number[], dataType: DataType, values: TensorValues): TensorProto {
  if (dataType === DataType.INT4 || dataType === DataType.UINT4) {
    const [lo, hi] = dataType === DataType.INT4 ? [-8, 7] : [0, 15];
    if (
      values.length !== elementCount(dims) ||
      values.some((v) => Number(v) < lo || Number(v) > hi || !Number.isInteger(Number(v)))
    ) {
      throw new StudioError(
        'InvalidArgumentError',
        `Tensor "${name}": ${dataTypeName(dataType)} takes ${elementCount(dims)} integers from ${lo} to ${hi}.`,
      );
    }
    return create(TensorProtoSchema, {
      name,
      dims: dims.map(BigInt),
      dataType,
      rawData: packNibbles(Array.from(values, Number)),
    });
  }
  const size = BYTES[dataType];
  if (size === undefined) {
    throw new StudioError('UnsupportedTensorError', `makeTensor cannot write ${dataTypeName(dataType)} tensors.`);
  }
  const count = elementCount(dims);
  if (values.length !== count) {
    throw new StudioError('InvalidArgumentError', `Tensor "${name}": ${values.length} values for shape [${dims.join(', ')}].`);
  }
  if (values.BYTES_PER_ELEMENT !== size) {
    throw new StudioError('InvalidArgumentError', `Tensor "${name}": values do not match ${dataTypeName(dataType)}.`);
  }
  return create(TensorProtoSchema, {
    name,
    dims: dims.map(BigInt),
    dataType,
    rawData: copyBytes(values),
  });
}
