/**
 * A deterministic, single-threaded host for the three actor kinds: it keeps every actor's state in
 * memory, turns effects into commands for the actor they address (in FIFO order, until nothing is
 * left to do), and runs timers on a virtual clock.
 *
 * It is the reference composition of the pure core — the property tests check the routing
 * invariants on it, and the routing simulation replays a day of traffic through it. The cluster
 * runtime hosts the same machines as sharded actors on Moleculer and must behave the same way.
 *
 * Handing a conversation to an agent is a three-step exchange, as it will be across nodes:
 * the queue offers → the agent actor reserves a slot (or refuses) → the conversation accepts the
 * assignment (or refuses: closed meanwhile) → the reservation is committed, or released.
 */
import { decideAgent } from '../agent/machine.ts';
import type { AgentCommand, AgentEffect, AgentEvent } from '../agent/protocol.ts';
import { newAgent, snapshot, type AgentState } from '../agent/state.ts';
import { decideConversation } from '../conversation/machine.ts';
import type { ConversationCommand, ConversationEffect, ConversationEvent, Push } from '../conversation/protocol.ts';
import { newConversation, type ConversationSettings, type ConversationState, type TimerName, type Visitor } from '../conversation/state.ts';
import { isRejection, type Rejection } from '../kernel/decision.ts';
import { decideQueue } from '../queue/machine.ts';
import { enqueueCommand, type QueueCommand, type QueueEffect } from '../queue/protocol.ts';
import { newQueue, type QueueSettings, type QueueState } from '../queue/state.ts';

type Address =
  | { readonly kind: 'conversation'; readonly id: string }
  | { readonly kind: 'agent'; readonly id: string }
  | { readonly kind: 'queue'; readonly id: string };

type Timer = { readonly at: number; readonly order: number; readonly to: Address; readonly command: ConversationCommand | AgentCommand | QueueCommand; readonly key: string };

/** What the world saw happen, for assertions and reports. */
export type Observation =
  | { readonly type: 'conversation-event'; readonly event: ConversationEvent }
  | { readonly type: 'agent-event'; readonly event: AgentEvent }
  | { readonly type: 'push'; readonly conversationId: string; readonly to: string; readonly push: Push; readonly at: number }
  | { readonly type: 'route'; readonly skillGroupId: string; readonly before: QueueState; readonly after: QueueState; readonly at: number };

export type WorldOptions = {
  readonly tenantId?: string;
  readonly now?: number;
  readonly skillGroups: readonly { readonly id: string; readonly settings?: Partial<QueueSettings> }[];
  readonly conversationSettings?: Partial<ConversationSettings>;
  /** Called for every observation (the simulation and tests record what they need). */
  readonly observe?: (o: Observation) => void;
  /**
   * Route again whenever an agent's availability changes (default). `false` models routers that
   * only assign on arrival and on a periodic sweep — a baseline for the simulation, never Kefu.
   */
  readonly routeOnAvailability?: boolean;
};

export class World {
  now: number;
  readonly tenantId: string;
  readonly conversations = new Map<string, ConversationState>();
  readonly agents = new Map<string, AgentState>();
  readonly queues = new Map<string, QueueState>();
  readonly #timers = new Map<string, Timer>();
  #timerOrder = 0;
  readonly #inbox: { to: Address; command: ConversationCommand | AgentCommand | QueueCommand }[] = [];
  #draining = false;
  readonly #conversationSettings: Partial<ConversationSettings>;
  readonly #observe: (o: Observation) => void;
  readonly #routeOnAvailability: boolean;
  /** The queue command whose effects are being handled (for the baseline router). */
  #stepping: QueueCommand['type'] | null = null;

  constructor(options: WorldOptions) {
    this.now = options.now ?? 0;
    this.tenantId = options.tenantId ?? 'tenant';
    for (const g of options.skillGroups) {
      this.queues.set(g.id, newQueue({ skillGroupId: g.id, tenantId: this.tenantId, ...(g.settings ? { settings: g.settings } : {}) }));
    }
    this.#conversationSettings = options.conversationSettings ?? {};
    this.#observe = options.observe ?? (() => undefined);
    this.#routeOnAvailability = options.routeOnAvailability ?? true;
  }

  // ------------------------------------------------------------------ set-up and time

  addAgent(agentId: string, skillGroups: readonly string[], maxConversations: number, options: { presenceGraceMs?: number; maxPerSkillGroup?: Readonly<Record<string, number>> } = {}): void {
    const agent = newAgent({ agentId, tenantId: this.tenantId, skillGroups, maxConversations, now: this.now, ...options });
    this.agents.set(agentId, agent);
    // The agent introduces itself to its groups' queues, as its actor does when it is created.
    for (const g of skillGroups) if (this.queues.has(g)) this.toQueue(g, { type: 'agent-availability', agent: snapshot(agent, g) });
  }

  /** Advances the virtual clock to `t`, firing every timer due on the way, in time order. */
  advanceTo(t: number): void {
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.#timers.values()) {
        if (timer.at <= t && (!next || timer.at < next.at || (timer.at === next.at && timer.order < next.order))) next = timer;
      }
      if (!next) break;
      this.#timers.delete(next.key);
      this.now = Math.max(this.now, next.at);
      this.#deliver(next.to, next.command);
    }
    this.now = Math.max(this.now, t);
  }

  /** The due time of the next timer, if any (lets a simulation jump straight to it). */
  nextTimerAt(): number | null {
    let at: number | null = null;
    for (const timer of this.#timers.values()) if (at === null || timer.at < at) at = timer.at;
    return at;
  }

  // ------------------------------------------------------------------ commands from outside

  /** A visitor starts a conversation. */
  open(conversationId: string, visitor: Visitor, command: Omit<Extract<ConversationCommand, { type: 'open' }>, 'type'>): Rejection | null {
    this.conversations.set(
      conversationId,
      newConversation({ conversationId, tenantId: this.tenantId, channelId: 'web', visitor, settings: this.#conversationSettings, now: this.now }),
    );
    return this.#deliver({ kind: 'conversation', id: conversationId }, { type: 'open', ...command });
  }

  toConversation(conversationId: string, command: ConversationCommand): Rejection | null {
    return this.#deliver({ kind: 'conversation', id: conversationId }, command);
  }

  toAgent(agentId: string, command: AgentCommand): Rejection | null {
    return this.#deliver({ kind: 'agent', id: agentId }, command);
  }

  toQueue(skillGroupId: string, command: QueueCommand): Rejection | null {
    return this.#deliver({ kind: 'queue', id: skillGroupId }, command);
  }

  /** Transfer to a named agent: the target's slot is taken first (capacity holds), then the conversation moves. */
  transferToAgent(conversationId: string, byAgentId: string, toAgentId: string, memo: string | null): Rejection | null {
    const conversation = this.conversations.get(conversationId);
    if (!conversation?.skillGroupId) return { rejected: 'CONVERSATION_UNKNOWN', message: conversationId };
    const transfer: ConversationCommand = { type: 'transfer', by: { kind: 'agent', agentId: byAgentId }, to: { agentId: toAgentId }, memo };
    // `take` is idempotent: if the target already holds the conversation, there is nothing to undo.
    const alreadyHeld = this.agents.get(toAgentId)?.conversations.some((c) => c.conversationId === conversationId) ?? false;
    if (alreadyHeld) return this.toConversation(conversationId, transfer);
    const taken = this.toAgent(toAgentId, { type: 'take', conversationId, skillGroupId: conversation.skillGroupId });
    if (taken) return taken;
    const moved = this.toConversation(conversationId, transfer);
    if (moved) this.toAgent(toAgentId, { type: 'release', conversationId });
    return moved;
  }

  // ------------------------------------------------------------------ the message loop

  /**
   * Delivers a command and everything it causes. Returns the rejection of this command, if any;
   * rejections of the commands it caused are handled by the exchange that sent them.
   */
  #deliver(to: Address, command: ConversationCommand | AgentCommand | QueueCommand): Rejection | null {
    const rejection = this.#step(to, command);
    if (!this.#draining) {
      this.#draining = true;
      try {
        for (let guard = 0; this.#inbox.length > 0; guard++) {
          if (guard > 1_000_000) throw new Error('the world does not settle: effects keep causing effects');
          const next = this.#inbox.shift()!;
          this.#step(next.to, next.command);
        }
      } finally {
        this.#draining = false;
      }
    }
    return rejection;
  }

  #send(to: Address, command: ConversationCommand | AgentCommand | QueueCommand): void {
    this.#inbox.push({ to, command });
  }

  #step(to: Address, command: ConversationCommand | AgentCommand | QueueCommand): Rejection | null {
    switch (to.kind) {
      case 'conversation': {
        const state = this.conversations.get(to.id);
        if (!state) return { rejected: 'CONVERSATION_UNKNOWN', message: to.id };
        const d = decideConversation(state, command as ConversationCommand, this.now);
        if (isRejection(d)) return d;
        this.conversations.set(to.id, d.state);
        for (const e of d.effects) this.#onConversationEffect(to.id, e);
        return null;
      }
      case 'agent': {
        const state = this.agents.get(to.id);
        if (!state) return { rejected: 'AGENT_OFFLINE', message: `unknown agent ${to.id}` };
        const d = decideAgent(state, command as AgentCommand, this.now);
        if (isRejection(d)) return d;
        this.agents.set(to.id, d.state);
        for (const e of d.effects) this.#onAgentEffect(to.id, e);
        return null;
      }
      case 'queue': {
        const state = this.queues.get(to.id);
        if (!state) return { rejected: 'QUEUE_CLOSED', message: `unknown skill group ${to.id}` };
        const d = decideQueue(state, command as QueueCommand, this.now);
        if (isRejection(d)) return d;
        this.queues.set(to.id, d.state);
        if ((command as QueueCommand).type === 'route') this.#observe({ type: 'route', skillGroupId: to.id, before: state, after: d.state, at: this.now });
        const outer = this.#stepping;
        this.#stepping = (command as QueueCommand).type;
        for (const e of d.effects) this.#onQueueEffect(to.id, e);
        this.#stepping = outer;
        return null;
      }
    }
  }

  #schedule(key: string, at: number, to: Address, command: Timer['command']): void {
    this.#timers.set(key, { at, order: this.#timerOrder++, to, command, key });
  }

  #onConversationEffect(conversationId: string, e: ConversationEffect): void {
    const self: Address = { kind: 'conversation', id: conversationId };
    switch (e.type) {
      case 'append':
      case 'ack':
        return; // the durable log and the sender's ack are the runtime's business
      case 'push':
        return this.#observe({ type: 'push', conversationId, to: e.to, push: e.push, at: this.now });
      case 'emit':
        return this.#observe({ type: 'conversation-event', event: e.event });
      case 'enqueue': {
        const rejection = this.#step({ kind: 'queue', id: e.skillGroupId }, enqueueCommand(conversationId, e));
        if (rejection) this.#send(self, { type: 'queue-refused' });
        return;
      }
      case 'dequeue':
        return this.#send({ kind: 'queue', id: e.skillGroupId }, { type: 'dequeue', conversationId });
      case 'release-agent':
        return this.#send({ kind: 'agent', id: e.agentId }, { type: 'release', conversationId });
      case 'invitation':
        return this.#send({ kind: 'agent', id: e.agentId }, { type: e.invited ? 'invited' : 'uninvited', conversationId });
      case 'schedule':
        return this.#schedule(`conversation:${conversationId}:${e.timer}`, e.at, self, { type: 'timer', timer: e.timer as TimerName, at: e.at });
      case 'cancel':
        this.#timers.delete(`conversation:${conversationId}:${e.timer}`);
        return;
    }
  }

  #onAgentEffect(agentId: string, e: AgentEffect): void {
    const self: Address = { kind: 'agent', id: agentId };
    switch (e.type) {
      case 'emit':
        return this.#observe({ type: 'agent-event', event: e.event });
      case 'schedule-presence-grace':
        return this.#schedule(`agent:${agentId}:grace`, e.at, self, { type: 'presence-grace-expired' });
      case 'reservations-granted':
        return; // the world's exchange uses single reservations
      case 'cancel-presence-grace':
        this.#timers.delete(`agent:${agentId}:grace`);
        return;
      case 'schedule-reservation-expiry':
        return this.#schedule(`agent:${agentId}:reservation:${e.conversationId}`, e.at, self, { type: 'reservation-expired', conversationId: e.conversationId });
      case 'reroute':
        return this.#send({ kind: 'conversation', id: e.conversationId }, { type: 'agent-lost', agentId });
      case 'availability-changed': {
        const agent = this.agents.get(agentId)!;
        for (const g of e.skillGroupIds) {
          if (this.queues.has(g)) this.#send({ kind: 'queue', id: g }, { type: 'agent-availability', agent: snapshot(agent, g) });
        }
        return;
      }
    }
  }

  #onQueueEffect(skillGroupId: string, e: QueueEffect): void {
    switch (e.type) {
      case 'offer':
        return this.#offer(skillGroupId, e.conversationId, e.agentId, e.ttlMs);
      case 'position':
        return this.#send({ kind: 'conversation', id: e.conversationId }, { type: 'queue-position', position: e.position, estimatedWaitMs: e.estimatedWaitMs });
      case 'overflow':
        return this.#send({ kind: 'conversation', id: e.conversationId }, { type: 'queue-overflowed', toSkillGroupId: e.toSkillGroupId });
      case 'timed-out':
        return this.#send({ kind: 'conversation', id: e.conversationId }, { type: 'queue-timed-out' });
      case 'schedule-tick':
        if (e.at === null) this.#timers.delete(`queue:${skillGroupId}:tick`);
        else this.#schedule(`queue:${skillGroupId}:tick`, e.at, { kind: 'queue', id: skillGroupId }, { type: 'tick' });
        return;
      case 'route-requested':
        // The baseline router (routeOnAvailability: false) routes on arrivals and sweeps only.
        if (!this.#routeOnAvailability && this.#stepping === 'agent-availability') return;
        return this.#send({ kind: 'queue', id: skillGroupId }, { type: 'route' });
    }
  }

  #offer(skillGroupId: string, conversationId: string, agentId: string, ttlMs: number): void {
    const queue: Address = { kind: 'queue', id: skillGroupId };
    const reserved = this.#step({ kind: 'agent', id: agentId }, { type: 'reserve', conversationId, skillGroupId, ttlMs });
    if (reserved) {
      this.#send(queue, { type: 'offer-refused', conversationId, agentId });
      return;
    }
    const assigned = this.#step({ kind: 'conversation', id: conversationId }, { type: 'assign', agentId, skillGroupId });
    if (assigned) {
      // The conversation moved on (closed, taken over): give the slot back, drop the stale entry.
      this.#send({ kind: 'agent', id: agentId }, { type: 'release-reservation', conversationId });
      this.#send(queue, { type: 'dequeue', conversationId });
      return;
    }
    this.#step({ kind: 'agent', id: agentId }, { type: 'commit-reservation', conversationId });
    this.#send(queue, { type: 'offers-accepted', agentId, conversationIds: [conversationId] });
  }
}
