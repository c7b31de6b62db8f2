/**
 * Shard leases in Redis (cluster mode). Each shard has two keys:
 *
 *   <prefix>:lease:<shard>   hash {holder, epoch}, expiring after the lease TTL
 *   <prefix>:epoch:<shard>   the newest epoch issued (never expires)
 *
 * Every operation is one Lua script, so check-and-set is atomic in Redis. A new holder's epoch is
 * max(newest epoch + 1, Redis server time in µs): it increases even if Redis lost its data (a
 * restart without persistence), because it follows Redis's own clock rather than a counter that
 * would restart from zero. Microseconds, not milliseconds: a shard released and taken again
 * within one millisecond of the data loss must still get a higher epoch, and no two round trips
 * to Redis fit in one microsecond. (≈ 1.8e15 today: exact in a double and a BIGINT until the year
 * 2255.) See docs/cluster.md for the failure cases.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DEFAULT_LEASE_OPTIONS, type Lease, type LeaseOptions, type ShardLeases } from './shard-leases.ts';

const ACQUIRE = `
local holder = redis.call('HGET', KEYS[1], 'holder')
if holder and holder ~= ARGV[1] then return {0, 0} end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, tonumber(redis.call('HGET', KEYS[1], 'epoch'))}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local newest = tonumber(redis.call('GET', KEYS[2]) or '0')
local epoch = math.max(newest + 1, now)
redis.call('SET', KEYS[2], string.format('%d', epoch))
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'epoch', string.format('%d', epoch))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, epoch}
`;

const RENEW = `
if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] and redis.call('HGET', KEYS[1], 'epoch') == ARGV[3] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

const RELEASE = `
if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] and redis.call('HGET', KEYS[1], 'epoch') == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

export class RedisShardLeases implements ShardLeases {
  readonly holder: string;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #options: LeaseOptions;

  constructor(redis: Redis, options: { prefix: string; nodeId: string } & Partial<LeaseOptions>) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#options = { ...DEFAULT_LEASE_OPTIONS, ...options };
    this.holder = `${options.nodeId}#${randomBytes(6).toString('hex')}`;
  }

  #keys(shard: number): [string, string] {
    return [`${this.#prefix}:lease:${shard}`, `${this.#prefix}:epoch:${shard}`];
  }

  #deadline(sentAt: number): number {
    return sentAt + this.#options.ttlMs - this.#options.safetyMarginMs;
  }

  async acquire(shards: readonly number[]): Promise<Lease[]> {
    const sentAt = performance.now();
    const pipeline = this.#redis.pipeline();
    for (const shard of shards) pipeline.eval(ACQUIRE, 2, ...this.#keys(shard), this.holder, String(this.#options.ttlMs));
    const replies = (await pipeline.exec()) ?? [];
    const deadline = this.#deadline(sentAt);
    const granted: Lease[] = [];
    replies.forEach(([error, reply], i) => {
      if (error) throw error;
      const [ok, epoch] = reply as [number, number];
      if (ok === 1) granted.push({ shard: shards[i]!, epoch, deadline });
    });
    return granted;
  }

  async renew(leases: readonly Lease[]): Promise<Lease[]> {
    const sentAt = performance.now();
    const pipeline = this.#redis.pipeline();
    for (const lease of leases) pipeline.eval(RENEW, 2, ...this.#keys(lease.shard), this.holder, String(this.#options.ttlMs), String(lease.epoch));
    const replies = (await pipeline.exec()) ?? [];
    const deadline = this.#deadline(sentAt);
    const kept: Lease[] = [];
    replies.forEach(([error, reply], i) => {
      if (error) throw error;
      if (reply === 1) kept.push({ ...leases[i]!, deadline });
    });
    return kept;
  }

  async release(leases: readonly Lease[]): Promise<void> {
    if (leases.length === 0) return;
    const pipeline = this.#redis.pipeline();
    for (const lease of leases) pipeline.eval(RELEASE, 2, ...this.#keys(lease.shard), this.holder, String(lease.epoch));
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }

  async currentEpoch(shard: number): Promise<number> {
    return Number((await this.#redis.get(this.#keys(shard)[1])) ?? 0);
  }
}
