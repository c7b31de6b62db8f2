/**
 * What metrics cost: `npm run bench:metrics-cost [-- --duration 30 --rate 8 --rounds 2]`
 *
 * The same open-loop contact-center load (the load runner's `mixed` scenario) is run against an
 * embedded Kefu with metrics on and against one with KEFU_METRICS=off, one after the other and
 * alternating for `--rounds` rounds (the baseline is measured in the same run, on the same
 * machine). Printed: the node's CPU time over the run (sign-ins, connections, routing, messages —
 * all of it) divided by the messages acknowledged, in each mode, and their ratio (target: metrics
 * add ≤ 5 %), and how long a `/metrics` scrape of the busy node takes (target
 * ≤ 50 ms), timed every second during the metrics-on runs.
 *
 * Bounded: each run has its duration plus a drain; every node is stopped by pid, also on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePorts, waitFor } from '../tests/support.ts';
import { percentile, processUsage } from './stats.ts';
import { NODE_FLAGS } from '../cluster/node-flags.ts';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '30' }, rate: { type: 'string', default: '8' }, rounds: { type: 'string', default: '2' }, agents: { type: 'string', default: '20' } } });
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADMIN = { email: 'ops@example.com', password: 'correct horse battery staple' };
const dir = mkdtempSync(join(tmpdir(), 'kefu-metrics-cost-'));
const running = new Set<ChildProcess>();

function run(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.stdin.end(stdin);
    child.once('close', (code) => {
      running.delete(child);
      resolve({ code, output });
    });
  });
}

type Measured = { mode: 'on' | 'off'; cpuS: number; messages: number; ackP99: number; scrapesMs: number[] };

/** A fresh embedded node (own data directory) under one load run; its CPU time from /proc. */
async function measure(mode: 'on' | 'off', round: number): Promise<Measured> {
  const data = join(dir, `${mode}-${round}`);
  const env = { KEFU_DATA_DIR: data, KEFU_LOG_LEVEL: 'warn' };
  const admin = await run(['bin/kefu.ts', 'admin', 'create', '--email', ADMIN.email, '--name', 'Ops'], env, `${ADMIN.password}\n`);
  if (admin.code !== 0) throw new Error(`kefu admin create failed:\n${admin.output}`);
  const port = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const node = spawn(process.execPath, [...NODE_FLAGS, 'bin/kefu.ts', 'start'], {
    cwd: ROOT,
    env: { ...process.env, ...env, KEFU_PORT: String(port), KEFU_HOST: '127.0.0.1', KEFU_METRICS: mode, KEFU_VISITOR_CONNECTIONS_PER_IP: '100000', KEFU_SIGN_INS_PER_MINUTE: '10000' },
    stdio: 'ignore',
  });
  running.add(node);
  try {
    await waitFor('the node to be ready', async () => ((await fetch(`${url}/ready`).catch(() => null))?.ok ? true : undefined), 60_000);
    const cpuBefore = processUsage(node.pid!)!.cpuSeconds;
    const scrapesMs: number[] = [];
    const scraper =
      mode === 'on'
        ? setInterval(() => {
            const t0 = performance.now();
            void fetch(`${url}/metrics`)
              .then((r) => r.text())
              .then(() => scrapesMs.push(performance.now() - t0), () => undefined);
          }, 1_000)
        : null;
    const json = join(dir, `${mode}-${round}.json`);
    const load = await run(
      ['load-tests/load/run.ts', '--scenario', 'mixed', '--url', url, '--duration', values.duration, '--rate', values.rate, '--agents', values.agents, '--json', json],
      { KEFU_LOAD_ADMIN_EMAIL: ADMIN.email, KEFU_LOAD_ADMIN_PASSWORD: ADMIN.password },
    );
    if (scraper) clearInterval(scraper);
    const cpuS = processUsage(node.pid!)!.cpuSeconds - cpuBefore;
    if (load.code !== 0) throw new Error(`the load run (metrics ${mode}) failed:\n${load.output}`);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { counts: { messages_acked: number }; latencies: { ack_visitor_ms: { p99: number } } };
    return { mode, cpuS, messages: report.counts.messages_acked, ackP99: report.latencies.ack_visitor_ms.p99, scrapesMs };
  } finally {
    node.kill('SIGTERM');
    await new Promise((resolve) => (node.exitCode !== null ? resolve(null) : node.once('exit', resolve)));
    running.delete(node);
  }
}


async function main(): Promise<void> {
  console.log(`metrics cost: mixed scenario, ${values.duration} s at ${values.rate} visitors/s, ${values.agents} agents, ${values.rounds} rounds (off, on alternating)`);
  const results: Measured[] = [];
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const mode of round % 2 === 1 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const r = await measure(mode, round);
      results.push(r);
      console.log(`  round ${round}, metrics ${mode.padEnd(3)}: ${r.messages} messages, node CPU ${r.cpuS.toFixed(2)} s = ${((r.cpuS / r.messages) * 1e6).toFixed(0)} µs per message acked; ack p99 ${r.ackP99.toFixed(1)} ms`);
    }
  }
  const perMessage = (mode: 'on' | 'off') => {
    const rs = results.filter((r) => r.mode === mode);
    return rs.reduce((s, r) => s + r.cpuS, 0) / rs.reduce((s, r) => s + r.messages, 0);
  };
  const on = perMessage('on');
  const off = perMessage('off');
  const scrapes = results.flatMap((r) => r.scrapesMs);
  console.log(`\nnode CPU per message acked: metrics on ${(on * 1e6).toFixed(0)} µs, off ${(off * 1e6).toFixed(0)} µs — on/off ${(on / off).toFixed(3)}× (metrics add ${((on / off - 1) * 100).toFixed(1)} %; target ≤ 5 %)`);
  console.log(`/metrics scrape of the busy node: p50 ${percentile(scrapes, 50).toFixed(1)} ms, p99 ${percentile(scrapes, 99).toFixed(1)} ms, max ${Math.max(...scrapes).toFixed(1)} ms over ${scrapes.length} scrapes (target ≤ 50 ms)`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of running) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
