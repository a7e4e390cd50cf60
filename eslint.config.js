import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// The module boundaries of DEVELOPERS.md, enforced: each layer names what it may not import.
const forbid = (groups, message) => ({
  'no-restricted-imports': ['error', { patterns: groups.map((group) => ({ group, message })) }],
});

const TESTS = ['src/**/*.test.ts', 'src/**/*.test.tsx', 'src/testing/**'];
const ONLY_GPU_IMPORTS_SHADERS = {
  selector: 'ImportDeclaration[source.value=/\\.wgsl\\?raw$/]',
  message: 'Only src/gpu imports shaders.',
};
const FIXTURES_FOR_TESTS = {
  selector: 'ImportDeclaration[source.value=/(^|\\/)testing\\//]',
  message: 'src/testing holds test fixtures: tests, benchmarks and e2e specs import them, the product does not.',
};

export default tseslint.config(
  { ignores: ['dist', 'dist-node', 'node_modules', 'test-results', 'playwright-report', '.device'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**'],
    languageOptions: { globals: { ...globals['shared-node-browser'] } },
    rules: forbid(
      [
        [
          '**/gpu/**',
          '**/runtime/**',
          '**/pipeline/**',
          '**/worker/**',
          '**/state/**',
          '**/ui/**',
          'onnxruntime-web',
          'onnxruntime-web/*',
          'webgpu',
          'react',
          'react-dom',
          '*.wgsl?raw',
        ],
      ],
      'src/core is pure TypeScript: no GPU, no onnxruntime, no DOM, no upper layer.',
    ),
  },
  {
    files: ['src/gpu/**'],
    rules: forbid(
      [['**/runtime/**', '**/pipeline/**', '**/worker/**', '**/state/**', '**/ui/**', 'onnxruntime-web', 'react']],
      'src/gpu holds WebGPU code only; it may use src/core.',
    ),
  },
  {
    files: ['src/runtime/**'],
    rules: forbid(
      [['**/gpu/**', '**/pipeline/**', '**/worker/**', '**/state/**', '**/ui/**', 'react']],
      'src/runtime wraps onnxruntime only; it may use src/core.',
    ),
  },
  {
    files: ['src/pipeline/**'],
    rules: forbid(
      [['**/worker/**', '**/state/**', '**/ui/**', 'react', 'onnxruntime-web']],
      'src/pipeline runs the job; onnxruntime goes through src/runtime.',
    ),
  },
  {
    files: ['src/worker/**', 'src/cli/**'],
    rules: forbid(
      [['**/state/**', '**/ui/**', 'react', 'onnxruntime-web', 'onnxruntime-web/*']],
      'onnxruntime is reached through src/runtime only.',
    ),
  },
  {
    files: ['src/state/**'],
    rules: forbid(
      [['**/gpu/**', '**/runtime/**', '**/pipeline/**', '**/ui/**', 'onnxruntime-web', 'webgpu']],
      'src/state talks to the worker; it never touches the GPU or onnxruntime itself.',
    ),
  },
  {
    files: ['src/ui/**'],
    rules: forbid(
      [['**/core/**', '**/gpu/**', '**/runtime/**', '**/pipeline/**', '**/worker/**', 'onnxruntime-web', 'webgpu', 'comlink']],
      'src/ui talks to the worker only through src/state actions.',
    ),
  },
  {
    files: ['src/**'],
    ignores: ['src/gpu/**', ...TESTS],
    rules: { 'no-restricted-syntax': ['error', ONLY_GPU_IMPORTS_SHADERS, FIXTURES_FOR_TESTS] },
  },
  {
    files: ['src/gpu/**'],
    ignores: TESTS,
    rules: { 'no-restricted-syntax': ['error', FIXTURES_FOR_TESTS] },
  },
  {
    files: TESTS,
    ignores: ['src/gpu/**'],
    rules: { 'no-restricted-syntax': ['error', ONLY_GPU_IMPORTS_SHADERS] },
  },
);
