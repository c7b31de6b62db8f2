/**
 * Builds the browser files the gateway serves that need building: today the visitor widget
 * (web/widget/widget.ts → web/public/widget.js, one minified script with no dependencies).
 * Runs on `npm install` (the `prepare` script) and before the tests; `npm run build:web` by hand.
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

export const WIDGET_SOURCE = fileURLToPath(new URL('./widget/widget.ts', import.meta.url));
export const WIDGET_OUTPUT = fileURLToPath(new URL('./public/widget.js', import.meta.url));

const result = await build({
  entryPoints: [WIDGET_SOURCE],
  outfile: WIDGET_OUTPUT,
  bundle: true,
  minify: true,
  format: 'iife',
  // Browsers of the last few years, including the WebViews of WeChat and mobile Safari 15.
  target: ['es2020', 'chrome87', 'safari15', 'firefox90'],
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
const { readFileSync } = await import('node:fs');
const gzipped = gzipSync(readFileSync(WIDGET_OUTPUT)).length;
console.log(`[build:web] web/public/widget.js: ${(bytes / 1024).toFixed(1)} KiB, ${(gzipped / 1024).toFixed(1)} KiB gzipped`);
