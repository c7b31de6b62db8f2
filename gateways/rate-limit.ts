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
