import { MemoryLeaseTable, MemoryShardLeases } from './shard-leases.memory.ts';
import { shardLeasesContract } from './shard-leases.contract.ts';

describe('memory shard leases keep the contract', () => {
  shardLeasesContract(async () => {
    const table = new MemoryLeaseTable();
    let offset = 0;
    table.now = () => performance.now() + offset;
    const ttlMs = 6_000;
    return {
      a: new MemoryShardLeases(table, { nodeId: 'a', ttlMs }),
      b: new MemoryShardLeases(table, { nodeId: 'b', ttlMs }),
      ttlMs,
      expireAll: async () => {
        offset += ttlMs + 1;
      },
      close: async () => undefined,
    };
  });
});

test('a restarted embedded node (a new table) grants epochs above every epoch the previous one granted', async () => {
  let wall = 1_795_000_000_000_000;
  const first = new MemoryLeaseTable();
  first.wallClockMicros = () => wall;
  let offset = 0;
  first.now = () => performance.now() + offset;
  const before = new MemoryShardLeases(first, { nodeId: 'n', ttlMs: 1_000 });
  await before.acquire([3]);
  offset += 2_000; // the lease lapsed (a long pause) and was taken again: a second epoch in the same microsecond
  const [again] = await before.acquire([3]);
  wall += 5_000; // the restart, 5 ms later
  const second = new MemoryLeaseTable();
  second.wallClockMicros = () => wall;
  const [afterRestart] = await new MemoryShardLeases(second, { nodeId: 'n' }).acquire([3]);
  expect(afterRestart!.epoch).toBeGreaterThan(again!.epoch);
});
