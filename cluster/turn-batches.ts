/**
 * Items bound for other nodes, collected during one turn of the event loop and handed over per
 * node in bounded batches: what the actor channel (commands, answers) and conversation pushes use
 * so that a node sends one Moleculer event to each peer per turn, not one per item.
 *
 * A batch holds at most MAX_BATCH_ITEMS items and about MAX_BATCH_BYTES of JSON, under NATS's
 * default 1 MB message limit (a single larger item goes alone). Items for one node are handed over
 * in the order they were added.
 */
export const MAX_BATCH_ITEMS = 1_000;
export const MAX_BATCH_BYTES = 512 * 1024;

type Pending<T> = { readonly batches: T[][]; bytes: number };

export class TurnBatches<T> {
  readonly #send: (node: string, items: T[]) => void;
  #pending = new Map<string, Pending<T>>();
  #scheduled = false;
  readonly #flush = (): void => {
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [node, { batches }] of pending) for (const items of batches) this.#send(node, items);
  };

  /** `send` is called once per batch, after the current turn's I/O callbacks. */
  constructor(send: (node: string, items: T[]) => void) {
    this.#send = send;
  }

  add(node: string, item: T): void {
    let pending = this.#pending.get(node);
    if (!pending) this.#pending.set(node, (pending = { batches: [[]], bytes: 0 }));
    const bytes = JSON.stringify(item)?.length ?? 0;
    const last = pending.batches[pending.batches.length - 1]!;
    if (last.length > 0 && (last.length >= MAX_BATCH_ITEMS || pending.bytes + bytes > MAX_BATCH_BYTES)) {
      pending.batches.push([item]);
      pending.bytes = bytes;
    } else {
      last.push(item);
      pending.bytes += bytes;
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      // setImmediate runs after the poll phase: the items of every socket read in this turn go together.
      setImmediate(this.#flush);
    }
  }
}
