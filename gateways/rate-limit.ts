/**
 * Limits a gateway applies to what clients send. Pure bookkeeping; the caller passes the time.
 */

/**
 * A token bucket: `capacity` frames at once, refilled at `perSecond`. Bursts (a pasted paragraph
 * sent as several messages, a reconnect resending its unacknowledged ones) pass; floods do not.
 */
export class TokenBucket {
  readonly #capacity: number;
  readonly #perMs: number;
  #tokens: number;
  #at: number;

  constructor(options: { capacity: number; perSecond: number; now: number }) {
    this.#capacity = options.capacity;
    this.#perMs = options.perSecond / 1_000;
    this.#tokens = options.capacity;
    this.#at = options.now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * One token bucket per client address (sign-ins, uploads). The table is bounded: past
 * `maxAddresses` it starts over (everyone gets a fresh bucket) rather than grow without end.
 */
export class RatePerAddress {
  readonly #options: { readonly capacity: number; readonly perSecond: number; readonly maxAddresses: number };
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(options: { capacity: number; perSecond: number; maxAddresses?: number }) {
    this.#options = { maxAddresses: 100_000, ...options };
  }

  /** Takes one token from the address's bucket if there is one. */
  take(address: string, now: number): boolean {
    let bucket = this.#buckets.get(address);
    if (!bucket) {
      if (this.#buckets.size >= this.#options.maxAddresses) this.#buckets.clear();
      this.#buckets.set(address, (bucket = new TokenBucket({ ...this.#options, now })));
    }
    return bucket.take(now);
  }
}

/** Open connections per client address, with a ceiling. */
export class ConnectionsPerAddress {
  readonly #max: number;
  readonly #open = new Map<string, number>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Counts a new connection from `address`, unless that address is at the ceiling. */
  tryOpen(address: string): boolean {
    const n = this.#open.get(address) ?? 0;
    if (n >= this.#max) return false;
    this.#open.set(address, n + 1);
    return true;
  }

  closed(address: string): void {
    const n = (this.#open.get(address) ?? 0) - 1;
    if (n > 0) this.#open.set(address, n);
    else this.#open.delete(address);
  }

  count(address: string): number {
    return this.#open.get(address) ?? 0;
  }
}
