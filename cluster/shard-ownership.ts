/**
 * Which shards of one actor kind this node owns, kept true over time.
 *
 * From the current membership (the live nodes hosting the kind), placement says which shards this
 * node should own. Ownership acquires leases on those, renews them every `renewEveryMs`, and gives
 * up the shards it should no longer own — after the host has passivated their actors, so the next
 * owner activates them from durable state. A shard whose lease could not be renewed is lost at
 * once: the host drops its actors without writing anything.
 *
 * A command for a shard this node should own but has not acquired yet (its former owner is still
 * handing it over) waits for the lease (`awaitLease`) instead of bouncing between nodes.
 */
import { assignment } from './placement.ts';
import { isLive, type Lease, type ShardLeases } from './shard-leases.ts';

export type OwnershipHooks = {
  /** Shards this node now owns (leases just acquired): re-arm their actors' timers. */
  gained(shards: readonly number[]): Promise<void> | void;
  /** Shards to hand over: passivate their actors (flush nothing: every commit is already durable). */
  handingOver(shards: readonly number[]): Promise<void> | void;
  /** Shards whose lease was lost (not renewed in time): drop their actors at once. */
  lost(shards: readonly number[]): void;
};

export class ShardOwnership {
  readonly nodeId: string;
  readonly shardCount: number;
  readonly #leases: ShardLeases;
  readonly #hooks: OwnershipHooks;
  readonly #renewEveryMs: number;
  readonly #held = new Map<number, Lease>();
  readonly #waiters = new Map<number, (() => void)[]>();
  #members: readonly string[] = [];
  #timer: NodeJS.Timeout | null = null;
  #retry: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(options: { nodeId: string; shardCount: number; leases: ShardLeases; hooks: OwnershipHooks; renewEveryMs: number }) {
    this.nodeId = options.nodeId;
    this.shardCount = options.shardCount;
    this.#leases = options.leases;
    this.#hooks = options.hooks;
    this.#renewEveryMs = options.renewEveryMs;
  }

  /** Starts the renewal loop with the initial membership. */
  async start(members: readonly string[]): Promise<void> {
    this.#members = members;
    await this.rebalance();
    this.#timer = setInterval(() => void this.rebalance(), this.#renewEveryMs);
  }

  /** Membership changed (a node joined or left): rebalance now. */
  setMembers(members: readonly string[]): Promise<void> {
    this.#members = members;
    return this.rebalance();
  }

  get members(): readonly string[] {
    return this.#members;
  }

  /** The live lease on a shard, if this node holds one. */
  leaseFor(shard: number): Lease | null {
    const lease = this.#held.get(shard);
    return lease && isLive(lease) ? lease : null;
  }

  /** Shards this node holds live leases on. */
  get heldShards(): number[] {
    return [...this.#held.keys()].filter((s) => this.leaseFor(s) !== null);
  }

  /** Resolves with the lease once held (acquired, or renewed in time), or null after `timeoutMs` (or when the node stops). */
  async awaitLease(shard: number, timeoutMs: number): Promise<Lease | null> {
    const now = this.leaseFor(shard);
    if (now || this.#stopped) return now;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve(this.leaseFor(shard));
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.set(shard, [...(this.#waiters.get(shard) ?? []), done]);
    });
  }

  /** A commit found this shard's epoch superseded: the lease is gone, whatever its deadline said. */
  fenced(shard: number): void {
    if (!this.#held.delete(shard)) return;
    this.#hooks.lost([shard]);
  }

  /** One rebalance at a time; a request during a run schedules exactly one more. */
  rebalance(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#rebalanceOnce();
        } while (this.#again && !this.#stopped);
      } finally {
        this.#running = null;
      }
    })();
    return this.#running;
  }

  async #rebalanceOnce(): Promise<void> {
    if (this.#stopped) return;
    const owners = assignment(this.#members, this.shardCount);
    const mine = owners.flatMap((owner, shard) => (owner === this.nodeId ? [shard] : []));

    // Renew what we hold; whatever did not renew is lost.
    const held = [...this.#held.values()];
    const renewed = held.length > 0 ? await this.#leases.renew(held).catch(() => [] as Lease[]) : [];
    const renewedShards = new Set(renewed.map((l) => l.shard));
    const lost = held.filter((l) => !renewedShards.has(l.shard)).map((l) => l.shard);
    for (const shard of lost) this.#held.delete(shard);
    for (const lease of renewed) this.#held.set(lease.shard, lease);
    // Commands that found a held lease past its local deadline (a renewal running late) go on.
    for (const lease of renewed) this.#wake(lease.shard);
    if (lost.length > 0) this.#hooks.lost(lost);

    // Hand over shards that now belong elsewhere.
    const mineSet = new Set(mine);
    const leaving = [...this.#held.values()].filter((l) => !mineSet.has(l.shard));
    if (leaving.length > 0) {
      await this.#hooks.handingOver(leaving.map((l) => l.shard));
      for (const l of leaving) this.#held.delete(l.shard);
      await this.#leases.release(leaving).catch(() => undefined); // expiry frees them anyway
    }

    // Acquire the shards we should own and do not hold yet (their former owner may still hold some).
    const wanted = mine.filter((s) => !this.#held.has(s));
    if (wanted.length > 0) {
      const acquired = await this.#leases.acquire(wanted).catch(() => [] as Lease[]);
      for (const lease of acquired) this.#held.set(lease.shard, lease);
      if (acquired.length > 0) await this.#hooks.gained(acquired.map((l) => l.shard));
      for (const lease of acquired) this.#wake(lease.shard);
      // Shards still held by their former owner: try again soon rather than at the next renewal.
      if (acquired.length < wanted.length && !this.#stopped && !this.#retry) {
        this.#retry = setTimeout(() => {
          this.#retry = null;
          void this.rebalance();
        }, Math.min(250, this.#renewEveryMs));
      }
    }
  }

  #wake(shard: number): void {
    const waiters = this.#waiters.get(shard);
    this.#waiters.delete(shard);
    for (const w of waiters ?? []) w();
  }

  /** Stops renewing and releases every lease (a clean shutdown hands the shards over at once). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#retry) clearTimeout(this.#retry);
    await this.#running;
    const held = [...this.#held.values()];
    this.#held.clear();
    for (const shard of [...this.#waiters.keys()]) this.#wake(shard);
    if (held.length > 0) {
      await this.#hooks.handingOver(held.map((l) => l.shard));
      await this.#leases.release(held).catch(() => undefined);
    }
  }
}
