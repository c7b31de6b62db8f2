/**
 * Messages of the queue actor (one per skill group). The queue decides *who should* get a
 * conversation; the agent actor decides whether it *can* (reservation), so an offer is only a
 * proposal until `offers-accepted` comes back.
 */
import type { AgentSnapshot } from '../agent/state.ts';
import type { ConversationEffect } from '../conversation/protocol.ts';
import type { QueueSettings } from './state.ts';

export type QueueCommand =
  | {
      readonly type: 'enqueue';
      readonly conversationId: string;
      readonly priority: number;
      readonly preferredAgentId?: string | null;
      /** Why an agent is preferred: the visitor's last agent, or one they asked for. */
      readonly preference?: 'sticky' | 'requested';
      /** When the visitor started waiting, if they come from another queue (overflow, transfer). */
      readonly waitingSince?: number;
      readonly avoidAgentIds?: readonly string[];
    }
  | { readonly type: 'dequeue'; readonly conversationId: string }
  /** An agent of the group reports its availability (after any change of status, presence or load). */
  | { readonly type: 'agent-availability'; readonly agent: AgentSnapshot }
  /** Run the router over the agents as last reported. */
  | { readonly type: 'route' }
  /** The agent took these offered conversations (one message for all of one hand-over). */
  | { readonly type: 'offers-accepted'; readonly agentId: string; readonly conversationIds: readonly string[] }
  | { readonly type: 'offer-refused'; readonly conversationId: string; readonly agentId: string }
  /** Manual pick: an agent takes a given waiting conversation, or the next one. */
  | { readonly type: 'pick'; readonly agentId: string; readonly conversationId: string | null }
  /** The queue view (manual pick, supervisor monitor): answered with `waiting`; changes nothing. */
  | { readonly type: 'describe'; readonly limit: number }
  /** Timer: overflow, queue timeout, end of a preferred-agent wait. */
  | { readonly type: 'tick' }
  | { readonly type: 'update-settings'; readonly settings: Partial<QueueSettings> };

/** One waiting visitor as the queue view shows it. */
export type WaitingView = {
  readonly conversationId: string;
  readonly priority: number;
  /** How long the visitor has waited (overflow and transfers keep counting), and how long in this queue. */
  readonly waitedMs: number;
  readonly inQueueMs: number;
  /** An agent it is being handed to right now, if any. */
  readonly offeredTo: string | null;
  readonly preferredAgentId: string | null;
};

export type QueueEffect =
  /** The answer to `describe`: the first `limit` waiting in service order, and the queue's figures. */
  | {
      readonly type: 'waiting';
      readonly total: number;
      readonly entries: readonly WaitingView[];
      readonly longestWaitMs: number;
      /** What a visitor arriving now would be told. */
      readonly estimatedWaitMs: number;
      readonly policy: string;
      readonly agents: readonly AgentSnapshot[];
    }
  /** Reserve a slot with this agent, then assign; answer with offers-accepted / offer-refused. */
  | { readonly type: 'offer'; readonly conversationId: string; readonly agentId: string; readonly ttlMs: number }
  /** Tell the waiting visitor where they stand. */
  | { readonly type: 'position'; readonly conversationId: string; readonly position: number; readonly estimatedWaitMs: number }
  /** Waited too long here: offer the conversation to the fallback skill group. */
  | { readonly type: 'overflow'; readonly conversationId: string; readonly toSkillGroupId: string; readonly priority: number; readonly waitingSince: number }
  /** Waited too long overall: offer the leave-a-message form. */
  | { readonly type: 'timed-out'; readonly conversationId: string }
  /** The queue's single timer: replaces any earlier one; `at: null` cancels it. */
  | { readonly type: 'schedule-tick'; readonly at: number | null }
  /** Something changed that may allow assignments: send `route` (coalescing several requests is fine). */
  | { readonly type: 'route-requested' };

/** The queue command a conversation's `enqueue` effect becomes. */
export const enqueueCommand = (conversationId: string, e: Extract<ConversationEffect, { type: 'enqueue' }>): QueueCommand => ({
  type: 'enqueue',
  conversationId,
  priority: e.priority,
  preferredAgentId: e.preferredAgentId,
  ...(e.preference ? { preference: e.preference } : {}),
  waitingSince: e.waitingSince,
  avoidAgentIds: e.avoidAgentIds,
});
