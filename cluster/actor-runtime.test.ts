/**
 * The actor runtime in one process: several Moleculer brokers (Moleculer's in-process transporter),
 * one shared SQLite store and one in-memory lease table — the embedded implementations of the
 * ports. Multi-process tests over NATS and Redis live in tests/integration.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBroker } from 'moleculer';
import { waitFor } from '../tests/support.ts';
import { counterKind, type Counter, type CounterCommand, type CounterEffect } from '../tests/counter-kind.ts';
import { ActorClient, ActorRuntime } from './actor-runtime.ts';
import { ActorStore } from './actor-store.ts';
import { migrateDatabase, openDatabase, type Database } from './database.ts';
import { ActorHost, type ActorKind } from './actor-host.ts';
import { accept } from '../actors/kernel/decision.ts';
import { ownerOfActor, shardOf } from './placement.ts';
import { ShardOwnership } from './shard-ownership.ts';
import { MemoryLeaseTable, MemoryShardLeases } from './shard-leases.memory.ts';
import { LogUnavailableError, type ExternalMessageLog, type LogEntry, type LoggedMessage, type LogOwner } from './message-log.ts';
import { SqlMessageLog } from './message-log.sql.ts';
import { createActorMetrics } from './metrics.ts';
import { Registry } from 'prom-client';

const SHARDS = 256;
let dir: string;
let db: Database;
let namespace: string;
const brokers: ServiceBroker[] = [];
let table: MemoryLeaseTable;

async function startNode(nodeID: string, rung: string[] = []): Promise<{ broker: ServiceBroker; runtime: ActorRuntime }> {
  const broker = new ServiceBroker({ namespace, nodeID, transporter: 'Fake', logger: false, heartbeatInterval: 1, heartbeatTimeout: 3 });
  const client = new ActorClient(broker, { shardCount: SHARDS, attempts: 20, backoffMs: 20 });
  const runtime = new ActorRuntime(broker, client);
  runtime.host(counterKind(nodeID, rung), {
    store: new ActorStore(db),
    leases: new MemoryShardLeases(table, { nodeId: nodeID, ttlMs: 3_000, safetyMarginMs: 500 }),
    shardCount: SHARDS,
    renewEveryMs: 200,
    leaseWaitMs: 3_000,
  });
  brokers.push(broker);
  await broker.start();
  return { broker, runtime };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-runtime-'));
  db = await openDatabase({ dialect: 'sqlite', file: join(dir, 'kefu.sqlite') });
  await migrateDatabase(db);
  namespace = `rt-${Math.random().toString(36).slice(2)}`;
  table = new MemoryLeaseTable();
});
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * One host of `definition` on its own, owning every shard (its membership is itself), with leases
 * of a minute renewed by hand: tests move the lease table's clock (`table.now`) to let them run out.
 */
async function soloHost<S, C, E>(nodeId: string, definition: ActorKind<S, C, E>, options: { log?: ExternalMessageLog; passivateAfterMs?: number; metrics?: ReturnType<typeof createActorMetrics> } = {}) {
  const ownership: ShardOwnership = new ShardOwnership({
    nodeId,
    shardCount: SHARDS,
    leases: new MemoryShardLeases(table, { nodeId, ttlMs: 60_000, safetyMarginMs: 1_000 }),
    renewEveryMs: 3_600_000,
    hooks: { gained: (s) => host.hooks.gained(s), handingOver: (s) => host.hooks.handingOver(s), lost: (s) => host.hooks.lost(s) },
  });
  const host: ActorHost<S, C, E> = new ActorHost({ definition, store: new ActorStore(db), ownership, ...options });
  await ownership.start([nodeId]);
  return { host, ownership };
}

/** Every node sees every other one (the membership the owners are computed from). */
async function settled(nodes: { runtime: ActorRuntime }[], count: number): Promise<void> {
  await waitFor(`every node to see ${count} nodes`, async () => (nodes.every((n) => n.runtime.client.members('counter').length === count) ? true : undefined), 10_000);
}

test('commands reach each actor’s single owner from any node, in order, with state kept', async () => {
  const nodes = await Promise.all(['n1', 'n2', 'n3'].map((id) => startNode(id)));
  await settled(nodes, 3);
  const ids = Array.from({ length: 24 }, (_, i) => `c${i}`);
  const served = new Map<string, Set<string>>();
  for (let round = 1; round <= 5; round++) {
    await Promise.all(
      ids.map(async (id, i) => {
        const via = nodes[(i + round) % 3]!.runtime.client;
        const result = await via.send<CounterCommand, CounterEffect>('counter', id, { type: 'add', n: round });
        if (!result.ok) throw new Error(result.message);
        const effect = result.effects[0]!;
        expect(effect.count).toBe((round * (round + 1)) / 2);
        served.set(id, new Set([...(served.get(id) ?? []), effect.node]));
      }),
    );
  }
  const members = ['n1', 'n2', 'n3'];
  for (const id of ids) expect([...served.get(id)!]).toEqual([ownerOfActor(id, members, SHARDS)]);
  const store = new ActorStore(db);
  expect(await store.load('counter', 'c7')).toMatchObject({ state: { count: 15, log: [1, 2, 3, 4, 5] } });
});

test('a rejection is an answer, not an error, and changes nothing', async () => {
  const [node] = [await startNode('n1')];
  await settled([node], 1);
  expect(await node.runtime.client.send('counter', 'missing-1', { type: 'add', n: 1 })).toMatchObject({ ok: false, rejected: 'CONVERSATION_UNKNOWN' });
  expect(await node.runtime.client.send('counter', 'c1', { type: 'bad' })).toMatchObject({ ok: false, rejected: 'INVALID_TRANSITION' });
  expect(await new ActorStore(db).load('counter', 'c1')).toBeNull();
});

test('when a node leaves, its actors continue on the others with their state', async () => {
  const nodes = await Promise.all(['n1', 'n2', 'n3'].map((id) => startNode(id)));
  await settled(nodes, 3);
  const ids = Array.from({ length: 30 }, (_, i) => `k${i}`);
  await Promise.all(ids.map((id) => nodes[0]!.runtime.client.send('counter', id, { type: 'add', n: 1 })));
  const leaving = nodes[2]!;
  await leaving.broker.stop();
  brokers.splice(brokers.indexOf(leaving.broker), 1);
  await settled(nodes.slice(0, 2), 2);
  const results = await Promise.all(ids.map((id) => nodes[1]!.runtime.client.send<CounterCommand, CounterEffect>('counter', id, { type: 'add', n: 1 })));
  for (const r of results) {
    if (!r.ok) throw new Error(r.message);
    expect(r.effects[0]!.count).toBe(2);
    expect(['n1', 'n2']).toContain(r.effects[0]!.node);
  }
});

test('a node joining takes over ≈ 1/N of the actors; commands sent meanwhile are not lost or reordered', async () => {
  const nodes = await Promise.all(['n1', 'n2'].map((id) => startNode(id)));
  await settled(nodes, 2);
  const ids = Array.from({ length: 40 }, (_, i) => `j${i}`);
  // Two senders per actor, each sending its commands one after another (as a connection does),
  // while a third node joins and shards move to it.
  const sender = (via: ActorClient, id: string, ns: number[]) => ns.reduce<Promise<unknown>>((p, n) => p.then(() => via.send('counter', id, { type: 'add', n })), Promise.resolve());
  const sends = ids.flatMap((id) => [sender(nodes[0]!.runtime.client, id, [1, 2, 3]), sender(nodes[1]!.runtime.client, id, [4, 5, 6])]);
  const joiner = startNode('n3');
  await Promise.all(sends);
  const third = await joiner;
  await settled([...nodes, third], 3);
  const store = new ActorStore(db);
  for (const id of ids) {
    const snapshot = await store.load<Counter>('counter', id);
    expect(snapshot!.state.count).toBe(21);
    // Each sender's commands arrive in its own order (1,2,3 from n1; 4,5,6 from n2).
    const log = snapshot!.state.log;
    expect(log.filter((x) => x <= 3)).toEqual([1, 2, 3]);
    expect(log.filter((x) => x > 3)).toEqual([4, 5, 6]);
  }
  const moved = ids.filter((id) => ownerOfActor(id, ['n1', 'n2', 'n3'], SHARDS) === 'n3').length;
  expect(moved).toBeGreaterThan(0);
  expect(moved).toBeLessThan(ids.length * 0.6);
});

test('a non-owner answers with a redirect naming the owner', async () => {
  const nodes = await Promise.all(['n1', 'n2'].map((id) => startNode(id)));
  await settled(nodes, 2);
  const id = Array.from({ length: 50 }, (_, i) => `r${i}`).find((x) => ownerOfActor(x, ['n1', 'n2'], SHARDS) === 'n2')!;
  // n2 owns it; sent to n1 anyway (as by a caller whose view of the membership is stale):
  const error = await nodes[1]!.runtime.client.channel.send('n1', 'counter', id, { type: 'add', n: 1 }).catch((e: unknown) => e);
  expect(error).toMatchObject({ type: 'ACTOR_REDIRECT', retryable: true, data: { owner: 'n2' } });
});

test('a command to an actor of this node goes to its host directly: the same checks, answers and timeout as from another node, counted as a command but sent through no channel', async () => {
  const broker = new ServiceBroker({ namespace, nodeID: 'solo', transporter: 'Fake', logger: false, metrics: { enabled: true, reporter: null } });
  const client = new ActorClient(broker, { shardCount: SHARDS, attempts: 2, backoffMs: 10, requestTimeoutMs: 300 });
  const registry = new Registry();
  const hanging = new Set<string>();
  let release = (): void => undefined;
  const stuck = new Promise<void>((resolve) => (release = resolve));
  const kind: ActorKind<Counter, CounterCommand, CounterEffect> = {
    ...counterKind('solo', []),
    // An effect that does not end keeps the command from answering (and the next ones behind it waiting).
    runEffects: (actorId) => (hanging.has(actorId) ? stuck : Promise.resolve()),
  };
  new ActorRuntime(broker, client).host(kind, {
    store: new ActorStore(db),
    leases: new MemoryShardLeases(table, { nodeId: 'solo', ttlMs: 3_000, safetyMarginMs: 500 }),
    shardCount: SHARDS,
    metrics: createActorMetrics(registry),
  });
  // Another node, hosting nothing, to send the same commands from afar.
  const other = new ServiceBroker({ namespace, nodeID: 'other', transporter: 'Fake', logger: false });
  const remote = new ActorClient(other, { shardCount: SHARDS, attempts: 1, requestTimeoutMs: 300 });
  brokers.push(broker, other);
  await Promise.all([broker.start(), other.start()]);
  await waitFor('the host to hold its leases', async () => ((await client.send('counter', 'warm-up', { type: 'add', n: 0 })).ok ? true : undefined));
  await waitFor('the other node to see the host', async () => (remote.members('counter').length === 1 ? true : undefined));
  const emitted = () => broker.metrics.getMetric('moleculer.event.emit.total')?.snapshot().reduce((sum, v) => sum + Number((v as { value: number }).value), 0) ?? 0;
  const commands = async () => Number(/^kefu_actor_commands_total\{kind="counter"\} (\d+)$/m.exec(await registry.metrics())?.[1] ?? 0);

  expect(await client.send('counter', 'c1', { type: 'add', n: 2 })).toEqual({ ok: true, effects: [{ type: 'counted', count: 2, node: 'solo' }] });
  expect(await client.send('counter', 'c1', { type: 'add', n: 3 })).toEqual({ ok: true, effects: [{ type: 'counted', count: 5, node: 'solo' }] });
  expect(emitted()).toBe(0); // no answer went through the channel
  expect(await commands()).toBe(3); // the warm-up too

  // Bad arguments are refused alike, locally and from another node, and count as nothing.
  for (const [actorId, command] of [['', { type: 'add', n: 1 }], ['x'.repeat(192), { type: 'add', n: 1 }], ['c1', 'add'], ['c1', null], ['c1', [1]], [42, { type: 'add', n: 1 }]] as const) {
    await expect(client.send('counter', actorId as string, command)).rejects.toMatchObject({ type: 'VALIDATION_ERROR' });
    await expect(remote.send('counter', actorId as string, command)).rejects.toMatchObject({ type: 'VALIDATION_ERROR' });
  }
  expect(await commands()).toBe(3);
  expect(await remote.send('counter', 'c1', { type: 'add', n: 1 })).toEqual({ ok: true, effects: [{ type: 'counted', count: 6, node: 'solo' }] });
  expect(await commands()).toBe(4);
  expect(emitted()).toBeGreaterThan(0); // the answers to the other node

  // A command that does not answer in time is given up alike (retried, then unreachable).
  hanging.add('stuck');
  await expect(client.send('counter', 'stuck', { type: 'add', n: 1 })).rejects.toMatchObject({ type: 'ACTOR_UNREACHABLE', message: expect.stringContaining('REQUEST_TIMEOUT from solo') });
  await expect(remote.send('counter', 'stuck', { type: 'add', n: 1 })).rejects.toMatchObject({ type: 'ACTOR_UNREACHABLE', message: expect.stringContaining('REQUEST_TIMEOUT from solo') });
  release(); // (the node's stop waits for the commands in its mailboxes)
});

test('timers survive a move: an alarm set on one node rings on the new owner', async () => {
  const rung: string[] = [];
  const nodes = await Promise.all(['n1', 'n2'].map((id) => startNode(id, rung)));
  await settled(nodes, 2);
  const id = Array.from({ length: 50 }, (_, i) => `alarm-${i}`).find((x) => ownerOfActor(x, ['n1', 'n2'], SHARDS) === 'n2')!;
  await nodes[0]!.runtime.client.send('counter', id, { type: 'alarm', at: Date.now() + 1_500 });
  await nodes[1]!.broker.stop(); // the owner leaves before the alarm is due
  brokers.splice(brokers.indexOf(nodes[1]!.broker), 1);
  await settled([nodes[0]!], 1);
  const store = new ActorStore(db);
  const deadline = Date.now() + 10_000;
  let snapshot = await store.load<Counter>('counter', id);
  while (snapshot!.state.count !== 1000 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    snapshot = await store.load<Counter>('counter', id);
  }
  expect(snapshot!.state).toMatchObject({ count: 1000, alarmAt: null });
});

test('a paused former owner cannot commit: its late write is fenced and it drops the actor', async () => {
  // Two hosts of the same kind over the same store; placement is bypassed by giving each the
  // whole membership as itself, as a partitioned node would believe.
  const store = () => new ActorStore(db);
  let offset = 0;
  table.now = () => performance.now() + offset;
  const make = (nodeId: string) => {
    const ownership = new ShardOwnership({
      nodeId,
      shardCount: SHARDS,
      leases: new MemoryShardLeases(table, { nodeId, ttlMs: 60_000, safetyMarginMs: 1_000 }),
      renewEveryMs: 3_600_000,
      hooks: { gained: (s) => host.hooks.gained(s), handingOver: (s) => host.hooks.handingOver(s), lost: (s) => host.hooks.lost(s) },
    });
    const host: ActorHost<Counter, CounterCommand, CounterEffect> = new ActorHost({ definition: counterKind(nodeId, []), store: store(), ownership });
    return { host, ownership };
  };
  const a = make('a');
  await a.ownership.start(['a']);
  expect(await a.host.deliver('x', { type: 'add', n: 1 })).toMatchObject({ ok: true });

  // "a" is paused; meanwhile its lease expires at the store and "b" takes the shard over.
  offset += 61_000;
  const b = make('b');
  await b.ownership.start(['b']);
  expect(await b.host.deliver('x', { type: 'add', n: 10 })).toMatchObject({ ok: true, effects: [{ count: 11 }] });

  // "a" wakes up still believing its lease is live (its own deadline has not passed on its clock).
  offset -= 61_000;
  await expect(a.host.deliver('x', { type: 'add', n: 100 })).rejects.toMatchObject({ type: 'ACTOR_FENCED' });
  expect(a.ownership.leaseFor(shardOf('x', SHARDS))).toBeNull();
  expect(a.host.activeCount).toBe(0);
  expect(await store().load('counter', 'x')).toMatchObject({ state: { count: 11, log: [1, 10] } });
  await Promise.all([a.ownership.stop(), b.ownership.stop()]);
});

test('idle actors are passivated (and counted) unless their kind keeps them: commit listeners see every committed change', async () => {
  const registry = new Registry();
  const metrics = createActorMetrics(registry);
  // Counters at 5 or more are "live": kept in memory however idle.
  const definition: ActorKind<Counter, CounterCommand, CounterEffect> = { ...counterKind('solo', []), keepActive: (s) => s.count >= 5 };
  const { host, ownership } = await soloHost('solo', definition, { passivateAfterMs: 100, metrics });
  const seen: string[] = [];
  host.onCommitted((id, before, after, command) => seen.push(`${id}:${before.count}->${after.count}:${command.type}`));
  host.start();
  await host.deliver('idle', { type: 'add', n: 1 });
  await host.deliver('live', { type: 'add', n: 7 });
  await host.deliver('idle', { type: 'bad' }); // rejected: nothing committed, nothing told
  expect(seen).toEqual(['idle:0->1:add', 'live:0->7:add']);
  await waitFor('the idle actor to be passivated', async () => (host.activeCount === 1 ? true : undefined), 10_000);
  expect([...host.states()].map((s) => s.count)).toEqual([7]);
  const text = await registry.metrics();
  expect(text).toMatch(/^kefu_actor_passivations_total\{kind="counter"\} 1$/m);
  host.stop();
  await ownership.stop();
});

describe('the outbox: effects other actors rely on are carried out even if the owner dies after the commit', () => {
  type Tally = { readonly tenantId: string; readonly count: number };
  type Notice = { readonly type: 'notice'; readonly count: number };
  type Key = (e: Notice) => string;
  const tallyKind = (notify: (e: Notice) => Promise<void>, key: Key): ActorKind<Tally, { type: 'add'; n: number }, Notice> => ({
    kind: 'tally',
    initial: () => ({ tenantId: 't1', count: 0 }),
    decide: (s, c) => accept({ ...s, count: s.count + c.n }, [{ type: 'notice', count: s.count + c.n }]),
    tenantOf: (s) => s.tenantId,
    timers: () => [],
    outboxKey: key,
    runEffects: async (_id, effects) => {
      for (const e of effects) await notify(e);
    },
  });
  let offset = 0;
  const hostOn = (nodeId: string, notify: (e: Notice) => Promise<void>, key: Key = (e) => `notice:${e.count}`) => soloHost(nodeId, tallyKind(notify, key));
  beforeEach(() => {
    offset = 0;
    table.now = () => performance.now() + offset;
  });

  test('a send that fails is retried while the actor stays here, until it is carried out', async () => {
    const delivered: number[] = [];
    let failures = 2;
    const a = await hostOn('a', async (e) => {
      if (failures-- > 0) throw new Error('queue unreachable');
      delivered.push(e.count);
    });
    expect(await a.host.deliver('x', { type: 'add', n: 1 })).toMatchObject({ ok: true });
    await waitFor('the notice to get through on the third try', async () => (delivered.length > 0 ? true : undefined), 10_000);
    expect(delivered).toEqual([1]);
    await a.ownership.stop();
  });

  test('a new owner carries out what the previous owner committed but never sent', async () => {
    // "a" commits, then dies before its send gets anywhere.
    const a = await hostOn('a', () => new Promise<void>(() => undefined));
    expect(await a.host.deliver('x', { type: 'add', n: 1 })).toMatchObject({ ok: true });
    expect(await new ActorStore(db).load('tally', 'x')).toMatchObject({ outbox: [{ type: 'notice', count: 1 }] });

    offset += 61_000; // a's lease lapses; b takes the shard over
    const delivered: number[] = [];
    const b = await hostOn('b', async (e) => {
      delivered.push(e.count);
    });
    expect(await b.host.deliver('x', { type: 'add', n: 10 })).toMatchObject({ ok: true });
    await waitFor('both notices to arrive from b', async () => (delivered.length === 2 ? true : undefined), 5_000);
    expect(delivered.sort((x, y) => x - y)).toEqual([1, 11]);
    await Promise.all([a.ownership.stop(), b.ownership.stop()]);
  });

  test('a newer effect with the same outbox key replaces the one still waiting', async () => {
    const stuck = () => new Promise<void>(() => undefined); // nothing gets through
    const distinct = await hostOn('a', stuck);
    for (const n of [1, 2, 4]) await distinct.host.deliver('y', { type: 'add', n });
    expect((await new ActorStore(db).load('tally', 'y'))!.outbox).toEqual([1, 3, 7].map((count) => ({ type: 'notice', count })));
    await distinct.ownership.stop();

    const latestOnly = await hostOn('a', stuck, () => 'notice');
    for (const n of [1, 2, 4]) await latestOnly.host.deliver('z', { type: 'add', n });
    expect((await new ActorStore(db).load('tally', 'z'))!.outbox).toEqual([{ type: 'notice', count: 7 }]);
    await latestOnly.ownership.stop();
  });
});

describe('an external message log (Kafka in cluster mode): nothing is answered before the log confirmed it', () => {
  type Chat = { readonly tenantId: string; readonly lastSeq: number };
  type Said = { readonly type: 'said'; readonly message: LoggedMessage };
  /** The appends a host made, in order; fails the next `failures` appends (the broker is down). */
  class RecordingLog implements ExternalMessageLog {
    readonly appended: { entries: readonly LogEntry[]; owner: LogOwner }[] = [];
    failures = 0;
    async append(entries: readonly LogEntry[], owner: LogOwner): Promise<void> {
      if (this.failures > 0) {
        this.failures--;
        throw new LogUnavailableError(new Error('broker down'));
      }
      this.appended.push({ entries, owner });
    }
  }
  const pushed: { actorId: string; seqs: number[] }[] = [];
  const chatKind: ActorKind<Chat, { type: 'say'; text: string }, Said> = {
    kind: 'chat',
    initial: () => ({ tenantId: 't1', lastSeq: 0 }),
    decide: (s, c, now) => {
      const message: LoggedMessage = { tenantId: 't1', conversationId: 'x', seq: s.lastSeq + 1, clientMsgId: c.text, from: { kind: 'visitor' }, visibility: 'public', text: c.text, at: now };
      return accept({ ...s, lastSeq: s.lastSeq + 1 }, [{ type: 'said', message }]);
    },
    tenantOf: (s) => s.tenantId,
    timers: () => [],
    runEffects: async () => undefined,
    journal: (effects) => effects.map((e) => e.message),
    logClaim: (s, now) => ({ type: 'claim', tenantId: s.tenantId, conversationId: 'x', lastSeq: s.lastSeq, at: now }),
    logged: (actorId, messages) => void pushed.push({ actorId, seqs: messages.map((m) => m.seq) }),
  };
  let offset = 0;
  const hostOn = (nodeId: string, log: RecordingLog, passivateAfterMs?: number) => soloHost(nodeId, chatKind, { log, ...(passivateAfterMs ? { passivateAfterMs } : {}) });
  const texts = (log: RecordingLog) => log.appended.map((a) => a.entries.map((e) => (e.type === 'message' ? `${e.message.seq}:${e.message.text}` : `claim@${e.lastSeq}`)));
  beforeEach(() => {
    offset = 0;
    pushed.length = 0;
    table.now = () => performance.now() + offset;
  });

  test('messages go to the log after the snapshot, with the owner’s epoch, not into the database’s message table', async () => {
    const log = new RecordingLog();
    const a = await hostOn('a', log);
    expect(await a.host.deliver('x', { type: 'say', text: 'hello' })).toMatchObject({ ok: true });
    expect(texts(log)).toEqual([['1:hello']]);
    expect(log.appended[0]!.owner).toEqual({ shard: shardOf('x', SHARDS), epoch: a.ownership.leaseFor(shardOf('x', SHARDS))!.epoch });
    const snapshot = await new ActorStore(db).load<Chat>('chat', 'x');
    expect(snapshot).toMatchObject({ state: { lastSeq: 1 }, unlogged: [{ seq: 1, text: 'hello' }] });
    expect(await new SqlMessageLog(db).read('x', 0, { limit: 10, publicOnly: false, through: 1 })).toEqual([]);
    await a.ownership.stop();
  });

  test('an append the log refuses answers a retryable error; the message is appended (and pushed) before the next answer', async () => {
    const log = new RecordingLog();
    const a = await hostOn('a', log);
    log.failures = 1;
    await expect(a.host.deliver('x', { type: 'say', text: 'lost?' })).rejects.toMatchObject({ type: 'ACTOR_LOG_UNAVAILABLE', retryable: true });
    expect(a.host.activeCount).toBe(0);
    expect(log.appended).toEqual([]);
    // The broker is back: the next command first appends what the snapshot holds unconfirmed.
    expect(await a.host.deliver('x', { type: 'say', text: 'next' })).toMatchObject({ ok: true, effects: [{ message: { seq: 2 } }] });
    expect(texts(log)).toEqual([['1:lost?'], ['2:next']]);
    expect(pushed).toEqual([{ actorId: 'x', seqs: [1] }]);
    await a.ownership.stop();
  });

  test('an idle actor is passivated without its confirmed messages, so its next activation appends nothing again', async () => {
    const log = new RecordingLog();
    const a = await hostOn('a', log, 100);
    a.host.start();
    await a.host.deliver('x', { type: 'say', text: 'last words' });
    expect(await new ActorStore(db).load('chat', 'x')).toMatchObject({ unlogged: [{ seq: 1 }] });
    await waitFor('the actor to be passivated', async () => (a.host.activeCount === 0 ? true : undefined), 10_000);
    expect(await new ActorStore(db).load('chat', 'x')).toMatchObject({ state: { lastSeq: 1 }, unlogged: [] });
    await a.host.deliver('x', { type: 'say', text: 'back' });
    expect(texts(log)).toEqual([['1:last words'], ['2:back']]);
    expect(pushed).toEqual([]);
    a.host.stop();
    await a.ownership.stop();
  });

  test('a new owner claims the conversation at its last seq and re-appends what its predecessor left unconfirmed', async () => {
    const logA = new RecordingLog();
    const a = await hostOn('a', logA);
    await a.host.deliver('x', { type: 'say', text: 'one' });
    logA.failures = 1;
    await expect(a.host.deliver('x', { type: 'say', text: 'two' })).rejects.toMatchObject({ type: 'ACTOR_LOG_UNAVAILABLE' });
    await a.ownership.stop();

    offset += 61_000; // a's lease has run out
    const logB = new RecordingLog();
    const b = await hostOn('b', logB);
    expect(await b.host.deliver('x', { type: 'say', text: 'three' })).toMatchObject({ ok: true, effects: [{ message: { seq: 3 } }] });
    expect(texts(logB)).toEqual([['claim@2', '2:two'], ['3:three']]);
    const epochB = b.ownership.leaseFor(shardOf('x', SHARDS))!.epoch;
    expect(logB.appended.every((x) => x.owner.epoch === epochB)).toBe(true);
    expect(epochB).toBeGreaterThan(logA.appended[0]!.owner.epoch);
    await b.ownership.stop();
  });
});
