import { defineConfig } from '@playwright/test';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Keep Chromium from trying to reach the network, which this machine does not have.
const QUIET = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  workers: 1,
  reporter: [['list']],
  use: { baseURL: 'http://127.0.0.1:4173' },
  projects: [
    {
      name: 'webgpu',
      testIgnore: /no-webgpu/,
      // --enable-unsafe-webgpu gives headless Chromium a SwiftShader WebGPU adapter.
      use: { launchOptions: { executablePath: CHROMIUM, args: ['--enable-unsafe-webgpu', ...QUIET] } },
    },
    {
      name: 'no-webgpu',
      testMatch: /no-webgpu/,
      use: { launchOptions: { executablePath: CHROMIUM, args: QUIET } },
    },
  ],
  webServer: {
    command: 'npx vite preview --port 4173 --strictPort --host 127.0.0.1',
    url: 'http://127.0.0.1:4173',
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
