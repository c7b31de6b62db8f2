/**
 * This gateway node's visitor connections, found by visitor (every tab of one visitor) and by
 * conversation (every tab showing it). A push for a conversation reaches the tabs held here; other
 * gateway nodes hold the rest.
 */
export class Connections<S> {
  readonly #byVisitor = new Map<string, Set<S>>();
  readonly #byConversation = new Map<string, Set<S>>();
  readonly #all = new Set<S>();
  readonly #visitorOf = new Map<S, string>();
  readonly #conversationOf = new Map<S, string>();

  get size(): number {
    return this.#all.size;
  }

  add(socket: S): void {
    this.#all.add(socket);
  }

  /** The socket speaks for this visitor (after hello). */
  identify(socket: S, visitorId: string): void {
    this.#visitorOf.set(socket, visitorId);
    join(this.#byVisitor, visitorId, socket);
  }

  /** The socket shows this conversation (leaving the one it showed before). */
  attach(socket: S, conversationId: string): void {
    const before = this.#conversationOf.get(socket);
    if (before === conversationId) return;
    if (before !== undefined) leave(this.#byConversation, before, socket);
    this.#conversationOf.set(socket, conversationId);
    join(this.#byConversation, conversationId, socket);
  }

  remove(socket: S): void {
    this.#all.delete(socket);
    const visitorId = this.#visitorOf.get(socket);
    if (visitorId !== undefined) leave(this.#byVisitor, visitorId, socket);
    const conversationId = this.#conversationOf.get(socket);
    if (conversationId !== undefined) leave(this.#byConversation, conversationId, socket);
    this.#visitorOf.delete(socket);
    this.#conversationOf.delete(socket);
  }

  ofVisitor(visitorId: string): readonly S[] {
    return [...(this.#byVisitor.get(visitorId) ?? [])];
  }

  ofConversation(conversationId: string): readonly S[] {
    return [...(this.#byConversation.get(conversationId) ?? [])];
  }

  all(): readonly S[] {
    return [...this.#all];
  }
}

function join<S>(index: Map<string, Set<S>>, key: string, socket: S): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(socket);
}

function leave<S>(index: Map<string, Set<S>>, key: string, socket: S): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(socket);
  if (set.size === 0) index.delete(key);
}
