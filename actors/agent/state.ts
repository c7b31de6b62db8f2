/**
 * The agent actor's durable state: presence across the agent's connections (browser tabs,
 * devices), the status the agent chose, and capacity. The agent actor is the only authority on its
 * capacity: a queue reserves a slot here, and the reservation is decided inside this actor's
 * mailbox, so two queues can never push one agent over capacity.
 */

/** `ready`: receives new conversations. `busy`: keeps current ones, gets no new ones. `away`: the
 * same, shown differently to supervisors. `offline`: no connection (or signed out). */
export type AgentStatus = 'ready' | 'busy' | 'away' | 'offline';

export type Assignment = { readonly conversationId: string; readonly skillGroupId: string };
export type Reservation = Assignment & { readonly expiresAt: number };

export type AgentState = {
  readonly agentId: string;
  readonly tenantId: string;
  /** The name visitors see (from the directory's account). */
  readonly displayName: string;
  readonly status: AgentStatus;
  readonly statusSince: number;
  /** Open connections (tabs, devices). Presence is the union of them. */
  readonly connections: readonly string[];
  /** When the last connection dropped; the grace timer is running while this is set. */
  readonly disconnectedAt: number | null;
  /** Maximum concurrent conversations overall, and optionally per skill group. */
  readonly maxConversations: number;
  readonly maxPerSkillGroup: Readonly<Record<string, number>>;
  readonly skillGroups: readonly string[];
  readonly conversations: readonly Assignment[];
  readonly reservations: readonly Reservation[];
  /**
   * Conversations of colleagues this agent was invited into (协助): listed on their workstation,
   * not counted against capacity. Absent in snapshots written before it existed.
   */
  readonly invitations?: readonly string[];
  /** Time of the last assignment, for round-robin / longest-idle routing. */
  readonly lastAssignedAt: number | null;
  /** How long presence survives the loss of the last connection (a reload, a flaky network). */
  readonly presenceGraceMs: number;
};

export const DEFAULT_PRESENCE_GRACE_MS = 20_000;

export function newAgent(input: {
  agentId: string;
  tenantId: string;
  displayName?: string;
  skillGroups: readonly string[];
  maxConversations: number;
  maxPerSkillGroup?: Readonly<Record<string, number>>;
  presenceGraceMs?: number;
  now: number;
}): AgentState {
  return {
    agentId: input.agentId,
    tenantId: input.tenantId,
    displayName: input.displayName ?? input.agentId,
    status: 'offline',
    statusSince: input.now,
    connections: [],
    disconnectedAt: null,
    maxConversations: input.maxConversations,
    maxPerSkillGroup: input.maxPerSkillGroup ?? {},
    skillGroups: input.skillGroups,
    conversations: [],
    reservations: [],
    lastAssignedAt: null,
    presenceGraceMs: input.presenceGraceMs ?? DEFAULT_PRESENCE_GRACE_MS,
  };
}

/** Conversations held plus slots reserved: what counts against capacity. */
export const load = (a: AgentState): number => a.conversations.length + a.reservations.length;

export const loadInGroup = (a: AgentState, skillGroupId: string): number =>
  a.conversations.filter((c) => c.skillGroupId === skillGroupId).length +
  a.reservations.filter((r) => r.skillGroupId === skillGroupId).length;

/** Free slots for new conversations of this skill group right now (0 unless ready and connected). */
export function freeSlots(a: AgentState, skillGroupId: string): number {
  if (a.status !== 'ready' || a.connections.length === 0 || !a.skillGroups.includes(skillGroupId)) return 0;
  const overall = a.maxConversations - load(a);
  const cap = a.maxPerSkillGroup[skillGroupId];
  const inGroup = cap === undefined ? overall : cap - loadInGroup(a, skillGroupId);
  return Math.max(0, Math.min(overall, inGroup));
}

/** What a queue sees of an agent when it routes: a snapshot, never the live state. */
export type AgentSnapshot = {
  readonly agentId: string;
  readonly status: AgentStatus;
  readonly load: number;
  readonly maxConversations: number;
  readonly freeSlots: number;
  readonly lastAssignedAt: number | null;
  /** How many skill groups the agent serves: specialists are kept for the groups only they can serve. */
  readonly skillGroupCount: number;
};

export const snapshot = (a: AgentState, skillGroupId: string): AgentSnapshot => ({
  agentId: a.agentId,
  status: a.status,
  load: load(a),
  maxConversations: a.maxConversations,
  freeSlots: freeSlots(a, skillGroupId),
  lastAssignedAt: a.lastAssignedAt,
  skillGroupCount: a.skillGroups.length,
});
