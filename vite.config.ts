import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Threaded onnxruntime-web needs cross-origin isolation; it also keeps the page's data in its origin.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
  build: { target: 'es2022', sourcemap: true },
});
