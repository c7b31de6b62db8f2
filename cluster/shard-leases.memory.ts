/**
 * Shard leases in process memory (embedded mode, and several brokers in one test process). Same
 * contract as the Redis implementation: one holder per shard at a time, epochs strictly increase
 * with every change of holder, leases expire unless renewed. Shared between holders by passing the
 * same `MemoryLeaseTable`.
 *
 * The table is gone when the process ends, but snapshots keep the epochs they were written with: a
 * restarted embedded node must not start below them (its writes would all be fenced). So, as in
 * Redis after a data loss, a new epoch is at least the wall clock in microseconds.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_LEASE_OPTIONS, type Lease, type LeaseOptions, type ShardLeases } from './shard-leases.ts';

/** The shared "store": what Redis is to the cluster implementation. */
export class MemoryLeaseTable {
  readonly leases = new Map<number, { holder: string; epoch: number; expiresAt: number }>();
  readonly epochs = new Map<number, number>();
  /** The table's clock (monotonic); tests may replace it to expire leases without waiting. */
  now: () => number = () => performance.now();
  /** The floor of new epochs, in µs since the Unix epoch (see the module comment). */
  wallClockMicros: () => number = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

export class MemoryShardLeases implements ShardLeases {
  readonly holder: string;
  readonly #table: MemoryLeaseTable;
  readonly #options: LeaseOptions;

  constructor(table: MemoryLeaseTable, options: { nodeId: string } & Partial<LeaseOptions>) {
    this.#table = table;
    this.#options = { ...DEFAULT_LEASE_OPTIONS, ...options };
    this.holder = `${options.nodeId}#${randomBytes(6).toString('hex')}`;
  }

  #held(shard: number) {
    const lease = this.#table.leases.get(shard);
    return lease && lease.expiresAt > this.#table.now() ? lease : undefined;
  }

  async acquire(shards: readonly number[]): Promise<Lease[]> {
    const now = this.#table.now();
    const deadline = now + this.#options.ttlMs - this.#options.safetyMarginMs;
    const granted: Lease[] = [];
    for (const shard of shards) {
      const held = this.#held(shard);
      if (held && held.holder !== this.holder) continue;
      const epoch = held ? held.epoch : Math.max((this.#table.epochs.get(shard) ?? 0) + 1, this.#table.wallClockMicros());
      this.#table.epochs.set(shard, epoch);
      this.#table.leases.set(shard, { holder: this.holder, epoch, expiresAt: now + this.#options.ttlMs });
      granted.push({ shard, epoch, deadline });
    }
    return granted;
  }

  async renew(leases: readonly Lease[]): Promise<Lease[]> {
    const now = this.#table.now();
    const kept: Lease[] = [];
    for (const lease of leases) {
      const held = this.#held(lease.shard);
      if (!held || held.holder !== this.holder || held.epoch !== lease.epoch) continue;
      held.expiresAt = now + this.#options.ttlMs;
      kept.push({ ...lease, deadline: now + this.#options.ttlMs - this.#options.safetyMarginMs });
    }
    return kept;
  }

  async release(leases: readonly Lease[]): Promise<void> {
    for (const lease of leases) {
      const held = this.#table.leases.get(lease.shard);
      if (held?.holder === this.holder && held.epoch === lease.epoch) this.#table.leases.delete(lease.shard);
    }
  }

  async currentEpoch(shard: number): Promise<number> {
    return this.#table.epochs.get(shard) ?? 0;
  }
}
