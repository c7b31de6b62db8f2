/**
 * Messages of the agent actor (one per agent account). Commands are processed one at a time in
 * the actor's mailbox; effects are plain data the shell carries out.
 */
import type { AgentStatus } from './state.ts';

export type AgentCommand =
  /** A workstation tab or device connected. The first connection brings the agent online. */
  | { readonly type: 'connect'; readonly connectionId: string; readonly status?: 'ready' | 'busy' | 'away' }
  | { readonly type: 'disconnect'; readonly connectionId: string }
  /** Timer: the grace period after the last connection dropped has passed. */
  | { readonly type: 'presence-grace-expired' }
  /** The agent's own choice; `offline` signs out. */
  | { readonly type: 'set-status'; readonly status: AgentStatus }
  /** A supervisor's decision (坐席监控: force status). */
  | { readonly type: 'force-status'; readonly status: AgentStatus; readonly by: string }
  /** A queue asks for one slot; it expires unless committed within `ttlMs`. */
  | { readonly type: 'reserve'; readonly conversationId: string; readonly skillGroupId: string; readonly ttlMs: number }
  | { readonly type: 'commit-reservation'; readonly conversationId: string }
  /**
   * Several reservations in one command (a queue's routing pass offers one agent several
   * conversations): granted in order while slots last; answered with `reservations-granted`.
   */
  | { readonly type: 'reserve-batch'; readonly skillGroupId: string; readonly conversationIds: readonly string[]; readonly ttlMs: number }
  /** Commits several reservations; ids without a reservation are skipped. */
  | { readonly type: 'commit-batch'; readonly conversationIds: readonly string[] }
  | { readonly type: 'release-reservation'; readonly conversationId: string }
  /** Timer: a reservation was not committed in time. */
  | { readonly type: 'reservation-expired'; readonly conversationId: string }
  /** A conversation given to this agent directly (transfer, manual pick, takeover): still within capacity unless `overCapacity` (a supervisor's takeover). */
  | { readonly type: 'take'; readonly conversationId: string; readonly skillGroupId: string; readonly overCapacity?: boolean }
  /** The conversation closed or moved to someone else. */
  | { readonly type: 'release'; readonly conversationId: string }
  /** A colleague invited this agent into their conversation, or the invitation ended (left, closed, taken over). */
  | { readonly type: 'invited'; readonly conversationId: string }
  | { readonly type: 'uninvited'; readonly conversationId: string }
  /** A queue that just activated asks its agents to report their availability again. */
  | { readonly type: 'report-availability'; readonly skillGroupId: string }
  /** What visitors and colleagues see of the agent (answered with `profile`; changes nothing). */
  | { readonly type: 'describe' }
  /** The agent's profile changed (from the directory): display name, skill groups and capacity. */
  | {
      readonly type: 'configure';
      readonly displayName?: string;
      readonly skillGroups?: readonly string[];
      readonly maxConversations?: number;
      readonly maxPerSkillGroup?: Readonly<Record<string, number>>;
    };

/** Facts published on `kefu.agents.v1`. */
export type AgentEvent =
  | { readonly name: 'agent.status-changed'; readonly agentId: string; readonly from: AgentStatus; readonly to: AgentStatus; readonly by: string | null; readonly at: number }
  | { readonly name: 'agent.capacity-changed'; readonly agentId: string; readonly load: number; readonly maxConversations: number; readonly at: number };

export type AgentEffect =
  | { readonly type: 'emit'; readonly event: AgentEvent }
  /** The answer to `describe`. */
  | {
      readonly type: 'profile';
      readonly displayName: string;
      readonly status: AgentStatus;
      readonly conversations: readonly string[];
      readonly invitations: readonly string[];
      /** Conversations held plus slots reserved, against the most the agent takes at once. */
      readonly load: number;
      readonly maxConversations: number;
    }
  /** The answer to `reserve-batch`: which conversations got a slot. */
  | { readonly type: 'reservations-granted'; readonly conversationIds: readonly string[] }
  | { readonly type: 'schedule-presence-grace'; readonly at: number }
  | { readonly type: 'cancel-presence-grace' }
  | { readonly type: 'schedule-reservation-expiry'; readonly conversationId: string; readonly at: number }
  /** A conversation this agent can no longer serve (went offline): its conversation actor must route it again. */
  | { readonly type: 'reroute'; readonly conversationId: string; readonly skillGroupId: string; readonly reason: 'agent-offline' }
  /**
   * Something routing depends on changed (a slot freed, status, presence, capacity): the queues of
   * all the agent's skill groups should route again. All of them, because capacity is shared across
   * groups and a queue may be waiting for this very agent.
   */
  | { readonly type: 'availability-changed'; readonly skillGroupIds: readonly string[] };
