/**
 * One mailbox per actor id: commands to the same actor run strictly one at a time, in the order
 * they were posted; commands to different actors run concurrently. A failing command does not
 * stop the ones queued behind it. Empty mailboxes take no memory.
 */
export class Mailboxes {
  readonly #tails = new Map<string, Promise<unknown>>();
  readonly #depths = new Map<string, number>();

  /** Queues `task` behind everything already posted to `actorId`; settles with its result. */
  post<T>(actorId: string, task: () => Promise<T> | T): Promise<T> {
    const previous = this.#tails.get(actorId) ?? Promise.resolve();
    this.#depths.set(actorId, (this.#depths.get(actorId) ?? 0) + 1);
    const run = previous.then(
      () => task(),
      () => task(),
    );
    const tail: Promise<void> = run.then(
      (): void => this.#done(actorId, tail),
      (): void => this.#done(actorId, tail),
    );
    this.#tails.set(actorId, tail);
    // The caller resumes after the bookkeeping, so depth() is already up to date by then.
    return tail.then(() => run);
  }

  /** Commands waiting or running for this actor. */
  depth(actorId: string): number {
    return this.#depths.get(actorId) ?? 0;
  }

  /** Actors with at least one command waiting or running. */
  get busy(): number {
    return this.#depths.size;
  }

  /** Commands waiting or running, over all actors. */
  get queued(): number {
    let total = 0;
    for (const depth of this.#depths.values()) total += depth;
    return total;
  }

  #done(actorId: string, tail: Promise<unknown>): void {
    const depth = (this.#depths.get(actorId) ?? 1) - 1;
    if (depth > 0) this.#depths.set(actorId, depth);
    else this.#depths.delete(actorId);
    if (this.#tails.get(actorId) === tail) this.#tails.delete(actorId);
  }
}
