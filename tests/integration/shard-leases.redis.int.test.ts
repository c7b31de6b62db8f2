/** The shard-lease contract against the real Redis started by cluster/infra, plus Redis data loss. */
import { Redis } from 'ioredis';
import { localInfraEnv } from '../../cluster/local-infra.ts';
import { shardLeasesContract } from '../../cluster/shard-leases.contract.ts';
import { RedisShardLeases } from '../../cluster/shard-leases.redis.ts';
import { uniqueName, waitFor } from '../support.ts';

const TTL_MS = 400;

function world() {
  const prefix = uniqueName('kefu-test:leases');
  const redis = new Redis(localInfraEnv().KEFU_REDIS_URL);
  const a = new RedisShardLeases(redis, { prefix, nodeId: 'a', ttlMs: TTL_MS, safetyMarginMs: 100 });
  const b = new RedisShardLeases(redis, { prefix, nodeId: 'b', ttlMs: TTL_MS, safetyMarginMs: 100 });
  // Real expiry in Redis: wait until no lease key of this test is left (an observable condition).
  const expireAll = async (): Promise<void> => {
    await waitFor(`the leases under ${prefix} to expire`, async () => ((await redis.keys(`${prefix}:lease:*`)).length === 0 ? true : undefined), 10 * TTL_MS);
  };
  const cleanup = async (): Promise<void> => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  };
  return { prefix, redis, a, b, expireAll, cleanup };
}

describe('Redis shard leases keep the contract', () => {
  shardLeasesContract(async () => {
    const w = world();
    return { a: w.a, b: w.b, ttlMs: TTL_MS, expireAll: w.expireAll, close: w.cleanup };
  });
});

test('epochs keep increasing even after Redis lost its data (restart without persistence)', async () => {
  const w = world();
  try {
    const [first] = await w.a.acquire([1]);
    await w.a.release([first!]);
    const keys = await w.redis.keys(`${w.prefix}:*`);
    await w.redis.del(...keys); // what a Redis restart without persistence leaves: nothing
    expect(await w.b.currentEpoch(1)).toBe(0);
    const [second] = await w.b.acquire([1]);
    expect(second!.epoch).toBeGreaterThan(first!.epoch);
  } finally {
    await w.cleanup();
  }
});

test('two holders racing for the same shards: each shard goes to exactly one', async () => {
  const w = world();
  try {
    const shards = Array.from({ length: 64 }, (_, i) => i);
    const [mine, theirs] = await Promise.all([w.a.acquire(shards), w.b.acquire(shards)]);
    const owners = new Map<number, number>();
    for (const l of [...mine, ...theirs]) owners.set(l.shard, (owners.get(l.shard) ?? 0) + 1);
    expect(owners.size).toBe(64);
    expect([...owners.values()].every((n) => n === 1)).toBe(true);
  } finally {
    await w.cleanup();
  }
});
