/**
 * Shard leases with fencing epochs: the port, shared by its two implementations
 * (`shard-leases.memory.ts` for embedded mode, `shard-leases.redis.ts` for cluster mode).
 *
 * Guarantee: at any instant at most one holder has an unexpired lease on a shard, and every new
 * holder gets a strictly higher epoch than any earlier holder of that shard. A holder may act for
 * the shard only before its lease `deadline` — measured on the holder's own monotonic clock from the
 * moment it *sent* the acquire or renew request, minus a safety margin — so a process that was
 * paused anywhere in between never acts on a lease that may already belong to someone else. Durable
 * commits carry the epoch, so a late write from a former holder is recognisable and rejected.
 */

export type Lease = {
  readonly shard: number;
  /** Fencing token: strictly increases with every change of holder. */
  readonly epoch: number;
  /** Monotonic time (performance.now() of this process) until which the holder may act. */
  readonly deadline: number;
};

export type LeaseOptions = {
  /** How long a lease lives at the store without renewal. */
  readonly ttlMs: number;
  /** Subtracted from the holder's deadline to absorb clock-rate differences and latency. */
  readonly safetyMarginMs: number;
};

/**
 * A 3 s TTL renewed every second: a dead node's shards are free 2–3 s after its last renewal —
 * before its death is even detected (failure-detection.ts). The 0.5 s margin absorbs clock-rate
 * differences and store latency.
 */
export const DEFAULT_LEASE_OPTIONS: LeaseOptions = { ttlMs: 3_000, safetyMarginMs: 500 };
export const DEFAULT_RENEW_EVERY_MS = 1_000;

export interface ShardLeases {
  /** This holder's identity: node id plus a random incarnation, so a restarted node is a new holder. */
  readonly holder: string;
  /**
   * Acquires (or renews, keeping the epoch) a lease on each shard that is free or already ours.
   * Returns the leases granted; shards held by someone else are left out.
   */
  acquire(shards: readonly number[]): Promise<Lease[]>;
  /** Renews leases we hold; returns those still ours (a lost one is simply missing). */
  renew(leases: readonly Lease[]): Promise<Lease[]>;
  /** Gives leases up at once (clean hand-off), if still ours. */
  release(leases: readonly Lease[]): Promise<void>;
  /** The newest epoch issued for a shard (0 if none yet): what a commit point compares against. */
  currentEpoch(shard: number): Promise<number>;
}

/** Whether a lease may still be acted on now (monotonic clock). */
export const isLive = (lease: Lease, now: number = performance.now()): boolean => now < lease.deadline;
