/**
 * The conversation actor's durable state (one per visitor conversation): lifecycle status,
 * participants, message sequence and de-duplication window, timers, and the facts reports need.
 *
 *   new ─open─► bot ─request-human─► queued ─assign─► assigned ─transfer(agent)─► transferred ─accept─► assigned
 *    │                                 ▲  ▲             │  │                                       │
 *    │                                 │  └─transfer(group), agent offline, no answer ─┘  │          │
 *    └──(outside working hours)──► offline-message ◄─queue timeout── queued              close ─► closed ─reopen─► queued
 */

export type ConversationStatus = 'new' | 'bot' | 'queued' | 'assigned' | 'transferred' | 'closed' | 'offline-message';

/** Who did something. Supervisors act through monitoring; the system through timers and routing. */
export type Actor =
  | { readonly kind: 'visitor' }
  | { readonly kind: 'agent'; readonly agentId: string }
  | { readonly kind: 'supervisor'; readonly supervisorId: string }
  | { readonly kind: 'bot' }
  | { readonly kind: 'system' };

export type Visitor = {
  readonly visitorId: string;
  readonly displayName: string | null;
  /** Verified by the channel's identity HMAC. */
  readonly identified: boolean;
  readonly vip: boolean;
  /** The agent who served this visitor last (sticky routing). */
  readonly lastAgentId: string | null;
};

/** Where the visitor was when the conversation began, for the agent's screen pop. */
export type VisitorContext = {
  readonly page: { readonly url: string; readonly title: string | null; readonly referrer: string | null } | null;
  /** The browser's language (`zh-CN`). */
  readonly locale: string | null;
  /** A short description of the browser and system (`Chrome 131 · Windows`). */
  readonly device: string | null;
  /** The browser's time zone (IANA, `Asia/Shanghai`): where the visitor roughly is, and their local time. */
  readonly timeZone: string | null;
};

export const NO_CONTEXT: VisitorContext = { page: null, locale: null, device: null, timeZone: null };

/** 坐席监控: watch silently, whisper to the agent only, or barge in (the visitor sees them). */
export type MonitorMode = 'monitor' | 'whisper' | 'barge';

/**
 * A supervisor watching the conversation. `tabs`: the connections (workstation tabs) watching it —
 * the watch ends when the last of them has gone (`watcher-left`) or the supervisor stops it. A
 * watch started without a tab, or before tabs were recorded, has none and ends only when stopped.
 */
export type Monitor = { readonly supervisorId: string; readonly mode: MonitorMode; readonly tabs?: readonly string[] };

/** The most tabs recorded for one watch (the newest). */
export const MAX_WATCHING_TABS = 10;

export type CloseReason = 'agent' | 'visitor' | 'supervisor' | 'visitor-idle' | 'offline-message' | 'system';

export type TimerName = 'visitor-idle-reminder' | 'visitor-idle-close' | 'agent-no-reply-reminder' | 'agent-no-answer';

export type ConversationSettings = {
  /** After the agent's last message, remind an idle visitor, then close the conversation. */
  readonly visitorIdleReminderMs: number | null;
  readonly visitorIdleCloseMs: number | null;
  /** Remind the agent when the visitor waits this long for an answer. */
  readonly agentNoReplyReminderMs: number | null;
  /** An assignment not accepted within this is offered to someone else. */
  readonly agentNoAnswerMs: number | null;
  /** A closed conversation can be reopened (and rated) by the visitor within this window. */
  readonly reopenWindowMs: number;
  readonly maxMessageLength: number;
};

export const DEFAULT_CONVERSATION_SETTINGS: ConversationSettings = {
  visitorIdleReminderMs: 5 * 60_000,
  visitorIdleCloseMs: 10 * 60_000,
  agentNoReplyReminderMs: 60_000,
  agentNoAnswerMs: 30_000,
  reopenWindowMs: 15 * 60_000,
  maxMessageLength: 5_000,
};

/** How many recent client message ids a conversation remembers for de-duplication. */
export const DEDUPE_WINDOW = 512;

/**
 * How many of them its snapshot carries (`snapshotOf`). A conversation activated from its snapshot
 * reads the others back from the message log's table (`withLoggedClientMsgIds`); the snapshot's
 * share covers what that table may not hold yet — in cluster mode the persister writes it a moment
 * after the Kafka append. Rewriting the whole window with every message's snapshot cost 17 % of the
 * embedded mode's durable messages/s (docs/benchmarks.md).
 */
export const SNAPSHOT_DEDUPE_ENTRIES = 16;

/** A de-duplication window entry: [clientMsgId, seq, sender] (no sender: recorded before senders were). */
export type DedupeEntry = readonly [string, number, string?];

export type ConversationState = {
  readonly conversationId: string;
  readonly tenantId: string;
  readonly channelId: string;
  readonly status: ConversationStatus;
  readonly visitor: Visitor;
  readonly preChat: Readonly<Record<string, string>>;
  /** Absent in snapshots written before it existed: read it through `contextOf`. */
  readonly context?: VisitorContext;
  /** The skill group that routes it (the queue it waits in, or the group of its agent). */
  readonly skillGroupId: string | null;
  readonly requestedAgentId: string | null;
  readonly priority: number;
  /** The agent responsible now (assigned, or the target of a pending transfer). */
  readonly agentId: string | null;
  readonly acceptedAt: number | null;
  readonly transferMemo: string | null;
  readonly invitedAgentIds: readonly string[];
  readonly monitors: readonly Monitor[];
  /** Agents who let this conversation go unanswered (not offered it again). */
  readonly unansweredBy: readonly string[];
  readonly lastSeq: number;
  /**
   * [clientMsgId, seq, sender] for the newest DEDUPE_WINDOW messages, oldest first. A resend is a
   * duplicate only from the same sender (`senderKey`); entries written before the sender was
   * recorded have none and match any sender.
   */
  readonly recentClientMsgIds: readonly DedupeEntry[];
  readonly visitorReadSeq: number;
  readonly agentReadSeq: number;
  /** Due time of each running timer; a timer firing at another time is stale and ignored. */
  readonly timers: Readonly<Partial<Record<TimerName, number>>>;
  readonly createdAt: number;
  /** When the visitor started waiting for a human (kept across overflow and transfers to a group). */
  readonly waitingSince: number | null;
  readonly firstAgentReplyAt: number | null;
  readonly closedAt: number | null;
  readonly closeReason: CloseReason | null;
  readonly summary: string | null;
  readonly rating: { readonly score: number; readonly comment: string | null } | null;
  /** What its agents tagged it with (tags.ts). Absent in snapshots written before it existed: read it through `tagsOf`. */
  readonly tags?: readonly string[];
  readonly settings: ConversationSettings;
};

export function newConversation(input: {
  conversationId: string;
  tenantId: string;
  channelId: string;
  visitor: Visitor;
  settings?: Partial<ConversationSettings>;
  now: number;
}): ConversationState {
  return {
    conversationId: input.conversationId,
    tenantId: input.tenantId,
    channelId: input.channelId,
    status: 'new',
    visitor: input.visitor,
    preChat: {},
    skillGroupId: null,
    requestedAgentId: null,
    priority: 0,
    agentId: null,
    acceptedAt: null,
    transferMemo: null,
    invitedAgentIds: [],
    monitors: [],
    unansweredBy: [],
    lastSeq: 0,
    recentClientMsgIds: [],
    visitorReadSeq: 0,
    agentReadSeq: 0,
    timers: {},
    createdAt: input.now,
    waitingSince: null,
    firstAgentReplyAt: null,
    closedAt: null,
    closeReason: null,
    summary: null,
    rating: null,
    settings: { ...DEFAULT_CONVERSATION_SETTINGS, ...input.settings },
  };
}

/** The context, with what a snapshot written before a field existed lacks filled in. */
export const contextOf = (s: ConversationState): VisitorContext => (s.context ? { ...NO_CONTEXT, ...s.context } : NO_CONTEXT);

export const tagsOf = (s: ConversationState): readonly string[] => s.tags ?? [];

/**
 * The accounts on the agents' side of a conversation: its agent, invited colleagues, watching
 * supervisors. Works on the state and on its description (`described`) alike.
 */
export const participants = (s: Pick<ConversationState, 'agentId' | 'invitedAgentIds' | 'monitors'>): string[] => [
  ...(s.agentId !== null ? [s.agentId] : []),
  ...s.invitedAgentIds,
  ...s.monitors.map((m) => m.supervisorId),
];

/** Statuses in which the conversation is live (messages accepted). */
export const isOpen = (s: ConversationState): boolean =>
  s.status === 'bot' || s.status === 'queued' || s.status === 'assigned' || s.status === 'transferred';

/** Who sent a message, as the de-duplication window records it. */
export function senderKey(from: Actor): string {
  switch (from.kind) {
    case 'agent':
      return `agent:${from.agentId}`;
    case 'supervisor':
      return `supervisor:${from.supervisorId}`;
    default:
      return from.kind;
  }
}

/**
 * The window's entry of a client id from this sender, if it holds one. Every new message looks
 * through the whole window: a plain loop, newest first (a callback destructuring each entry took
 * 3.6 µs for 512 entries, this 1 µs).
 */
export function knownClientMsgId(state: ConversationState, clientMsgId: string, sender: string): DedupeEntry | undefined {
  const window = state.recentClientMsgIds;
  for (let i = window.length - 1; i >= 0; i--) {
    const entry = window[i]!;
    if (entry[0] === clientMsgId && (entry[2] === undefined || entry[2] === sender)) return entry;
  }
  return undefined;
}

/** The state as its snapshot stores it: only the newest SNAPSHOT_DEDUPE_ENTRIES entries of the de-duplication window. */
export function snapshotOf(state: ConversationState): ConversationState {
  if (state.recentClientMsgIds.length <= SNAPSHOT_DEDUPE_ENTRIES) return state;
  return { ...state, recentClientMsgIds: state.recentClientMsgIds.slice(-SNAPSHOT_DEDUPE_ENTRIES) };
}

/**
 * A state read back from its snapshot, its de-duplication window completed from the message log:
 * `logged` are (some of) its newest messages through `lastSeq`, as the log's table holds them. The
 * snapshot's own entries win: in cluster mode the table may still hold, for a moment, a fenced
 * former owner's message at a seq the conversation gave another (until the persister applies the
 * new owner's claim, docs/message-log.md).
 */
export function withLoggedClientMsgIds(stored: ConversationState, logged: readonly { readonly seq: number; readonly clientMsgId: string; readonly from: Actor }[]): ConversationState {
  const bySeq = new Map<number, DedupeEntry>(stored.recentClientMsgIds.map((entry) => [entry[1], entry]));
  for (const m of logged) if (m.seq <= stored.lastSeq && !bySeq.has(m.seq)) bySeq.set(m.seq, [m.clientMsgId, m.seq, senderKey(m.from)]);
  const window = [...bySeq.values()].sort((a, b) => a[1] - b[1]).slice(-DEDUPE_WINDOW);
  return { ...stored, recentClientMsgIds: window };
}
