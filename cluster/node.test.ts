import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentState } from '../actors/agent/state.ts';
import { SNAPSHOT_DEDUPE_ENTRIES, type ConversationState } from '../actors/conversation/state.ts';
import { ActorStore } from './actor-store.ts';
import { loadConfig } from './config.ts';
import { startNode, type KefuNode } from './node.ts';
import { freePorts } from '../tests/support.ts';

let dir: string;
const nodes: KefuNode[] = [];

const start = async (env: Record<string, string> = {}): Promise<KefuNode> => {
  const node = await startNode(
    loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'warn', KEFU_NODE_ID: 'unit-node', ...env }),
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

test('with KEFU_METRICS=off the node counts nothing and /metrics says so; it works the same otherwise', async () => {
  const node = await start({ KEFU_METRICS: 'off' });
  const res = await fetch(`http://127.0.0.1:${node.port}/metrics`);
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ code: 'METRICS_OFF', message: 'metrics are switched off on this node (KEFU_METRICS=off)', temporary: false });
  expect((await fetch(`http://127.0.0.1:${node.port}/ready`)).status).toBe(200);
  expect(await node.actors.send('queue', 'sales', { type: 'create', tenantId: 't1' })).toMatchObject({ ok: true });
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

test('a second node on the same configured port fails to start instead of sharing the port', async () => {
  const port = String(await freePorts(1));
  const first = await startNode(loadConfig({ KEFU_PORT: port, KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: join(dir, 'a'), KEFU_LOG_LEVEL: 'fatal' }));
  nodes.push(first);
  // (uSockets would otherwise set SO_REUSEPORT and let both listen, each getting some connections.)
  await expect(startNode(loadConfig({ KEFU_PORT: port, KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: join(dir, 'b'), KEFU_LOG_LEVEL: 'fatal' }))).rejects.toThrow(/^KEFU_PORT: cannot listen/);
});

test('an embedded node hosts the contact-center actors: a visitor reaches a ready agent, chats, and the agent closes', async () => {
  const node = await start();
  const send = (kind: 'conversation' | 'agent' | 'queue', id: string, command: unknown) => node.actors.send(kind, id, command);
  const store = new ActorStore(node.database);
  const conversation = async () => (await store.load<ConversationState>('conversation', 'c1'))?.state;

  expect(await send('queue', 'sales', { type: 'create', tenantId: 't1', settings: { policy: 'idle-first' } })).toMatchObject({ ok: true });
  expect(await send('agent', 'a1', { type: 'create', tenantId: 't1', skillGroups: ['sales'], maxConversations: 2 })).toMatchObject({ ok: true });
  expect(await send('agent', 'a1', { type: 'connect', connectionId: 'tab-1' })).toMatchObject({ ok: true });
  const visitor = { visitorId: 'v1', displayName: '小明', identified: false, vip: false, lastAgentId: null };
  const opened = { skillGroupId: 'sales', requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true };
  expect(await send('conversation', 'c1', { type: 'start', tenantId: 't1', channelId: 'web', visitor, open: opened })).toMatchObject({ ok: true });

  // Routing runs through the queue and agent actors asynchronously: wait for the assignment.
  const deadline = Date.now() + 10_000;
  while ((await conversation())?.status !== 'assigned') {
    if (Date.now() > deadline) throw new Error(`conversation c1 not assigned in time: ${JSON.stringify(await conversation())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(await conversation()).toMatchObject({ status: 'assigned', agentId: 'a1', skillGroupId: 'sales' });

  const posted = await send('conversation', 'c1', { type: 'post-message', from: { kind: 'visitor' }, clientMsgId: 'm1', text: '你好' });
  expect(posted).toMatchObject({ ok: true, effects: expect.arrayContaining([{ type: 'ack', clientMsgId: 'm1', seq: 1, duplicate: false }]) });
  const resent = await send('conversation', 'c1', { type: 'post-message', from: { kind: 'visitor' }, clientMsgId: 'm1', text: '你好' });
  expect(resent).toMatchObject({ ok: true, effects: [{ type: 'ack', clientMsgId: 'm1', seq: 1, duplicate: true }] });
  expect(await send('conversation', 'c1', { type: 'post-message', from: { kind: 'agent', agentId: 'a1' }, clientMsgId: 'r1', text: 'Hi!' })).toMatchObject({ ok: true });
  expect(await send('conversation', 'c1', { type: 'close', by: { kind: 'agent', agentId: 'a1' }, summary: 'greeted' })).toMatchObject({ ok: true });
  expect(await conversation()).toMatchObject({ status: 'closed', summary: 'greeted', lastSeq: 2 });

  // The agent's slot is given back (asynchronously, by the conversation's effect).
  while ((await store.load<AgentState>('agent', 'a1'))!.state.conversations.length > 0) {
    if (Date.now() > deadline) throw new Error('agent a1 still holds the closed conversation');
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(await send('conversation', 'nope', { type: 'close', by: { kind: 'visitor' }, summary: null })).toMatchObject({ ok: false, rejected: 'CONVERSATION_UNKNOWN' });

  // The runtime reports itself on /metrics.
  const metrics = await (await fetch(`http://127.0.0.1:${node.port}/metrics`)).text();
  expect(metrics).toMatch(/^kefu_actors_active\{(?=[^}]*kind="conversation")[^}]*\} [1-9]/m);
  expect(metrics).toMatch(/^kefu_actor_activation_seconds_count\{(?=[^}]*kind="queue")[^}]*\} [1-9]/m);
  expect(metrics).toMatch(/^kefu_actor_shard_moves_total\{(?=[^}]*kind="agent")(?=[^}]*direction="gained")[^}]*\} 256$/m);
});

test('after a restart a conversation still knows the client ids of its older messages: read back from the message log, not its snapshot', async () => {
  const first = await start();
  const visitor = { visitorId: 'v1', displayName: null, identified: false, vip: false, lastAgentId: null };
  const open = { skillGroupId: 'sales', requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true };
  await first.actors.send('queue', 'sales', { type: 'create', tenantId: 't1' });
  expect(await first.actors.send('conversation', 'c1', { type: 'start', tenantId: 't1', channelId: 'web', visitor, open })).toMatchObject({ ok: true });
  const post = (node: KefuNode, clientMsgId: string) => node.actors.send('conversation', 'c1', { type: 'post-message', from: { kind: 'visitor' }, clientMsgId, text: clientMsgId });
  for (let n = 1; n <= 40; n++) expect(await post(first, `m${n}`)).toMatchObject({ ok: true, effects: expect.arrayContaining([{ type: 'ack', clientMsgId: `m${n}`, seq: n, duplicate: false }]) });
  const stored = (await new ActorStore(first.database).load<ConversationState>('conversation', 'c1'))!.state;
  expect(stored.lastSeq).toBe(40);
  expect(stored.recentClientMsgIds.map(([id]) => id)).toEqual(Array.from({ length: SNAPSHOT_DEDUPE_ENTRIES }, (_, i) => `m${40 - SNAPSHOT_DEDUPE_ENTRIES + 1 + i}`));
  await first.stop();

  const second = await start();
  for (const n of [1, 24, 25, 40]) expect(await post(second, `m${n}`)).toMatchObject({ ok: true, effects: [{ type: 'ack', clientMsgId: `m${n}`, seq: n, duplicate: true }] });
  expect(await post(second, 'm41')).toMatchObject({ ok: true, effects: expect.arrayContaining([{ type: 'ack', clientMsgId: 'm41', seq: 41, duplicate: false }]) });
});

test('visitors waiting in a queue survive a restart of the embedded node (the queue rebuilds its waiting list)', async () => {
  const first = await start();
  const send = (node: KefuNode, kind: 'conversation' | 'agent' | 'queue', id: string, command: unknown) => node.actors.send(kind, id, command);
  await send(first, 'queue', 'support', { type: 'create', tenantId: 't1' });
  await send(first, 'agent', 'a1', { type: 'create', tenantId: 't1', skillGroups: ['support'], maxConversations: 5 });
  const open = { skillGroupId: 'support', requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true };
  for (const id of ['w1', 'w2', 'w3']) {
    const visitor = { visitorId: `v-${id}`, displayName: null, identified: false, vip: false, lastAgentId: null };
    expect(await send(first, 'conversation', id, { type: 'start', tenantId: 't1', channelId: 'web', visitor, open })).toMatchObject({ ok: true });
  }
  // The conversations are durably queued when `start` answers; the queue's snapshot holds no list.
  const store = new ActorStore(first.database);
  expect((await store.load<{ waiting: unknown[] }>('queue', 'support'))!.state.waiting).toEqual([]);
  await first.stop(); // enqueue messages still in flight may be lost here: the rebuild does not need them

  const deadline = Date.now() + 10_000;

  const second = await start();
  expect(await send(second, 'agent', 'a1', { type: 'connect', connectionId: 'tab' })).toMatchObject({ ok: true });
  const store2 = new ActorStore(second.database);
  for (const id of ['w1', 'w2']) {
    while ((await store2.load<ConversationState>('conversation', id))!.state.status !== 'assigned') {
      if (Date.now() > deadline) throw new Error(`${id} was not assigned after the restart`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
});
