import { defineConfig } from 'vite';

/**
 * Builds the Node entry points (the CLI and the benchmarks) into dist-node/: WGSL is inlined through
 * `?raw` as in the browser build; npm dependencies stay external and load from node_modules.
 */
export default defineConfig({
  publicDir: false,
  build: {
    ssr: true,
    outDir: 'dist-node',
    emptyOutDir: true,
    target: 'node20',
    sourcemap: true,
    rollupOptions: {
      input: {
        bitsplit: 'src/cli/bitsplit.ts',
        'bench-solver': 'bench/solver.ts',
        'bench-accuracy': 'bench/accuracy.ts',
        'bench-export': 'bench/export.ts',
        'bench-mixed': 'bench/mixed.ts',
        'bench-job': 'bench/job.ts',
        'bench-accumulate': 'bench/accumulate.ts',
        'bench-real': 'bench/real-models.ts',
        'bench-activations': 'bench/activations.ts',
        'bench-latency': 'bench/latency.ts',
        'bench-eight-bit': 'bench/eight-bit.ts',
      },
      output: { format: 'es', entryFileNames: '[name].mjs' },
    },
  },
});
