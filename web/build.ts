/**
 * Builds the browser files the gateway serves that need building: today the visitor widget
 * (web/widget/widget.ts → web/public/widget.js, one minified script with no dependencies).
 * Runs on `npm install` (the `prepare` script) and before the tests; `npm run build:web` by hand.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const source = fileURLToPath(new URL('./widget/widget.ts', import.meta.url));
const output = fileURLToPath(new URL('./public/widget.js', import.meta.url));

await build({
  entryPoints: [source],
  outfile: output,
  bundle: true,
  minify: true,
  format: 'iife',
  // Browsers of the last few years, including the WebViews of WeChat and mobile Safari 15.
  target: ['es2020', 'chrome87', 'safari15', 'firefox90'],
  legalComments: 'none',
  logLevel: 'warning',
});
const built = readFileSync(output);
console.log(`[build:web] web/public/widget.js: ${(built.length / 1024).toFixed(1)} KiB, ${(gzipSync(built).length / 1024).toFixed(1)} KiB gzipped`);
