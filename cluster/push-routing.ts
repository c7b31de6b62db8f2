/**
 * Where a conversation's pushes go: only to the gateway nodes that hold its connections.
 *
 * Gateways register (`watch`) every conversation they hold a connection of — a visitor's tab, or
 * a tab of an account on its agents' side — with the node that owns the conversation, and renew
 * the registrations every WATCH_RENEW_MS (they lapse after WATCH_TTL_MS). The owner keeps them in
 * memory (`ConversationWatchers`); they are not durable.
 *
 * A push then goes to the registered nodes only — except when the owner cannot be sure its list
 * is complete, when it goes to every gateway node as before:
 * - changes of who is in the conversation (`status`, `participants` pushes): a gateway learns from
 *   them that one of its accounts joined, so they reach everyone;
 * - a conversation whose first registration on this node is younger than one renewal round
 *   (WATCH_TRUST_AFTER_MS): after a move to a new owner (failover, rebalancing) every gateway has
 *   re-registered by then, so nobody is left out in between.
 * A gateway that starts following a conversation registers before it relies on pushes, and
 * clients fetch `history` when a conversation appears (protocol docs), so a message pushed in the
 * moment between is not lost to them.
 *
 * Pushes travel as Moleculer events to the event group `push-inbox.<nodeId>`: the one service each
 * gateway node runs to receive them. The owner batches them (PushOutbox): one event per gateway
 * node and turn of the event loop, carrying that node's pushes in the order they were made — a
 * push for every gateway goes into every gateway node's batch, so a conversation's targeted and
 * broadcast pushes keep their order at each node.
 */
import type { ServiceBroker, ServiceSchema } from 'moleculer';
import type { Audience, Push } from '../actors/conversation/protocol.ts';
import type { ActorClient } from './actor-runtime.ts';
import type { ActorMetrics } from './metrics.ts';
import { TurnBatches } from './turn-batches.ts';

export const WATCH_RENEW_MS = 10_000;
export const WATCH_TTL_MS = 30_000;
export const WATCH_TRUST_AFTER_MS = WATCH_RENEW_MS + 5_000;
/** Pushes that change who is on a conversation's agents' side: always broadcast. */
const MEMBERSHIP_PUSHES: ReadonlySet<string> = new Set(['status', 'participants']);
/** Conversation ids per registration call. */
const WATCH_BATCH = 5_000;

/** The Moleculer service (and event group) through which one gateway node receives pushes. */
export const pushInboxName = (nodeId: string): string => `push-inbox.${nodeId}`;
const PUSH_INBOX_PREFIX = pushInboxName('');
/** Moleculer event carrying a batch of pushes to one gateway node's inbox: `{ pushes: ConversationPushEvent[] }`. */
export const CONVERSATION_PUSHES_EVENT = 'conversation.pushes';
/** One push: what a conversation pushes, who hears it (the visitor, the agents' side or both) and which accounts are on the agents' side. */
export type ConversationPushEvent = { readonly conversationId: string; readonly to: Audience; readonly push: Push; readonly agents: readonly string[] };
export const WATCHERS_SERVICE = 'conversation-watchers';

type Watched = { readonly since: number; readonly nodes: Map<string, number> };

/** On a node hosting conversations: which gateway nodes registered each one, until when. */
export class ConversationWatchers {
  readonly #watched = new Map<string, Watched>();
  readonly #clock: () => number;

  constructor(clock: () => number = () => performance.now()) {
    this.#clock = clock;
  }

  watch(nodeId: string, conversationIds: readonly string[]): void {
    const now = this.#clock();
    for (const id of conversationIds) {
      let w = this.#watched.get(id);
      if (!w) this.#watched.set(id, (w = { since: now, nodes: new Map() }));
      w.nodes.set(nodeId, now + WATCH_TTL_MS);
    }
  }

  /**
   * The conversation was just activated here (it moved to this node, or back to it): what this
   * node remembers of its registrations is from an earlier ownership and may be missing gateways,
   * so it starts over (and broadcasts until the renewals are in).
   */
  forget(conversationId: string): void {
    this.#watched.delete(conversationId);
  }

  unwatch(nodeId: string, conversationIds: readonly string[]): void {
    for (const id of conversationIds) this.#watched.get(id)?.nodes.delete(nodeId);
  }

  /**
   * The gateway nodes a push of this kind must reach, or null when it must go to all of them: it
   * changes who is in the conversation (a gateway learns from it that one of its accounts joined),
   * or the list is too young to be complete, or empty.
   */
  targetsOf(conversationId: string, pushKind: string): string[] | null {
    return MEMBERSHIP_PUSHES.has(pushKind) ? null : this.nodesOf(conversationId);
  }

  /** The registered gateway nodes, or null when the list is too young to be complete, or empty. */
  nodesOf(conversationId: string): string[] | null {
    const w = this.#watched.get(conversationId);
    if (!w) return null;
    const now = this.#clock();
    for (const [node, until] of w.nodes) if (until <= now) w.nodes.delete(node);
    if (w.nodes.size === 0) {
      this.#watched.delete(conversationId);
      return null;
    }
    return now - w.since >= WATCH_TRUST_AFTER_MS ? [...w.nodes.keys()] : null;
  }

  /** Forgets lapsed registrations (called now and then; `nodesOf` also cleans as it goes). */
  sweep(): void {
    const now = this.#clock();
    for (const [id, w] of this.#watched) {
      for (const [node, until] of w.nodes) if (until <= now) w.nodes.delete(node);
      if (w.nodes.size === 0) this.#watched.delete(id);
    }
  }

  get size(): number {
    return this.#watched.size;
  }
}

/** On a node hosting conversations: sends each push to the gateway nodes that must get it, in batches per node and turn. */
export class PushOutbox {
  readonly #broker: ServiceBroker;
  readonly #watchers: ConversationWatchers;
  readonly #metrics: Pick<ActorMetrics, 'pushesTargeted' | 'pushesBroadcast'> | null;
  readonly #batches: TurnBatches<ConversationPushEvent>;
  /** The live gateway nodes (those running a push inbox), recomputed when the registry changes. */
  #gateways: string[] | null = null;

  constructor(broker: ServiceBroker, watchers: ConversationWatchers, metrics: Pick<ActorMetrics, 'pushesTargeted' | 'pushesBroadcast'> | null) {
    this.#broker = broker;
    this.#watchers = watchers;
    this.#metrics = metrics;
    // Fire and forget, as a push always was: a gateway that misses one is caught up by `history` (see above).
    this.#batches = new TurnBatches((node, pushes) => void broker.emit(CONVERSATION_PUSHES_EVENT, { pushes }, { groups: [pushInboxName(node)] }));
    const changed = (): void => void (this.#gateways = null);
    for (const event of ['$services.changed', '$node.connected', '$node.disconnected']) broker.localBus.on(event, changed);
  }

  push(event: ConversationPushEvent): void {
    const targets = this.#watchers.targetsOf(event.conversationId, event.push.kind);
    if (targets === null) this.#metrics?.pushesBroadcast.inc();
    else this.#metrics?.pushesTargeted.inc();
    for (const node of targets ?? this.#allGateways()) this.#batches.add(node, event);
  }

  #allGateways(): string[] {
    if (!this.#gateways) {
      const services = this.#broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true });
      this.#gateways = [...new Set(services.filter((s) => s.name.startsWith(PUSH_INBOX_PREFIX) && s.nodeID).map((s) => s.nodeID!))];
    }
    return this.#gateways;
  }
}

/** The registration endpoint on a node hosting conversations. */
export function watchersService(watchers: ConversationWatchers): ServiceSchema {
  type Params = { nodeId: string; conversationIds: string[] };
  let sweeper: NodeJS.Timeout | null = null;
  return {
    name: WATCHERS_SERVICE,
    started() {
      sweeper = setInterval(() => watchers.sweep(), WATCH_TTL_MS);
      sweeper.unref();
    },
    stopped() {
      if (sweeper) clearInterval(sweeper);
    },
    actions: {
      watch: { handler: (ctx: { params: Params }) => void watchers.watch(ctx.params.nodeId, ctx.params.conversationIds) },
      unwatch: { handler: (ctx: { params: Params }) => void watchers.unwatch(ctx.params.nodeId, ctx.params.conversationIds) },
    },
  };
}

/** How many of this gateway node's connections follow each conversation, kept registered with the conversations' owners. */
export class ConversationSubscriptions {
  readonly #broker: ServiceBroker;
  readonly #actors: ActorClient;
  readonly #onError: (error: unknown) => void;
  readonly #count = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;

  constructor(broker: ServiceBroker, actors: ActorClient, onError: (error: unknown) => void) {
    this.#broker = broker;
    this.#actors = actors;
    this.#onError = onError;
    this.#timer = setInterval(() => void this.#register('watch', [...this.#count.keys()]).catch(onError), WATCH_RENEW_MS);
    this.#timer.unref();
  }

  /** One more local connection follows the conversation; resolves once its owner knows (a first follower registers). */
  async follow(conversationId: string): Promise<void> {
    const n = this.#count.get(conversationId) ?? 0;
    this.#count.set(conversationId, n + 1);
    if (n === 0) await this.#register('watch', [conversationId]).catch(this.#onError);
  }

  unfollow(conversationId: string): void {
    const n = this.#count.get(conversationId) ?? 0;
    if (n > 1) return void this.#count.set(conversationId, n - 1);
    if (n === 0) return;
    this.#count.delete(conversationId);
    void this.#register('unwatch', [conversationId]).catch(this.#onError);
  }

  get size(): number {
    return this.#count.size;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Registrations grouped by owner node, one call per node and batch. */
  async #register(action: 'watch' | 'unwatch', conversationIds: readonly string[]): Promise<void> {
    const byOwner = new Map<string, string[]>();
    for (const id of conversationIds) {
      const owner = this.#actors.ownerOf('conversation', id);
      if (!owner) continue; // no node hosts conversations now: pushes are broadcast meanwhile, and the next round registers
      let ids = byOwner.get(owner);
      if (!ids) byOwner.set(owner, (ids = []));
      ids.push(id);
    }
    const calls: Promise<unknown>[] = [];
    for (const [owner, ids] of byOwner) {
      for (let i = 0; i < ids.length; i += WATCH_BATCH) {
        const batch = ids.slice(i, i + WATCH_BATCH);
        calls.push(this.#broker.call(`${WATCHERS_SERVICE}.${action}`, { nodeId: this.#broker.nodeID, conversationIds: batch }, { nodeID: owner }));
      }
    }
    const results = await Promise.allSettled(calls);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}
