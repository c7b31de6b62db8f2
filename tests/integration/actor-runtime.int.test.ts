/**
 * The actor runtime on the real parts: three brokers over NATS, shard leases in Redis, snapshots in
 * MariaDB. A node that dies without handing over (its leases are left to expire, as after a crash)
 * loses its shards to the survivors, and every actor continues with its state.
 */
import { Redis } from 'ioredis';
import { ServiceBroker } from 'moleculer';
import { ActorClient, ActorRuntime } from '../../cluster/actor-runtime.ts';
import { ActorStore } from '../../cluster/actor-store.ts';
import { migrateDatabase, openDatabase, type Database } from '../../cluster/database.ts';
import { localInfraEnv, scratchMysqlDatabase } from '../../cluster/local-infra.ts';
import { ownerOfActor } from '../../cluster/placement.ts';
import { RedisShardLeases } from '../../cluster/shard-leases.redis.ts';
import type { Lease } from '../../cluster/shard-leases.ts';
import { counterKind, type CounterCommand, type CounterEffect } from '../counter-kind.ts';
import { uniqueName, waitFor } from '../support.ts';

const infra = localInfraEnv();
const namespace = uniqueName('kefu-test-rt');
const brokers: ServiceBroker[] = [];
const redis = new Redis(infra.KEFU_REDIS_URL);
let scratch: { url: string; drop(): Promise<void> };
let db: Database;

async function startNode(nodeID: string, options: { crashLike?: boolean } = {}) {
  const broker = new ServiceBroker({
    namespace,
    nodeID,
    transporter: { type: 'NATS', options: { url: infra.KEFU_TRANSPORTER } },
    logger: false,
    heartbeatInterval: 1,
    heartbeatTimeout: 3,
  });
  const client = new ActorClient(broker, { attempts: 30, backoffMs: 50 });
  const runtime = new ActorRuntime(broker, client);
  const leases = new RedisShardLeases(redis, { prefix: `${namespace}:leases`, nodeId: nodeID, ttlMs: 3_000, safetyMarginMs: 500 });
  // A crashed process never releases anything: its leases stay until they expire in Redis.
  if (options.crashLike) leases.release = async (_leases: readonly Lease[]) => undefined;
  runtime.host(counterKind(nodeID, []), { store: new ActorStore(db), leases, renewEveryMs: 1_000, leaseWaitMs: 8_000 });
  brokers.push(broker);
  await broker.start();
  return { broker, runtime };
}

beforeAll(async () => {
  scratch = await scratchMysqlDatabase('kefu_test');
  db = await openDatabase({ dialect: 'mysql', url: scratch.url });
  await migrateDatabase(db);
});
afterAll(async () => {
  await Promise.all(brokers.map((b) => b.stop()));
  const keys = await redis.keys(`${namespace}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await db.close();
  await scratch.drop();
});

test('actors survive the loss of their owner node: leases expire, survivors take over, no increment lost', async () => {
  const nodes = [await startNode('n1'), await startNode('n2'), await startNode('n3', { crashLike: true })];
  await waitFor('three nodes hosting counters', async () => (nodes.every((n) => n.runtime.client.members('counter').length === 3) ? true : undefined), 20_000);
  const ids = Array.from({ length: 30 }, (_, i) => `c${i}`);
  for (const id of ids) {
    const r = await nodes[0]!.runtime.client.send<CounterCommand, CounterEffect>('counter', id, { type: 'add', n: 1 });
    expect(r).toMatchObject({ ok: true, effects: [{ count: 1 }] });
  }
  const onN3 = ids.filter((id) => ownerOfActor(id, ['n1', 'n2', 'n3']) === 'n3');
  expect(onN3.length).toBeGreaterThan(0);

  await nodes[2]!.broker.stop();
  const results = await Promise.all(ids.map((id) => nodes[1]!.runtime.client.send<CounterCommand, CounterEffect>('counter', id, { type: 'add', n: 1 })));
  for (const r of results) {
    if (!r.ok) throw new Error(r.message);
    expect(r.effects[0]!.count).toBe(2);
    expect(['n1', 'n2']).toContain(r.effects[0]!.node);
  }
  // (The survivors had to wait for the dead node's leases to expire in Redis first; how long that
  // takes is measured by the failover benchmark, not asserted here.)
  const store = new ActorStore(db);
  for (const id of onN3) expect(await store.load('counter', id)).toMatchObject({ state: { count: 2, log: [1, 1] } });
});
