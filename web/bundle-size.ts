/**
 * The workstation's initial JavaScript: every script `index.html` of the built app loads, gzipped.
 * Printed by the build and by the workstation's browser test (target ≤ 400 KiB).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export function initialJavaScriptKiB(appDir: string): number {
  const html = readFileSync(join(appDir, 'index.html'), 'utf8');
  const scripts = readdirSync(join(appDir, 'assets')).filter((file) => file.endsWith('.js') && html.includes(`/app/assets/${file}`));
  return scripts.reduce((sum, file) => sum + gzipSync(readFileSync(join(appDir, 'assets', file))).length, 0) / 1024;
}
