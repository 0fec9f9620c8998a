// Benchmarks that print their figures (cargo xtask bench). No thresholds
// are asserted here: the figures go into README and closing notes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { DIST } from './harness.mjs';

function sizes() {
  const files = readdirSync(DIST).filter((f) => /\.(wasm|js|css)$/.test(f));
  let raw = 0, gz = 0, br = 0;
  console.log('\n## First-load size of the release build (dist/)');
  console.log('file'.padEnd(48), 'raw'.padStart(9), 'gzip -9'.padStart(9), 'brotli 11'.padStart(10));
  for (const f of files.sort()) {
    const bytes = readFileSync(join(DIST, f));
    const g = gzipSync(bytes, { level: 9 }).length;
    const b = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    raw += bytes.length; gz += g; br += b;
    console.log(f.padEnd(48), String(bytes.length).padStart(9), String(g).padStart(9), String(b).padStart(10));
  }
  console.log('total'.padEnd(48), String(raw).padStart(9), String(gz).padStart(9), String(br).padStart(10));
  console.log(`budget: 200 KB gzip; measured ${(gz / 1024).toFixed(1)} KiB gzip, ${(br / 1024).toFixed(1)} KiB brotli`);
}

sizes();
