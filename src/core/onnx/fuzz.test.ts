import { describe, expect, it } from 'vitest';
import { isStudioError } from '../errors';
import { fixtureCases } from '../../testing/fixtures';
import { summarizeGraph } from '../model-summary';
import { seededRandom } from '../random';
import { GraphView } from './graph';
import { decodeModel, encodeModel } from './model-io';

/** One random mutation of a file: flipped bytes, a cut, an inserted run, a duplicated slice. */
function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  const out = Array.from(bytes);
  switch (pick(4)) {
    case 0:
      for (let k = 1 + pick(8); k > 0; k--) out[pick(out.length)] = pick(256);
      return Uint8Array.from(out);
    case 1:
      return bytes.slice(0, pick(bytes.length));
    case 2: {
      const at = pick(out.length);
      out.splice(at, 0, ...Array.from({ length: 1 + pick(16) }, () => pick(256)));
      return Uint8Array.from(out);
    }
    default: {
      const from = pick(out.length);
      out.splice(pick(out.length), 0, ...out.slice(from, from + 1 + pick(64)));
      return Uint8Array.from(out);
    }
  }
}

describe('the ONNX reader under fuzzing', () => {
  it('throws nothing but its own typed errors on 10,000 mutated fixtures, each in under a second', () => {
    const sources = fixtureCases.map(([, make]) => encodeModel(make()));
    const random = seededRandom(2026);
    const kinds: Record<string, number> = {};
    let slowest = 0;
    for (let i = 0; i < 10_000; i++) {
      const bytes = mutate(sources[i % sources.length], random);
      const start = performance.now();
      let kind = 'accepted';
      try {
        // Everything the page does with a dropped file before the user acts on it, and reading its weights.
        const graph = new GraphView(decodeModel(bytes));
        summarizeGraph(graph, 'fuzz.onnx', bytes.byteLength, '0'.repeat(64));
        for (const name of graph.constants.keys()) graph.constantTensor(name);
      } catch (e) {
        if (!isStudioError(e))
          throw new Error(`mutation ${i} escaped as ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        kind = e.name;
      }
      kinds[kind] = (kinds[kind] ?? 0) + 1;
      slowest = Math.max(slowest, performance.now() - start);
    }
    console.log(`fuzzing: ${JSON.stringify(kinds)}; slowest ${slowest.toFixed(1)} ms`);
    expect(slowest).toBeLessThan(1000);
    expect(Object.keys(kinds).length).toBeGreaterThan(1);
  });
});
