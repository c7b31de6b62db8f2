/**
 * A short smoke of every load scenario (load-tests/load/), as a load tester runs them: an embedded
 * Kefu started from the command line with its first admin made by `kefu admin create`, then
 * `npm run load -- --scenario <name>` for a few seconds each at a low rate. Each must meet its SLOs
 * (exit 0) and report real figures; a run whose SLO cannot be met must say so and exit 1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts, waitFor } from '../support.ts';
import { NODE_FLAGS } from '../../cluster/node-flags.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADMIN = { email: 'ops@example.com', password: 'correct horse battery staple' };
let dir: string;
let kefu: ChildProcess | undefined;
let url = '';

function run(command: string, args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.stdin.end(options.stdin ?? '');
    child.once('close', (code) => resolve({ code, output }));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-load-smoke-'));
  const env = { KEFU_DATA_DIR: join(dir, 'data'), KEFU_LOG_LEVEL: 'warn' };
  const admin = await run(process.execPath, ['bin/kefu.ts', 'admin', 'create', '--email', ADMIN.email, '--name', 'Load tester'], { env, stdin: `${ADMIN.password}\n` });
  if (admin.code !== 0) throw new Error(`kefu admin create failed:\n${admin.output}`);
  const port = await freePorts(1);
  url = `http://127.0.0.1:${port}`;
  // All load comes from one loopback address: lift the per-address ceilings (load-tests/README.md).
  kefu = spawn(process.execPath, [...NODE_FLAGS, 'bin/kefu.ts', 'start'], {
    cwd: ROOT,
    env: { ...process.env, ...env, KEFU_PORT: String(port), KEFU_HOST: '127.0.0.1', KEFU_NODE_ID: 'load-smoke', KEFU_VISITOR_CONNECTIONS_PER_IP: '100000', KEFU_SIGN_INS_PER_MINUTE: '10000' },
    stdio: 'ignore',
  });
  await waitFor('the node to be ready', async () => ((await fetch(`${url}/ready`).catch(() => null))?.ok ? true : undefined), 60_000);
});

afterAll(async () => {
  if (kefu && kefu.exitCode === null) {
    const exited = new Promise((resolve) => kefu!.once('exit', resolve));
    kefu.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

type Report = {
  visitors: number;
  counts: Record<string, number>;
  latencies: Record<string, { count: number; p99: number }>;
  processes: { pid: string; cpuPercent: number | null; rssPeakMiB: number }[];
  slos: { slo: string; actual: number; passed: boolean }[];
};

async function load(scenario: string, extra: string[] = []): Promise<{ code: number | null; output: string; report: Report }> {
  const json = join(dir, `${scenario}-${Date.now()}.json`);
  // The spike's rate is its peak (a fifth of it before and after the burst).
  const rate = scenario === 'spike' ? '6' : '3';
  const agents = scenario === 'visitor' ? '0' : '4';
  const args = ['load-tests/load/run.ts', '--scenario', scenario, '--url', url, '--duration', '6', '--rate', rate, '--agents', agents, '--messages', '3', '--interval-ms', '300', '--drain', '30', '--pid', String(kefu!.pid), '--json', json, ...extra];
  const result = await run(process.execPath, args, { env: { KEFU_LOAD_ADMIN_EMAIL: ADMIN.email, KEFU_LOAD_ADMIN_PASSWORD: ADMIN.password } });
  return { ...result, report: JSON.parse(readFileSync(json, 'utf8')) as Report };
}

test.each(['visitor', 'agent', 'mixed', 'spike', 'soak'])('the %s scenario runs, reports real figures and meets its SLOs', async (scenario) => {
  const { code, output, report } = await load(scenario);
  expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('every SLO met') });
  expect(report.visitors).toBeGreaterThanOrEqual(10);
  expect(report.counts.visitors_completed).toBe(report.visitors);
  expect(report.counts.lost).toBe(0);
  expect(report.latencies.ack_visitor_ms!.count).toBe(report.visitors * 3);
  if (scenario !== 'visitor') {
    expect(report.counts.visitors_served).toBe(report.visitors);
    expect(report.latencies.delivery_to_agent_ms!.count).toBe(report.visitors * 3);
    expect(report.latencies.delivery_to_visitor_ms!.count).toBeGreaterThan(0);
  }
  if (scenario === 'visitor' || scenario === 'mixed' || scenario === 'soak') expect(report.latencies.resume_ms!.count).toBe(report.visitors);
  expect(report.processes[0]!.rssPeakMiB).toBeGreaterThan(0);
  expect(report.slos.every((s) => s.passed)).toBe(true);
}, 90_000);

test('a missed SLO is reported as missed and fails the run', async () => {
  const { code, output, report } = await load('visitor', ['--threshold', 'ack_visitor_ms p50 <= 0']);
  expect(code).toBe(1);
  expect(output).toMatch(/MISS ack_visitor_ms p50 <= 0/);
  expect(report.slos.find((s) => s.slo === 'ack_visitor_ms p50 <= 0')).toMatchObject({ passed: false });
}, 90_000);
