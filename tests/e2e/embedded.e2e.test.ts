/**
 * The README's first command, as a user runs it: `npm start` in a fresh directory brings up an
 * embedded Kefu on one port, prints the URL and a one-time setup token, answers /health and
 * /ready, and stops cleanly on Ctrl-C. Bad configuration stops it with the variable named.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts, waitFor } from '../support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const started: ChildProcess[] = [];
let dataDir: string;

/** `closed` settles when every process writing to the pipes (npm, its shell, Kefu) has exited. */
type Run = { child: ChildProcess; output: () => string; exit: Promise<number | null>; closed: Promise<void> };

function npmStart(env: Record<string, string>): Run {
  // Own process group, so the test can send Ctrl-C (SIGINT) to npm and Kefu together, as a terminal does.
  const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const closed = Promise.all([
    new Promise((resolve) => child.stdout!.once('close', resolve)),
    new Promise((resolve) => child.stderr!.once('close', resolve)),
  ]).then(() => undefined);
  return { child, output: () => output, exit, closed };
}

const ctrlC = (run: Run): void => void process.kill(-run.child.pid!, 'SIGINT');

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'kefu-e2e-'));
});
afterEach(() => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  }
  rmSync(dataDir, { recursive: true, force: true });
});

test('npm start: ready on one port, setup token printed, clean stop on Ctrl-C, restart keeps data', async () => {
  const port = await freePorts(1);
  const env = { KEFU_PORT: String(port), KEFU_DATA_DIR: dataDir, KEFU_NODE_ID: 'e2e' };
  const run = npmStart(env);
  await waitFor(
    `Kefu to print that it is ready on port ${port}`,
    async () => {
      if (run.child.exitCode !== null) throw new Error(`npm start exited early:\n${run.output()}`);
      return run.output().includes(`ready at http://localhost:${port}`) ? true : undefined;
    },
    60_000,
  );
  const token = /^\s*│\s+([A-Za-z0-9_-]{43})$/m.exec(run.output())?.[1];
  expect(token).toBeDefined();
  expect(existsSync(join(dataDir, 'kefu.sqlite'))).toBe(true);

  expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  expect(await (await fetch(`http://127.0.0.1:${port}/ready`)).json()).toMatchObject({ status: 'ready', node: 'e2e' });
  expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain('setup token');

  ctrlC(run);
  await run.closed;
  expect(run.output()).toContain('SIGINT: stopping Kefu node e2e');
  expect(run.output()).toContain('ServiceBroker is stopped');
  expect(run.output()).not.toContain('stop failed');
  await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();

  // Same data directory: nothing to migrate, and a fresh token because setup is still pending.
  const again = npmStart(env);
  await waitFor('the restarted node', async () => (again.output().includes('ready at') ? true : undefined), 60_000);
  expect(again.output()).not.toContain('database migrated');
  const secondToken = /^\s*│\s+([A-Za-z0-9_-]{43})$/m.exec(again.output())?.[1];
  expect(secondToken).toBeDefined();
  expect(secondToken).not.toBe(token);
  ctrlC(again);
  await again.closed;
  expect(again.output()).toContain('ServiceBroker is stopped');
});

test('bad configuration stops npm start with the variable named and nothing started', async () => {
  const run = npmStart({ KEFU_PORT: 'eighty', KEFU_MODE: 'cluster', KEFU_DATA_DIR: dataDir });
  expect(await run.exit).not.toBe(0);
  expect(run.output()).toContain('KEFU_PORT: must be an integer from 0 to 65535 (got "eighty")');
  expect(run.output()).toContain('KEFU_MYSQL_URL: is required in cluster mode');
  expect(existsSync(join(dataDir, 'kefu.sqlite'))).toBe(false);
});
