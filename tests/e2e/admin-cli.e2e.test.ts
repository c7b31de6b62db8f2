/**
 * `kefu admin create`, `kefu tenant create` and `kefu reindex` as an operator runs them: the first
 * super admin from the command line (password on standard input, never in the arguments), refused
 * once one exists; a second tenant with its own one-time setup token; then a node started on the
 * same data directory signs the admin in. And the embedded search index rebuilt from the log.
 */
import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../cluster/config.ts';
import { EMBEDDED_DATABASE_FILE, startNode } from '../../cluster/node.ts';
import { migrateDatabase, openDatabase } from '../../cluster/database.ts';
import { appendStatement } from '../../cluster/message-log.sql.ts';
import { fts5Match } from '../../actors/history/search-text.ts';
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

test('kefu reindex rebuilds the embedded search index from the message log, showing its progress', async () => {
  // A log with 2,500 messages whose search index was lost.
  const db = await openDatabase({ dialect: 'sqlite', file: join(dataDir, EMBEDDED_DATABASE_FILE) });
  try {
    await migrateDatabase(db);
    const conn = db.orm.em.getConnection();
    const messages = Array.from({ length: 2_500 }, (_, i) => ({
      tenantId: 'default',
      conversationId: `c${Math.floor(i / 100)}`,
      seq: (i % 100) + 1,
      clientMsgId: `m${i}`,
      from: { kind: 'visitor' as const },
      visibility: 'public' as const,
      text: i === 1_234 ? '我的包裹破损了，需要退款' : `message ${i}`,
      at: 1_000 + i,
      epoch: 1,
    }));
    for (let from = 0; from < messages.length; from += 500) {
      const { sql, params } = appendStatement('sqlite', messages.slice(from, from + 500));
      await conn.execute(sql, params, 'run');
    }
    await conn.execute('delete from kefu_message_fts');
  } finally {
    await db.close();
  }

  const run = await kefu(['reindex']);
  expect(run.output).toMatch(/\] 100% {2}2,500 \/ 2,500 messages/);
  expect(run.output).toMatch(/Reindexed 2,500 messages in/);
  expect(run.code).toBe(0);

  const after = await openDatabase({ dialect: 'sqlite', file: join(dataDir, EMBEDDED_DATABASE_FILE) });
  try {
    const conn = after.orm.em.getConnection();
    expect(await conn.execute('select count(*) as n from kefu_message_fts', [], 'all')).toEqual([{ n: 2_500 }]);
    const found = await conn.execute<{ text: string }[]>('select m.text from kefu_message_fts f join kefu_message m on m.rowid = f.rowid where kefu_message_fts match ?', [fts5Match(['退款'])], 'all');
    expect(found.map((r: { text: string }) => r.text)).toEqual(['我的包裹破损了，需要退款']);
  } finally {
    await after.close();
  }
}, 120_000);
