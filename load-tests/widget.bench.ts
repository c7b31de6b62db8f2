/**
 * Widget load benchmark: `npm run bench:widget [-- --loads 20]`
 *
 * An embedded node and Debian's Chromium (headless) on this machine. Each load is a fresh browser
 * context (no cache, no stored token) opening `/test/widget`; an init script notes when the widget
 * mounts (its launcher is clickable from then on). Then the launcher is clicked and the time until
 * the panel shows the connection is up (the `welcome` arrived) is noted. Baseline, same run and same
 * page: the page's own `load` event. Prints medians and p90s, and the script's size.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS as BROWSER_TEST_FLAGS } from '../tests/browser.ts';
import { loadConfig } from '../cluster/config.ts';
import { startNode } from '../cluster/node.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({ options: { loads: { type: 'string', default: '20' } } });
const LOADS = Number(values.loads);
const WIDGET_FILE = fileURLToPath(new URL('../web/public/widget.js', import.meta.url));
const CHROMIUM_FLAGS = [...BROWSER_TEST_FLAGS, '--disable-component-update', '--disable-sync'];

/** Runs in the page before its scripts: notes when the widget's host element is added. */
const NOTE_MOUNT = `
new MutationObserver((changes, observer) => {
  if (document.getElementById('kefu-widget')) { window.__kefuMountedAt = performance.now(); observer.disconnect(); }
}).observe(document, { childList: true, subtree: true });
`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-widget-bench-'));
  const node = await startNode(loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'warn', KEFU_NODE_ID: 'widget-bench' }));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  try {
    const script = readFileSync(WIDGET_FILE);
    console.log(`widget load benchmark: ${LOADS} fresh loads of ${node.url}/test/widget in headless Chromium (widget.js ${(script.length / 1024).toFixed(1)} KiB, ${(gzipSync(script).length / 1024).toFixed(1)} KiB gzipped)`);
    const mounted: number[] = [], pageLoad: number[] = [], connected: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext({ locale: 'en-US' });
      await context.addInitScript(NOTE_MOUNT);
      const page = await context.newPage();
      await page.goto(`${node.url}/test/widget`, { waitUntil: 'load', timeout: 30_000 });
      await page.locator('#kefu-widget .launcher').waitFor({ timeout: 30_000 });
      // (A string: this file is type-checked without the DOM library.)
      const times = await page.evaluate<{ mountedAt: number; loadAt: number }>(
        `({ mountedAt: window.__kefuMountedAt, loadAt: performance.getEntriesByType('navigation')[0].loadEventEnd })`,
      );
      mounted.push(times.mountedAt);
      pageLoad.push(times.loadAt);
      const clickedAt = performance.now();
      await page.locator('#kefu-widget .launcher').click();
      await page.locator('#kefu-widget .subtitle', { hasText: 'Online' }).waitFor({ timeout: 30_000 });
      connected.push(performance.now() - clickedAt);
      await context.close();
    }
    const row = (what: string, xs: number[]) => console.log(`  ${what.padEnd(44)} median ${percentile(xs, 50).toFixed(0).padStart(4)} ms   p90 ${percentile(xs, 90).toFixed(0).padStart(4)} ms`);
    row('page load event (baseline)', pageLoad);
    row('widget mounted, launcher clickable', mounted);
    row('launcher click → connected (welcome)', connected);
    console.log(`  widget mounted at ${(percentile(mounted, 50) / percentile(pageLoad, 50)).toFixed(2)}× the page's load time (median)`);
  } finally {
    await browser.close();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
