/**
 * The contract between a kernel's TypeScript and its shader, declared once: a struct's fields make both
 * the WGSL declaration (prepended to the shader) and the host's packing and reading of its words, and a
 * kernel's sizes (tiles, workgroups) become WGSL constants from the same numbers the host dispatches with.
 */

export type WgslScalar = 'u32' | 'i32' | 'f32';

export type StructValues<F extends Record<string, WgslScalar>> = { [K in keyof F]: number };

export interface WgslStruct<F extends Record<string, WgslScalar>> {
  readonly name: string;
  readonly fields: F;
  /** 32-bit words per struct. */
  readonly words: number;
  /** `struct Name { a: u32, b: f32, ... }` */
  readonly wgsl: string;
  /** The values in declaration order, each as its field's type; padded to a multiple of 16 bytes for a uniform buffer. */
  pack(values: StructValues<F>): Uint32Array<ArrayBuffer>;
  /** Struct `index` of an array of them, as written by the shader. */
  read(words: Uint32Array, index: number): StructValues<F>;
}

export function wgslStruct<const F extends Record<string, WgslScalar>>(name: string, fields: F): WgslStruct<F> {
  const names = Object.keys(fields) as (keyof F & string)[];
  const words = names.length;
  const f32 = new Float32Array(1);
  const i32 = new Int32Array(f32.buffer);
  const u32 = new Uint32Array(f32.buffer);
  const encode = (type: WgslScalar, v: number) => {
    if (type === 'f32') f32[0] = v;
    else if (type === 'i32') i32[0] = v;
    else u32[0] = v;
    return u32[0];
  };
  const decode = (type: WgslScalar, word: number) => {
    u32[0] = word;
    return type === 'f32' ? f32[0] : type === 'i32' ? i32[0] : u32[0];
  };
  return {
    name,
    fields,
    words,
    wgsl: `struct ${name} {\n${names.map((n) => `  ${n}: ${fields[n]},`).join('\n')}\n}\n`,
    pack(values) {
      const out = new Uint32Array(Math.ceil(words / 4) * 4);
      names.forEach((n, i) => {
        const v = values[n];
        if (!Number.isFinite(v)) throw new RangeError(`${name}.${n} is ${v}`);
        out[i] = encode(fields[n], v);
      });
      return out;
    },
    read(buffer, index) {
      return Object.fromEntries(names.map((n, i) => [n, decode(fields[n], buffer[index * words + i])])) as StructValues<F>;
    },
  };
}

/** `const NAME: u32 = 32u;` per entry: sizes the host also dispatches with. */
export function wgslConstants(values: Record<string, number>): string {
  return Object.entries(values)
    .map(([k, v]) => {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`${k} = ${v} is not a u32`);
      return `const ${k}: u32 = ${v}u;\n`;
    })
    .join('');
}
