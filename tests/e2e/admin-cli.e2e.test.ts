/**
 * `kefu admin create` and `kefu tenant create` as an operator runs them: the first super admin from
 * the command line (password on standard input, never in the arguments), refused once one exists;
 * a second tenant with its own one-time setup token. Then a node started on the same data directory
 * signs the admin in.
 */
import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../cluster/config.ts';
import { startNode } from '../../cluster/node.ts';
import { ApiClient, expectStatus } from '../api-client.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'kefu-cli-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

function kefu(args: string[], stdin = ''): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'kefu', '--', ...args], { cwd: ROOT, env: { ...process.env, KEFU_DATA_DIR: dataDir, KEFU_LOG_LEVEL: 'warn' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.stdin.end(stdin);
    child.once('close', (code) => resolve({ code, output }));
  });
}

test('the first admin from the command line, then a second tenant with its own setup token', async () => {
  const weak = await kefu(['admin', 'create', '--email', 'ops@example.com', '--name', 'Ops'], 'short\n');
  expect(weak.code).toBe(1);
  expect(weak.output).toMatch(/password: at least 10 characters/);

  const created = await kefu(['admin', 'create', '--email', 'ops@example.com', '--name', 'Ops'], 'a long operator secret\n');
  expect(created.output).toMatch(/Created super admin Ops <ops@example.com>/);
  expect(created.code).toBe(0);
  const again = await kefu(['admin', 'create', '--email', 'other@example.com', '--name', 'Other'], 'another long secret\n');
  expect(again.code).toBe(1);
  expect(again.output).toMatch(/already complete/);

  const t2 = await kefu(['tenant', 'create', 'acme', 'Acme Inc.']);
  expect(t2.code).toBe(0);
  const token = /one-time token:\n([A-Za-z0-9_-]{43})\n/.exec(t2.output)?.[1];
  expect(token).toBeDefined();

  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const node = await startNode(loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dataDir, KEFU_LOG_LEVEL: 'error', KEFU_NODE_ID: 'cli-test' }));
  try {
    expect(node.setup.status).toBe('complete');
    const ops = await new ApiClient(node.url).login('ops@example.com', 'a long operator secret');
    expect(expectStatus(await ops.get('/api/v1/me'), 200)).toMatchObject({ isSuperAdmin: true });
    const anon = new ApiClient(node.url);
    expectStatus(await anon.post('/api/v1/setup', { tenant: 'acme', token, email: 'boss@acme.example', displayName: 'Acme boss', password: 'acme long secret' }), 201);
    const acme = await new ApiClient(node.url).login('boss@acme.example', 'acme long secret', 'acme');
    const departments = expectStatus(await acme.get('/api/v1/departments'), 200) as { name: string; parentId: string | null }[];
    expect(departments).toEqual([expect.objectContaining({ name: 'Acme Inc.', parentId: null })]);
    // The same email in another tenant is another account.
    expect((await anon.post('/api/v1/session', { email: 'ops@example.com', password: 'a long operator secret', tenant: 'acme' })).status).toBe(401);
  } finally {
    await node.stop();
    jest.restoreAllMocks();
  }
}, 120_000);
