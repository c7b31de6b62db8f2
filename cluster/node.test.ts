import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config.ts';
import { startNode, type KefuNode } from './node.ts';

let dir: string;
const nodes: KefuNode[] = [];

const start = async (): Promise<KefuNode> => {
  const node = await startNode(
    loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'warn', KEFU_NODE_ID: 'unit-node' }),
  );
  nodes.push(node);
  return node;
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-node-'));
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true); // the setup banner
});
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

test('an embedded node serves health, readiness, metrics and the web UI on one port', async () => {
  const node = await start();
  const base = `http://127.0.0.1:${node.port}`;
  expect(node.url).toBe(`http://127.0.0.1:${node.port}`);

  const health = await fetch(`${base}/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok', node: 'unit-node', mode: 'embedded' });

  const ready = await fetch(`${base}/ready`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ready', node: 'unit-node', checks: { database: 'ok' } });

  const metrics = await fetch(`${base}/metrics`);
  expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await metrics.text();
  expect(text).toMatch(/^kefu_node_info\{mode="embedded",role="gateway",version="[^"]+",node="unit-node"\} 1$/m);
  expect(text).toMatch(/^kefu_node_startup_seconds\{node="unit-node"\} \d/m);
  expect(text).toMatch(/^process_resident_memory_bytes\{node="unit-node"\} \d+/m);
  expect(text).toMatch(/^moleculer_node_type\{node="unit-node",value="nodejs"\} 1$/m);
  const names = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
  expect(new Set(names).size).toBe(names.length); // one registry, no duplicate metric names

  const home = await fetch(`${base}/`);
  expect(home.status).toBe(200);
  expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(home.headers.get('x-content-type-options')).toBe('nosniff');
  expect(await home.text()).toContain('<title>Kefu');

  const missing = await fetch(`${base}/../../etc/passwd`);
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual({ code: 'NOT_FOUND', message: 'no such route', temporary: false });
});

test('the first start issues a setup token; a restart migrates nothing and issues a fresh one', async () => {
  const first = await start();
  expect(first.setup.status).toBe('issued');
  await first.stop();
  const second = await start();
  if (first.setup.status !== 'issued' || second.setup.status !== 'issued') throw new Error('expected issued tokens');
  expect(second.setup.token).not.toBe(first.setup.token);
  expect(await second.database.orm.migrator.getPending()).toEqual([]);
});

test('stop closes the port and is idempotent', async () => {
  const node = await start();
  const url = `http://127.0.0.1:${node.port}/health`;
  await Promise.all([node.stop(), node.stop()]);
  await expect(fetch(url)).rejects.toThrow();
});

test('a port that is taken fails the start with an error naming KEFU_PORT, and cleans up', async () => {
  const first = await start();
  const config = loadConfig({ KEFU_PORT: String(first.port), KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: join(dir, 'other'), KEFU_LOG_LEVEL: 'fatal' });
  await expect(startNode(config)).rejects.toThrow(/^KEFU_PORT: cannot listen on 127\.0\.0\.1:\d+/);
});
