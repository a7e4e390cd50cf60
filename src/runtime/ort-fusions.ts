import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * onnxruntime's own account of a file (Node only): how many node units its QDQ selectors fused into integer
 * kernels, by op, as its verbose session log says ("Matched Conv" under QDQSelectorActionTransformer). The log
 * goes straight to the process's own output streams, so the session is created in a child process that prints it.
 */
export async function fusedByOnnxruntime(bytes: Uint8Array): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'bitsplit-fusions-'));
  try {
    const model = join(dir, 'model.onnx');
    writeFileSync(model, bytes);
    const script = `require(process.env.ORT).InferenceSession.create(process.env.MODEL, { executionProviders: ['wasm'], logSeverityLevel: 0 })
      .then((s) => s.release(), (e) => { console.error(String(e)); process.exit(1); });`;
    const ort = createRequire(import.meta.url).resolve('onnxruntime-web');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['-e', script],
        { env: { ...process.env, ORT: ort, MODEL: model }, maxBuffer: 64 * 2 ** 20 },
        (e, out, err) =>
          e
            ? reject(new Error(`onnxruntime could not load the file to report its kernels: ${err || e.message}`))
            : resolve(`${out}\n${err}`),
      ),
    );
    return fusedCounts(stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The layers' ops among what onnxruntime fused (it also drops Q/DQ pairs around data-movement nodes). */
export const layerFusions = (counts: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(counts).filter(([op]) => op === 'Conv' || op === 'Gemm' || op === 'MatMul'));

/** Counts "Matched <op>" while the QDQ selector transformer runs, over all its steps. */
export function fusedCounts(log: string): Record<string, number> {
  const counts: Record<string, number> = {};
  let inside = false;
  for (const line of log.split('\n')) {
    if (line.includes('Applying graph transformer QDQSelectorActionTransformer')) inside = true;
    else if (line.includes('GraphTransformer QDQSelectorActionTransformer modified')) inside = false;
    const m = inside ? /Matched (\w+)/.exec(line) : null;
    if (m) counts[m[1]] = (counts[m[1]] ?? 0) + 1;
  }
  return counts;
}
