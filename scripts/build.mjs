// `npm run build`: the gateway as one bundle of our own code in dist/ (packages stay in node_modules),
// so `npm start` runs plain JavaScript. Running the sources through tsx costs about 40 MB of resident
// memory for the loader and the transformed sources, on every replica, for no benefit at run time.
// Modules the gateway loads on demand (the app after the port opens, OCR, Stripe) stay separate
// chunks, loaded when first used as before.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist');
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/main.ts'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
