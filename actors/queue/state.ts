import type { AgentSnapshot } from '../agent/state.ts';

/**
 * The queue actor's state (one per skill group): the visitors waiting, in service order — higher
 * priority class first, then arrival — and what the wait estimator has learnt.
 */

/** How a skill group hands waiting conversations to agents (see docs/routing.md). */
export type RoutingPolicy = 'idle-first' | 'least-busy' | 'round-robin' | 'manual';

export type QueueSettings = {
  readonly policy: RoutingPolicy;
  /** A returning visitor waits this long for their previous agent (if that agent is online). */
  readonly stickyWaitMs: number;
  /** A visitor who asked for a specific agent waits this long for them (if online). */
  readonly requestedWaitMs: number;
  /** After `afterMs` in this queue, a visitor is offered to the fallback skill group. */
  readonly overflow: { readonly afterMs: number; readonly toSkillGroupId: string } | null;
  /** After this long in any queue, the visitor is offered the leave-a-message form. */
  readonly queueTimeoutMs: number | null;
  /** Beyond this many waiting visitors, new ones are refused (queue full message). */
  readonly maxWaiting: number | null;
  /** How long an agent's reservation stays valid while the conversation is handed over. */
  readonly offerTtlMs: number;
  /** Used by the wait estimate until the queue has seen enough assignments of its own. */
  readonly defaultHandleTimeMs: number;
};

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  policy: 'idle-first',
  stickyWaitMs: 30_000,
  requestedWaitMs: 60_000,
  overflow: null,
  queueTimeoutMs: 600_000,
  maxWaiting: null,
  offerTtlMs: 10_000,
  defaultHandleTimeMs: 300_000,
};

export type QueueEntry = {
  readonly conversationId: string;
  /** Priority class: higher is served first (0 normal, VIP contacts higher). */
  readonly priority: number;
  /** Arrival order in this queue; FIFO within a priority class. */
  readonly arrival: number;
  /** When the conversation entered this queue, and when it started waiting at all (overflow keeps it). */
  readonly enqueuedAt: number;
  readonly waitingSince: number;
  /** An agent this conversation should go to first (sticky last agent, or a requested agent). */
  readonly preferredAgentId: string | null;
  readonly preferredUntil: number;
  /** Agents that let this conversation go unanswered: not offered it again. */
  readonly avoidAgentIds: readonly string[];
  /** An offer in flight (a reservation being made with this agent), and when it was made. */
  readonly offeredTo: string | null;
  readonly offeredAt: number | null;
  /** The position last told to the visitor; what is shown never goes up. */
  readonly shownPosition: number | null;
};

export type QueueState = {
  readonly skillGroupId: string;
  readonly tenantId: string;
  readonly settings: QueueSettings;
  /** Kept in service order: priority descending, then arrival ascending. */
  readonly waiting: readonly QueueEntry[];
  readonly nextArrival: number;
  /** Times of the latest assignments out of this queue, oldest first (the drain-rate window). */
  readonly recentAssignments: readonly number[];
  /**
   * The group's agents as they last reported themselves (pushed by each agent actor whenever its
   * availability changes). Only a hint for choosing whom to offer to: the agent actor decides
   * every reservation itself, so a stale entry costs a refused offer, never an over-assignment.
   */
  readonly agents: Readonly<Record<string, AgentSnapshot>>;
  /**
   * When visitors behind someone who left are next told their new positions. Updates are
   * coalesced (at most one round per POSITION_PUBLISH_INTERVAL_MS) so a queue draining thousands of
   * visitors does not recompute and push every position on every single assignment.
   */
  readonly positionsDueAt: number | null;
  /**
   * No round of positions starts before this time: a round that told m visitors is followed by a
   * quiet m / POSITION_MESSAGES_PER_SECOND seconds, so a line of 10,000 moving fast costs the
   * cluster a bounded stream of messages instead of 10,000 every second.
   */
  readonly positionsQuietUntil: number;
};

export const POSITION_PUBLISH_INTERVAL_MS = 1_000;
export const POSITION_MESSAGES_PER_SECOND = 500;

export const newQueue = (input: { skillGroupId: string; tenantId: string; settings?: Partial<QueueSettings> }): QueueState => ({
  skillGroupId: input.skillGroupId,
  tenantId: input.tenantId,
  settings: { ...DEFAULT_QUEUE_SETTINGS, ...input.settings },
  waiting: [],
  nextArrival: 0,
  recentAssignments: [],
  agents: {},
  positionsDueAt: null,
  positionsQuietUntil: 0,
});

/** Service order: higher priority first, then earlier arrival. */
export const serviceOrder = (a: QueueEntry, b: QueueEntry): number => b.priority - a.priority || a.arrival - b.arrival;

/** The group's capacity among agents not offline (for the wait estimate before there is history). */
export const onlineCapacity = (state: QueueState): number =>
  Object.values(state.agents).reduce((sum, a) => (a.status === 'offline' ? sum : sum + a.maxConversations), 0);
