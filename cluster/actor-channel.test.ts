/**
 * The actor channel between nodes: Moleculer brokers in one process (its in-process transporter),
 * one SQLite store, one in-memory lease table. What matters: commands to one node in one turn go
 * as one event, each answer goes when its own command is done, order per actor holds, batches stay
 * under the size bound, and hostile batches change nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBroker } from 'moleculer';
import { waitFor } from '../tests/support.ts';
import { counterKind, type Counter } from '../tests/counter-kind.ts';
import { actorChannelName } from './actor-channel.ts';
import { MAX_BATCH_BYTES } from './turn-batches.ts';
import { ActorClient, ActorRuntime } from './actor-runtime.ts';
import { ActorStore } from './actor-store.ts';
import { migrateDatabase, openDatabase, type Database } from './database.ts';
import { MemoryLeaseTable, MemoryShardLeases } from './shard-leases.memory.ts';

const SHARDS = 64;
let dir: string;
let db: Database;
let namespace: string;
let table: MemoryLeaseTable;
const brokers: ServiceBroker[] = [];
let release = (): void => undefined;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-channel-'));
  db = await openDatabase({ dialect: 'sqlite', file: join(dir, 'kefu.sqlite') });
  await migrateDatabase(db);
  namespace = `ch-${Math.random().toString(36).slice(2)}`;
  table = new MemoryLeaseTable();
});
afterEach(async () => {
  release();
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `owner` hosts counters (their effects hang for ids in `hanging`); `caller` hosts nothing and sends. */
async function twoNodes(options: { timeoutMs?: number } = {}) {
  const hanging = new Set<string>();
  const stuck = new Promise<void>((resolve) => (release = resolve));
  const broker = (nodeID: string) => new ServiceBroker({ namespace, nodeID, transporter: 'Fake', logger: false, metrics: { enabled: true, reporter: null } });
  const owner = broker('owner');
  const ownerClient = new ActorClient(owner, { shardCount: SHARDS });
  new ActorRuntime(owner, ownerClient).host(
    { ...counterKind('owner', []), runEffects: (actorId) => (hanging.has(actorId) ? stuck : Promise.resolve()) },
    { store: new ActorStore(db), leases: new MemoryShardLeases(table, { nodeId: 'owner', ttlMs: 5_000, safetyMarginMs: 500 }), shardCount: SHARDS },
  );
  const caller = broker('caller');
  const client = new ActorClient(caller, { shardCount: SHARDS, attempts: 1, requestTimeoutMs: options.timeoutMs ?? 30_000 });
  brokers.push(owner, caller);
  await Promise.all([owner.start(), caller.start()]);
  await waitFor('the caller to see the owner', async () => (client.members('counter').length === 1 ? true : undefined));
  await waitFor('the owner to hold its leases', async () => ((await client.send('counter', 'warm-up', { type: 'add', n: 0 })).ok ? true : undefined));
  /** `actor-channel.commands` events the owner received. */
  const batchesReceived = () =>
    owner.metrics
      .getMetric('moleculer.event.received.total')
      ?.snapshot()
      .filter((v) => v.labels['event'] === 'actor-channel.commands')
      .reduce((sum, v) => sum + Number((v as { value: number }).value), 0) ?? 0;
  return { owner, caller, client, hanging, batchesReceived };
}

test('the commands sent to one node in one turn travel as one batch, and each gets its own answer', async () => {
  const { client, batchesReceived } = await twoNodes();
  const before = batchesReceived();
  const ids = Array.from({ length: 50 }, (_, i) => `b${i}`);
  const answers = await Promise.all(ids.map((id, i) => client.send('counter', id, { type: 'add', n: i + 1 })));
  expect(answers.map((a) => (a.ok ? a.effects[0] : null))).toEqual(ids.map((_, i) => ({ type: 'counted', count: i + 1, node: 'owner' })));
  expect(batchesReceived() - before).toBe(1);
});

test('commands to one actor keep their order, within a batch and across batches', async () => {
  const { client } = await twoNodes();
  const sent: Promise<unknown>[] = [];
  for (let i = 1; i <= 60; i++) {
    sent.push(client.send('counter', 'ordered', { type: 'add', n: i }));
    if (i % 20 === 0) await new Promise((r) => setImmediate(r)); // a new batch
  }
  await Promise.all(sent);
  const snapshot = await new ActorStore(db).load<Counter>('counter', 'ordered');
  expect(snapshot!.state.log).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
});

test('a command that does not finish holds up no other command of its batch, and its caller gives up after the timeout', async () => {
  const { client, hanging } = await twoNodes({ timeoutMs: 400 });
  hanging.add('slow');
  const slow = client.send('counter', 'slow', { type: 'add', n: 1 }).catch((e: unknown) => e);
  const others = Array.from({ length: 10 }, (_, i) => client.send('counter', `quick${i}`, { type: 'add', n: 1 }));
  expect((await Promise.all(others)).every((a) => a.ok)).toBe(true);
  expect(await slow).toMatchObject({ type: 'ACTOR_UNREACHABLE', message: expect.stringContaining('REQUEST_TIMEOUT from owner') });
  expect(client.channel.pendingCount).toBe(0);
});

test('a batch stays under the byte bound: large commands are split over several events', async () => {
  const { client, batchesReceived } = await twoNodes();
  const before = batchesReceived();
  const pad = 'x'.repeat(Math.ceil(MAX_BATCH_BYTES / 2.5));
  const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => client.send('counter', `big${i}`, { type: 'add', n: 1, pad } as never)));
  expect(answers.every((a) => a.ok)).toBe(true);
  expect(batchesReceived() - before).toBe(3); // two, two and one
});

test('a command to a node that is not live fails at once with a retryable error', async () => {
  const { client } = await twoNodes();
  await expect(client.channel.send('nobody', 'counter', 'x', { type: 'add', n: 1 })).rejects.toMatchObject({ type: 'SERVICE_NOT_AVAILABLE' });
});

test('when the owner node is declared gone, the commands waiting for its answers fail with a retryable error', async () => {
  const { caller, client, hanging } = await twoNodes();
  hanging.add('left');
  const waiting = client.channel.send('owner', 'counter', 'left', { type: 'add', n: 1 }).catch((e: unknown) => e);
  await waitFor('the command to be in the owner’s mailbox', async () => ((await new ActorStore(db).load('counter', 'left')) ? true : undefined));
  // What the caller's failure detector does when the owner's heartbeats stop (as after kill -9).
  (caller.registry.nodes as unknown as { disconnected(id: string, unexpected: boolean): void }).disconnected('owner', true);
  expect(await waiting).toMatchObject({ type: 'REQUEST_REJECTED', retryable: true });
  expect(client.channel.pendingCount).toBe(0);
});

test('hostile batches change nothing: malformed items are answered with a typed error when they can be, and never crash the owner', async () => {
  const { caller, client } = await twoNodes();
  // A node of its own that records what comes back to it, speaking the channel's events by hand.
  const answers: unknown[] = [];
  const raw = new ServiceBroker({ namespace, nodeID: 'raw', transporter: 'Fake', logger: false });
  raw.createService({ name: actorChannelName('raw'), events: { 'actor-channel.answers': { handler: (ctx: { params: { items: unknown[] } }) => void answers.push(...ctx.params.items) } } });
  brokers.push(raw);
  await raw.start();
  await waitFor('the owner to see the raw node', async () => (brokers[0]!.registry.nodes.get('raw')?.available ? true : undefined));
  const to = { groups: [actorChannelName('owner')] };
  for (const hostile of [null, 'x', 42, { items: 'x' }, { items: Array.from({ length: 1_001 }, (_, i) => ({ id: i, kind: 'counter', actorId: 'flood', command: { type: 'add', n: 1 } })) }]) {
    await raw.emit('actor-channel.commands', hostile, to);
  }
  await raw.emit(
    'actor-channel.commands',
    {
      items: [
        null,
        7,
        { id: 'not-a-number', kind: 'counter', actorId: 'h', command: { type: 'add', n: 1 } },
        { id: 1, kind: 'no-such-kind', actorId: 'h', command: { type: 'add', n: 1 } },
        { id: 2, actorId: 'h', command: { type: 'add', n: 1 } },
        { id: 3, kind: 'counter', actorId: '', command: { type: 'add', n: 1 } },
        { id: 4, kind: 'counter', actorId: 'h', command: [1] },
        JSON.parse('{ "id": 5, "kind": "counter", "actorId": "h", "command": { "type": "add", "n": 2 }, "__proto__": { "polluted": true } }'),
      ],
    },
    to,
  );
  await waitFor('five answers', async () => (answers.length >= 5 ? true : undefined));
  const byId = new Map((answers as { id: number }[]).map((a) => [a.id, a]));
  expect(byId.get(1)).toMatchObject({ error: { type: 'ACTOR_REDIRECT' } });
  expect(byId.get(2)).toMatchObject({ error: { type: 'VALIDATION_ERROR' } });
  expect(byId.get(3)).toMatchObject({ error: { type: 'VALIDATION_ERROR' } });
  expect(byId.get(4)).toMatchObject({ error: { type: 'VALIDATION_ERROR' } });
  expect(byId.get(5)).toMatchObject({ delivered: { ok: true, effects: [{ type: 'counted', count: 2 }] } });
  expect(answers).toHaveLength(5);
  // The flood was dropped whole; the owner still serves everyone.
  expect(await new ActorStore(db).load('counter', 'flood')).toBeNull();
  expect((await client.send('counter', 'after', { type: 'add', n: 1 })).ok).toBe(true);
  expect(caller.registry.nodes.get('owner')?.available).toBe(true);
  expect(({}) as Record<string, unknown>).not.toHaveProperty('polluted');
});
