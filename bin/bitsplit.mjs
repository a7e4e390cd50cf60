#!/usr/bin/env node
// The CLI is built by `npm run build:node` (run by `npm ci` through the prepare script).
import { existsSync } from 'node:fs';
const entry = new URL('../dist-node/bitsplit.mjs', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('bitsplit: not built yet; run `npm run build:node` in the studio folder.\n');
  process.exit(2);
}
await import(entry.href);
