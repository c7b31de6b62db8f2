/**
 * Messages of the conversation actor. Effects are carried out by the shell in order, with one
 * rule: `append` (the durable log write, the commit point) runs first, and nothing else of the same
 * decision — above all the `ack` — happens unless it succeeded.
 */
import type { Actor, CloseReason, ConversationStatus, MonitorMode, TimerName, Visitor, VisitorContext } from './state.ts';

export type ConversationCommand =
  | {
      readonly type: 'open';
      readonly skillGroupId: string;
      readonly requestedAgentId: string | null;
      readonly preChat: Readonly<Record<string, string>>;
      /** Where the visitor is (page, language, device), for the screen pop. */
      readonly context?: VisitorContext;
      /** Start with the chatbot (bot-first channels). */
      readonly bot: boolean;
      /** Whether the skill group is within working hours (decided by the caller from its calendar). */
      readonly withinWorkingHours: boolean;
    }
  /** `file`: a file uploaded to this conversation (the gateway looked it up); `text` may then be empty (a caption otherwise). */
  | { readonly type: 'post-message'; readonly from: Actor; readonly clientMsgId: string; readonly text: string; readonly file?: SharedFile }
  | { readonly type: 'typing'; readonly from: Actor; readonly typing: boolean }
  | { readonly type: 'read'; readonly by: Actor; readonly seq: number }
  /** Where the conversation stands (answered with `described`; changes nothing). */
  | { readonly type: 'describe' }
  | { readonly type: 'request-human' }
  /** From routing: the agent's slot is reserved; make them responsible. */
  | { readonly type: 'assign'; readonly agentId: string; readonly skillGroupId: string }
  | { readonly type: 'accept'; readonly agentId: string }
  | { readonly type: 'transfer'; readonly by: Actor; readonly to: { readonly agentId: string } | { readonly skillGroupId: string }; readonly memo: string | null }
  | { readonly type: 'invite'; readonly by: Actor; readonly agentId: string }
  /** An invited colleague leaves (the responsible agent cannot: they transfer or close). */
  | { readonly type: 'leave'; readonly agentId: string }
  /** Watch (or change how), or stop (`mode: null`, for all of the supervisor's tabs); `connectionId`: the tab watching. */
  | { readonly type: 'monitor'; readonly supervisorId: string; readonly mode: MonitorMode | null; readonly connectionId?: string }
  /** A tab that watched is gone (closed, not back within the gateway's grace): the watch ends with its last tab. */
  | { readonly type: 'watcher-left'; readonly supervisorId: string; readonly connectionId: string }
  | { readonly type: 'take-over'; readonly supervisorId: string }
  | { readonly type: 'close'; readonly by: Actor; readonly summary: string | null }
  | { readonly type: 'rate'; readonly score: number; readonly comment: string | null }
  /** The agent asks the visitor to rate the conversation now (the visitor is shown the rating form). */
  | { readonly type: 'request-rating'; readonly by: Actor }
  /** Its agent (also after it closed) or a supervisor sets the conversation's tags (all of them: tags.ts). */
  | { readonly type: 'tag'; readonly by: Actor; readonly tags: readonly string[] }
  | { readonly type: 'reopen' }
  | { readonly type: 'leave-message'; readonly text: string; readonly contact: string | null }
  /** From the queue. */
  | { readonly type: 'queue-position'; readonly position: number; readonly estimatedWaitMs: number }
  | { readonly type: 'queue-overflowed'; readonly toSkillGroupId: string }
  | { readonly type: 'queue-timed-out' }
  /** The queue refused the visitor (queue full). */
  | { readonly type: 'queue-refused' }
  /** From the agent actor: the responsible agent went offline. */
  | { readonly type: 'agent-lost'; readonly agentId: string }
  | { readonly type: 'timer'; readonly timer: TimerName; readonly at: number };

/**
 * A file shared in a conversation, as its messages carry it (the bytes are fetched separately by
 * id). `preview`: the size of the image preview the server made of it (a WebP
 * at most 320 px on each side, served beside the file: docs/files.md); absent for files that are
 * not images, and for images it could not read or that are too large to decode safely.
 */
export type SharedFile = {
  readonly id: string;
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  readonly preview?: { readonly width: number; readonly height: number };
};

export type MessageRecord = {
  readonly seq: number;
  readonly clientMsgId: string;
  readonly from: Actor;
  readonly text: string;
  readonly file?: SharedFile;
  /** `internal`: a supervisor's whisper, never shown to the visitor. */
  readonly visibility: 'public' | 'internal';
  readonly at: number;
};

/** Who receives a push: the visitor's connections, the agents' side (assigned, invited, monitoring), or both. */
export type Audience = 'visitor' | 'agents' | 'everyone';

export type Push =
  | { readonly kind: 'message'; readonly message: MessageRecord }
  | { readonly kind: 'typing'; readonly from: Actor; readonly typing: boolean }
  | { readonly kind: 'read'; readonly by: Actor; readonly seq: number }
  | { readonly kind: 'status'; readonly status: ConversationStatus; readonly agentId: string | null }
  /** Who is on the agents' side changed (an invitation, a colleague leaving, a supervisor watching or not): agents only. */
  | { readonly kind: 'participants' }
  | { readonly kind: 'queue'; readonly position: number; readonly estimatedWaitMs: number }
  | { readonly kind: 'reminder'; readonly timer: TimerName }
  | { readonly kind: 'rating-requested' }
  | { readonly kind: 'leave-message-form' };

/** Facts published on `kefu.conversations.v1`, the source of every report. */
export type ConversationEvent = { readonly conversationId: string; readonly at: number } & (
  | { readonly name: 'conversation.created'; readonly channelId: string; readonly visitor: Visitor; readonly skillGroupId: string }
  | { readonly name: 'conversation.queued'; readonly skillGroupId: string; readonly priority: number; readonly reason: 'opened' | 'human-requested' | 'transferred' | 'overflow' | 'agent-lost' | 'no-answer' | 'reopened' }
  | { readonly name: 'conversation.assigned'; readonly agentId: string; readonly skillGroupId: string; readonly waitedMs: number }
  | { readonly name: 'conversation.accepted'; readonly agentId: string }
  | { readonly name: 'conversation.first-agent-reply'; readonly agentId: string; readonly sinceCreatedMs: number }
  | { readonly name: 'conversation.transferred'; readonly fromAgentId: string | null; readonly to: { readonly agentId: string } | { readonly skillGroupId: string }; readonly by: Actor; readonly memo: string | null }
  | { readonly name: 'conversation.offline'; readonly reason: 'outside-working-hours' | 'queue-timeout' | 'queue-full' }
  | { readonly name: 'conversation.message-left'; readonly text: string; readonly contact: string | null }
  | { readonly name: 'conversation.closed'; readonly by: Actor; readonly reason: CloseReason; readonly agentId: string | null; readonly summary: string | null }
  | { readonly name: 'conversation.rated'; readonly score: number; readonly comment: string | null; readonly agentId: string | null }
  | { readonly name: 'conversation.tagged'; readonly tags: readonly string[]; readonly by: Actor }
  | { readonly name: 'conversation.reopened' }
);

export type ConversationEffect =
  | { readonly type: 'append'; readonly message: MessageRecord }
  | { readonly type: 'ack'; readonly clientMsgId: string; readonly seq: number; readonly duplicate: boolean }
  /** The answer to `describe`. */
  | {
      readonly type: 'described';
      readonly tenantId: string;
      readonly status: ConversationStatus;
      readonly agentId: string | null;
      /** Its agent has taken it (accepted, or answered). */
      readonly accepted: boolean;
      readonly lastSeq: number;
      /** What an agent's screen pop shows (the agent gateway sends it only to the conversation's agent). */
      readonly channelId: string;
      readonly skillGroupId: string | null;
      readonly visitor: Visitor;
      readonly preChat: Readonly<Record<string, string>>;
      readonly context: VisitorContext;
      readonly transferMemo: string | null;
      readonly invitedAgentIds: readonly string[];
      readonly monitors: readonly { readonly supervisorId: string; readonly mode: MonitorMode }[];
      readonly tags: readonly string[];
    }
  /**
   * `agents`: the accounts on the agents' side who hear it — the responsible agent, invited
   * colleagues and watching supervisors, as they were before the decision and after it (someone
   * it removed still hears of their removal). Empty when only the visitor hears it.
   */
  | { readonly type: 'push'; readonly to: Audience; readonly push: Push; readonly agents: readonly string[] }
  | { readonly type: 'emit'; readonly event: ConversationEvent }
  | {
      readonly type: 'enqueue';
      readonly skillGroupId: string;
      readonly priority: number;
      readonly preferredAgentId: string | null;
      readonly preference: 'sticky' | 'requested' | null;
      readonly avoidAgentIds: readonly string[];
      readonly waitingSince: number;
    }
  | { readonly type: 'dequeue'; readonly skillGroupId: string }
  /** The agent no longer holds this conversation: free their slot. */
  | { readonly type: 'release-agent'; readonly agentId: string }
  /** A colleague joined or left the invited (tell their agent actor, so their workstation lists it). */
  | { readonly type: 'invitation'; readonly agentId: string; readonly invited: boolean }
  | { readonly type: 'schedule'; readonly timer: TimerName; readonly at: number }
  | { readonly type: 'cancel'; readonly timer: TimerName };
