/**
 * Embedded-mode start-up benchmark: `npm run bench:startup [-- --runs 5]`
 *
 * Measures, for a fresh data directory (first start: create + migrate SQLite, issue the setup
 * token) and for a warm one (restart), the time from spawning `node bin/kefu.ts start` to its first
 * `200` on /ready, and the node's resident memory once idle. The baseline, measured in the same run
 * on the same machine, is the smallest possible server of the same shape: a bare uWebSockets.js app
 * answering /ready, in the same Node. Ratios are Kefu / baseline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NODE_FLAGS } from '../cluster/node-flags.ts';
import { freePorts } from '../tests/support.ts';

const KEFU_BIN = fileURLToPath(new URL('../bin/kefu.ts', import.meta.url));
const IDLE_SECONDS = 10;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);

const rssMiB = (pid: number): number => {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
};

async function untilReady(child: ChildProcess, port: number): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error('process exited before it was ready');
    try {
      if ((await fetch(`http://127.0.0.1:${port}/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function measure(args: string[], env: Record<string, string>, port: number, idle: boolean): Promise<{ readyMs: number; rss: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  try {
    await untilReady(child, port);
    const readyMs = performance.now() - t0;
    if (idle) await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    return { readyMs, rss: rssMiB(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const BASELINE_SOURCE = `
import { App } from 'uWebSockets.js';
App().get('/ready', (res) => res.end('ok')).listen('127.0.0.1', Number(process.env.PORT), () => {});
`;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, unit: string): string => `${n.toFixed(unit === 'ms' ? 0 : 1)} ${unit}`;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'kefu-bench-'));
  const baselineFile = join(fileURLToPath(new URL('.', import.meta.url)), `.baseline-${process.pid}.mjs`);
  writeFileSync(baselineFile, BASELINE_SOURCE);
  try {
    const base: number[] = [], first: number[] = [], warm: number[] = [];
    for (let i = 0; i < runs; i++) {
      let port = await freePorts(1);
      base.push((await measure([baselineFile], { PORT: String(port) }, port, false)).readyMs);
      const dataDir = join(work, `run-${i}`);
      port = await freePorts(1);
      const kefuEnv = { KEFU_DATA_DIR: dataDir, KEFU_PORT: String(port), KEFU_LOG_LEVEL: 'warn' };
      first.push((await measure([...NODE_FLAGS, KEFU_BIN, 'start'], kefuEnv, port, false)).readyMs);
      warm.push((await measure([...NODE_FLAGS, KEFU_BIN, 'start'], kefuEnv, port, false)).readyMs);
    }
    let port = await freePorts(1);
    const baseIdle = await measure([baselineFile], { PORT: String(port) }, port, true);
    port = await freePorts(1);
    const kefuIdle = await measure([...NODE_FLAGS, KEFU_BIN, 'start'], { KEFU_DATA_DIR: join(work, 'idle'), KEFU_PORT: String(port), KEFU_LOG_LEVEL: 'warn' }, port, true);

    console.log(`Embedded start-up, ${runs} runs each, median (Node ${process.version}, ${process.arch})`);
    console.log(`  baseline: bare uWS app to /ready       ${fmt(median(base), 'ms')}`);
    console.log(`  kefu first start (create + migrate)    ${fmt(median(first), 'ms')}   ${(median(first) / median(base)).toFixed(1)}x baseline`);
    console.log(`  kefu restart (existing data)           ${fmt(median(warm), 'ms')}   ${(median(warm) / median(base)).toFixed(1)}x baseline`);
    console.log(`Idle resident memory after ${IDLE_SECONDS} s`);
    console.log(`  baseline: bare uWS app                 ${fmt(baseIdle.rss, 'MiB')}`);
    console.log(`  kefu embedded node                     ${fmt(kefuIdle.rss, 'MiB')}   ${(kefuIdle.rss / baseIdle.rss).toFixed(1)}x baseline`);
  } finally {
    rmSync(baselineFile, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
