/**
 * Builds the browser files the gateway serves that need building:
 * - the visitor widget (web/widget/widget.ts → web/public/widget.js, one minified script with no
 *   dependencies, esbuild);
 * - the workstation (web/app/ → web/public/app/, React + Ant Design, Vite: hashed, code-split
 *   files under /app/assets/).
 * Runs on `npm install` (the `prepare` script) and before the tests; `npm run build:web` by hand.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import { initialJavaScriptKiB } from './bundle-size.ts';

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

const appRoot = fileURLToPath(new URL('./app/', import.meta.url));
const appOut = fileURLToPath(new URL('./public/app/', import.meta.url));
await viteBuild({
  root: appRoot,
  base: '/app/',
  configFile: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir: appOut, emptyOutDir: true, target: ['es2022', 'chrome100', 'safari16', 'firefox100'], chunkSizeWarningLimit: 2_000,
    rolldownOptions: {
      // Ant Design's modules start with "use client" (for React Server Components); meaningless in a bundle.
      onLog: (level, log, handler) => (log.code === 'MODULE_LEVEL_DIRECTIVE' ? undefined : handler(level, log)),
    },
  },
});
console.log(`[build:web] web/public/app/: initial JavaScript ${initialJavaScriptKiB(appOut).toFixed(1)} KiB gzipped`);
