import { describe, expect, it } from 'vitest';
import { wgslConstants, wgslStruct } from './wgsl-struct';

describe('wgslStruct', () => {
  const S = wgslStruct('Params', { rows: 'u32', qmax: 'i32', unit: 'f32' });

  it('declares the fields in order for WGSL and packs each as its type, padded to 16 bytes', () => {
    expect(S.wgsl).toBe('struct Params {\n  rows: u32,\n  qmax: i32,\n  unit: f32,\n}\n');
    expect(S.words).toBe(3);
    const packed = S.pack({ unit: 0.5, rows: 7, qmax: -3 });
    expect(packed.length).toBe(4);
    expect(packed[0]).toBe(7);
    expect(new Int32Array(packed.buffer)[1]).toBe(-3);
    expect(new Float32Array(packed.buffer)[2]).toBe(0.5);
  });

  it('reads struct i of an array back by name, and refuses a value that is not a number', () => {
    const words = new Uint32Array(6);
    words.set(S.pack({ rows: 1, qmax: 2, unit: 3 }).subarray(0, 3), 0);
    words.set(S.pack({ rows: 4, qmax: -5, unit: 0.25 }).subarray(0, 3), 3);
    expect(S.read(words, 1)).toEqual({ rows: 4, qmax: -5, unit: 0.25 });
    expect(() => S.pack({ rows: NaN, qmax: 0, unit: 0 })).toThrow('Params.rows is NaN');
  });

  it('writes sizes as WGSL u32 constants', () => {
    expect(wgslConstants({ TILE: 16, BLOCK: 32 })).toBe('const TILE: u32 = 16u;\nconst BLOCK: u32 = 32u;\n');
    expect(() => wgslConstants({ TILE: 1.5 })).toThrow();
  });
});
