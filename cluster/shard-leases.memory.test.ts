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
