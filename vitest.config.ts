import { defineConfig } from 'vitest/config';

// Dawn (the `webgpu` package) finds SwiftShader only through this variable; every test worker
// inherits it because it is set before the workers start.
process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
