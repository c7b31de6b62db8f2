/**
 * Password hashing with scrypt at OWASP's parameters (N=2^14, r=8, p=5: the 16 MiB variant of the
 * N=2^17/p=1 recommendation, same cost, an eighth of the memory), in the PHC string format so the
 * parameters can be raised later and old hashes still verify.
 *
 * Hashing is deliberately slow (≈0.5 s of one core), so it is bounded: at most `concurrency` hashes
 * run at once and at most `queue` wait; beyond that callers get BUSY at once. A login flood then
 * costs a fixed amount of CPU and memory, and chat traffic on the same node keeps its share.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { DomainError } from '../kernel/domain-error.ts';

const PARAMS = { N: 2 ** 14, r: 8, p: 5 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const MAX_MEMORY = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: MAX_MEMORY };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFKC'), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key))));
}

const encode = (params: { N: number; r: number; p: number }, salt: Buffer, key: Buffer): string =>
  `$scrypt$ln=${Math.log2(params.N)},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;

function decode(hash: string): { params: { N: number; r: number; p: number }; salt: Buffer; key: Buffer } | null {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(hash);
  if (!m) return null;
  return { params: { N: 2 ** Number(m[1]), r: Number(m[2]), p: Number(m[3]) }, salt: Buffer.from(m[4]!, 'base64url'), key: Buffer.from(m[5]!, 'base64url') };
}

export class PasswordHasher {
  readonly #concurrency: number;
  readonly #queueLimit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  /** Verified against when an account does not exist, so "no such email" takes as long as "wrong password". */
  #decoy: Promise<string> | null = null;

  constructor(options: { concurrency: number; queue: number }) {
    this.#concurrency = options.concurrency;
    this.#queueLimit = options.queue;
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await this.#bounded(() => derive(password, salt, PARAMS));
    return encode(PARAMS, salt, key);
  }

  /** True when `password` matches `hash`; a null hash (no such account) costs the same and is false. */
  async verify(password: string, hash: string | null): Promise<boolean> {
    const stored = decode(hash ?? (await (this.#decoy ??= this.hash(randomBytes(16).toString('hex')))));
    if (!stored) return false;
    const key = await this.#bounded(() => derive(password, stored.salt, stored.params));
    return hash !== null && key.length === stored.key.length && timingSafeEqual(key, stored.key);
  }

  /**
   * Refuses at once (BUSY) when no hash could start or wait now, so a flood is turned away before
   * it costs anything else (a database lookup for the account).
   */
  admit(): void {
    if (this.#running >= this.#concurrency && this.#waiting.length >= this.#queueLimit) throw new DomainError('BUSY', 'too many sign-ins at once; try again in a moment');
  }

  /** True when a hash was made with weaker parameters than today's (re-hash at the next login). */
  static outdated(hash: string): boolean {
    const stored = decode(hash);
    return !stored || stored.params.N * stored.params.p < PARAMS.N * PARAMS.p || stored.params.r < PARAMS.r;
  }

  async #bounded<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#queueLimit) throw new DomainError('BUSY', 'too many sign-ins at once; try again in a moment');
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
