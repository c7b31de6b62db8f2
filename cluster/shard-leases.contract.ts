/**
 * The contract every ShardLeases implementation must keep, as a reusable jest suite: the memory
 * implementation runs it in the unit tests, the Redis one against the real Redis in the
 * integration tests.
 */
import { isLive, type ShardLeases } from './shard-leases.ts';

export type LeaseWorld = {
  /** Two holders competing for the same shards (two nodes). */
  readonly a: ShardLeases;
  readonly b: ShardLeases;
  readonly ttlMs: number;
  /** Lets every current lease run out (real time for Redis, a clock jump for memory). */
  expireAll(): Promise<void>;
  close(): Promise<void>;
};

export function shardLeasesContract(make: () => Promise<LeaseWorld>): void {
  let w: LeaseWorld;
  beforeEach(async () => {
    w = await make();
  });
  afterEach(async () => {
    await w.close();
  });

  test('a free shard is granted; a held one is refused to anyone else', async () => {
    const mine = await w.a.acquire([1, 2]);
    expect(mine.map((l) => l.shard)).toEqual([1, 2]);
    expect(await w.b.acquire([2, 3])).toEqual([expect.objectContaining({ shard: 3 })]);
  });

  test('renewing, or acquiring again, keeps the epoch; the deadline is within ttl minus margin', async () => {
    const before = performance.now();
    const [lease] = await w.a.acquire([7]);
    expect(lease!.deadline).toBeLessThan(before + w.ttlMs + 1);
    expect(isLive(lease!)).toBe(true);
    const [renewed] = await w.a.renew([lease!]);
    expect(renewed!.epoch).toBe(lease!.epoch);
    const [again] = await w.a.acquire([7]);
    expect(again!.epoch).toBe(lease!.epoch);
    expect(await w.a.currentEpoch(7)).toBe(lease!.epoch);
  });

  test('after expiry the next holder gets a higher epoch, and the former one cannot renew', async () => {
    const [first] = await w.a.acquire([4]);
    await w.expireAll();
    const [second] = await w.b.acquire([4]);
    expect(second!.epoch).toBeGreaterThan(first!.epoch);
    expect(await w.a.renew([first!])).toEqual([]);
    expect(await w.b.currentEpoch(4)).toBe(second!.epoch);
  });

  test('a released shard is free at once, with a higher epoch for the next holder', async () => {
    const [first] = await w.a.acquire([5]);
    expect(await w.b.acquire([5])).toEqual([]);
    await w.a.release([first!]);
    const [second] = await w.b.acquire([5]);
    expect(second!.epoch).toBeGreaterThan(first!.epoch);
  });

  test('releasing or renewing a lease that is no longer ours changes nothing', async () => {
    const [first] = await w.a.acquire([6]);
    await w.expireAll();
    const [second] = await w.b.acquire([6]);
    await w.a.release([first!]);
    expect(await w.a.acquire([6])).toEqual([]);
    expect(await w.b.renew([second!])).toEqual([expect.objectContaining({ shard: 6, epoch: second!.epoch })]);
  });
}
