/**
 * Agent protocol v1: the frames the workstation and the agent gateway exchange, as zod schemas —
 * the single source of the protocol's shape (docs/protocol/agent.md explains the rules). The
 * framing is the visitor protocol's (JSON objects discriminated by `type`, the same limits on size
 * and nesting, the same frame errors and close codes).
 *
 * Three kinds of work share one connection: an agent's own conversations (presence, assignment,
 * chat, transfer, close), working with colleagues (invitations), and a supervisor's (坐席监控:
 * watching, whispering, barging in, taking over, the queue view). Frames a supervisor sends in that
 * capacity say so with `as: 'supervisor'`; the gateway then checks the monitoring permissions.
 */
import { z } from 'zod';
import { CLOSE_CODES, decodeFrame, fileRef, hasContent, sharedFile, type WireError } from '../visitor/wire.ts';

export const AGENT_PROTOCOL_VERSION = 1;

export const AGENT_LIMITS = {
  maxFrameBytes: 16 * 1024,
  maxNesting: 8,
  maxTextLength: 5_000,
  maxSummaryLength: 2_000,
  /** Conversations a `hello` may name as watched (a supervisor's desk watches a handful). */
  maxWatching: 50,
} as const;

/** The close codes this protocol uses: the visitor protocol's, with the same meaning (4000–4499 reconnect, 4500–4999 final). */
export const AGENT_CLOSE_CODES = {
  SERVER_SHUTDOWN: CLOSE_CODES.SERVER_SHUTDOWN,
  HEARTBEAT_TIMEOUT: CLOSE_CODES.HEARTBEAT_TIMEOUT,
  SLOW_CONSUMER: CLOSE_CODES.SLOW_CONSUMER,
  RATE_LIMITED: CLOSE_CODES.RATE_LIMITED,
  PROTOCOL_VIOLATION: CLOSE_CODES.PROTOCOL_VIOLATION,
  UNAUTHORIZED: CLOSE_CODES.UNAUTHORIZED,
  UNSUPPORTED_VERSION: CLOSE_CODES.UNSUPPORTED_VERSION,
} as const;

const conversationId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a conversation id');
const accountId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an account id');
const skillGroupId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a skill group id');
/** Acting as a supervisor of the conversation's skill group (needs `monitoring.intervene` there) rather than as one of its agents. */
const as = z.literal('supervisor').optional();
const clientMsgId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64');
const seq = z.number().int().min(0);
/** What an agent may choose; `offline` is signing out (close the socket), not a status to set. */
const chosenStatus = z.enum(['ready', 'busy', 'away']);
const agentStatus = z.enum(['ready', 'busy', 'away', 'offline']);

// ---- client → gateway ----------------------------------------------------------------------

export const agentClientFrames = {
  /** First frame on every connection. `status`: what this tab wants (default: as the agent is, or ready when offline). */
  /** `watching`: the conversations a reconnecting supervisor's tab watched (the welcome lists those still watched). */
  hello: z.strictObject({ type: z.literal('hello'), v: z.number().int().positive(), status: chosenStatus.optional(), watching: z.array(conversationId).max(AGENT_LIMITS.maxWatching).optional() }),
  'set-status': z.strictObject({ type: z.literal('set-status'), status: chosenStatus }),
  /** Take a conversation assigned to you (answered by its `conversation` push with status `assigned`, accepted). */
  accept: z.strictObject({ type: z.literal('accept'), conversationId }),
  /**
   * A chat message; answered with `ack` once it is durable. Resending the same `clientMsgId` returns
   * the first ack. As a supervisor: a whisper (only the agents see it) or, barging in, to everyone.
   * With `file`, a file this account uploaded to the conversation; `text` is then its caption and may be empty.
   */
  message: z
    .strictObject({ type: z.literal('message'), conversationId, clientMsgId, text: z.string().max(AGENT_LIMITS.maxTextLength), file: fileRef.optional(), as })
    .refine(hasContent, { message: 'a message needs text or a file', path: ['text'] }),
  typing: z.strictObject({ type: z.literal('typing'), conversationId, typing: z.boolean(), as }),
  read: z.strictObject({ type: z.literal('read'), conversationId, seq }),
  /**
   * The messages of one of your conversations after `afterSeq` (all without it), internal ones
   * included: answered with `message` frames in `seq` order, then `history` with the last `seq`.
   */
  history: z.strictObject({ type: z.literal('history'), conversationId, afterSeq: seq.optional() }),
  /**
   * The visitor's earlier conversations (the screen pop's history), of one of your conversations:
   * answered with `visitor-history`, newest first, at most 10 — those within your reach (history.read
   * over their skill group's department, or served by you).
   */
  'visitor-history': z.strictObject({ type: z.literal('visitor-history'), conversationId }),
  /** Hand the conversation to another agent, or back to a skill group's queue, with a note for whoever takes it. */
  transfer: z.strictObject({
    type: z.literal('transfer'),
    conversationId,
    to: z.union([z.strictObject({ agentId: accountId }), z.strictObject({ skillGroupId })]),
    memo: z.string().max(AGENT_LIMITS.maxSummaryLength).optional(),
    as,
  }),
  /** End the conversation, with an optional summary (小结) for history and reports. */
  close: z.strictObject({ type: z.literal('close'), conversationId, summary: z.string().max(AGENT_LIMITS.maxSummaryLength).optional(), as }),
  /** Bring a colleague into the conversation (协助): they see and write in it while the conversation stays yours. */
  invite: z.strictObject({ type: z.literal('invite'), conversationId, agentId: accountId, as }),
  /** An invited colleague leaves the conversation. */
  leave: z.strictObject({ type: z.literal('leave'), conversationId }),
  /** Ask the visitor to rate the conversation now (邀请评价): their widget shows the rating form; answered with `rating-requested`. */
  'request-rating': z.strictObject({ type: z.literal('request-rating'), conversationId }),
  /**
   * Set the conversation's tags (标签), all of them: its agent (also after it closed), or a
   * supervisor intervening (`as`). Each 1–32 letters, digits, spaces or -; at most 10; the same tag in
   * another case is one tag. Everyone on its agents' side gets the new `conversation` view.
   */
  tag: z.strictObject({ type: z.literal('tag'), conversationId, tags: z.array(z.string().max(64)).max(20), as }),
  /**
   * Block the conversation's visitor (拉黑) — its agent, or a supervisor intervening (`as`): they go
   * on the blacklist for `days` (absent or null: until unblocked), their open widgets close, and a
   * conversation still open ends with the reason as its summary. Answered with `visitor-blocked`.
   */
  'block-visitor': z.strictObject({
    type: z.literal('block-visitor'),
    conversationId,
    reason: z.string().max(500).optional(),
    days: z.number().int().min(1).max(3650).nullable().optional(),
    as,
  }),
  /**
   * A supervisor watches a live conversation (`monitor`, read-only), whispers to its agents
   * (`whisper`: internal messages), joins it (`barge`: the visitor sees them) or stops (`stop`).
   */
  monitor: z.strictObject({ type: z.literal('monitor'), conversationId, mode: z.enum(['monitor', 'whisper', 'barge', 'stop']) }),
  /** A supervisor takes the conversation over: it becomes theirs (beyond their capacity), its agent is released. */
  'take-over': z.strictObject({ type: z.literal('take-over'), conversationId }),
  /** The queue view of a skill group: who waits, in service order (answered with `queue`). */
  queue: z.strictObject({ type: z.literal('queue'), skillGroupId }),
  /** The agent board (坐席监控) of the supervisor's department and below: answered with `agents`. Needs `monitoring.read`. */
  agents: z.strictObject({ type: z.literal('agents') }),
  /** A supervisor sets an agent's status (强制置忙/示闲/签出); `offline` signs them out of routing. Answered with `agent-status`. */
  'force-status': z.strictObject({ type: z.literal('force-status'), agentId: accountId, status: agentStatus }),
  /** Who is on the site right now, of the channels of your skill groups (and, for supervisors, of the groups they oversee): answered with `visitors`. */
  visitors: z.strictObject({ type: z.literal('visitors') }),
  /** Proactive invitation (主动邀请): the visitor's widget shows your invitation to chat; answered with `visitor-invited`. */
  'invite-visitor': z.strictObject({ type: z.literal('invite-visitor'), visitorId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a visitor id'), text: z.string().max(500).optional() }),
  /** Manual pick (抢单): take a waiting conversation of one of your skill groups — the given one, or the next in line. */
  pick: z.strictObject({ type: z.literal('pick'), skillGroupId, conversationId: conversationId.optional() }),
  ping: z.strictObject({ type: z.literal('ping') }),
} as const;

const c = agentClientFrames;
export const agentClientFrame = z.discriminatedUnion('type', [
  c.hello,
  c['set-status'],
  c.accept,
  c.message,
  c.typing,
  c.read,
  c.history,
  c['visitor-history'],
  c.transfer,
  c.close,
  c['request-rating'],
  c['block-visitor'],
  c.tag,
  c.invite,
  c.leave,
  c.monitor,
  c['take-over'],
  c.queue,
  c.pick,
  c.visitors,
  c['invite-visitor'],
  c['force-status'],
  c.agents,
  c.ping,
]);
export type AgentClientFrame = z.infer<typeof agentClientFrame>;

// ---- gateway → client ----------------------------------------------------------------------

const conversationStatus = z.enum(['new', 'bot', 'queued', 'assigned', 'transferred', 'closed', 'offline-message']);
const sender = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('visitor') }),
  z.strictObject({ kind: z.literal('agent'), agentId: z.string() }),
  z.strictObject({ kind: z.literal('supervisor'), supervisorId: z.string() }),
  z.strictObject({ kind: z.literal('bot') }),
  z.strictObject({ kind: z.literal('system') }),
]);
/** An agent as the supervisor's board shows them. */
const boardAgent = z.strictObject({
  agentId: z.string(),
  displayName: z.string(),
  status: agentStatus,
  /** Conversations held plus slots being handed over, against the most they take at once. */
  load: z.number().int().min(0),
  maxConversations: z.number().int().min(0),
  conversations: z.array(z.string()),
});
const visitorView = z.strictObject({ id: z.string(), name: z.string().nullable(), identified: z.boolean(), vip: z.boolean() });
/**
 * One conversation as its agents' side sees it: where it stands, the last `seq` it holds, who is
 * on the agents' side (its agent, invited colleagues, watching supervisors), and the screen pop —
 * who the visitor is, from which channel and skill group, their pre-chat form, and the note of
 * whoever transferred it.
 */
const conversationView = z.strictObject({
  conversationId,
  status: conversationStatus,
  agentId: z.string().nullable(),
  /** Its agent has taken it (`accept`, or by answering); false while it is only offered (assigned or transferred to them). */
  accepted: z.boolean(),
  lastSeq: seq,
  invitedAgentIds: z.array(z.string()),
  monitors: z.array(z.strictObject({ supervisorId: z.string(), mode: z.enum(['monitor', 'whisper', 'barge']) })),
  visitor: visitorView,
  /** Where the visitor was when the conversation began: the page, the browser's language, the device. */
  context: z.strictObject({
    page: z.strictObject({ url: z.string(), title: z.string().nullable(), referrer: z.string().nullable() }).nullable(),
    locale: z.string().nullable(),
    device: z.string().nullable(),
    /** The browser's IANA time zone (`Asia/Shanghai`). */
    timeZone: z.string().nullable(),
  }),
  channelId: z.string(),
  skillGroupId: z.string().nullable(),
  preChat: z.record(z.string(), z.string()),
  transferMemo: z.string().nullable(),
  /** What its agents tagged it with (`tag`). */
  tags: z.array(z.string()),
});

export const agentServerFrames = {
  welcome: z.strictObject({
    type: z.literal('welcome'),
    v: z.literal(AGENT_PROTOCOL_VERSION),
    /** `takesConversations`: false for a supervisor who is not an agent (they watch and whisper, nothing is assigned to them). */
    agent: z.strictObject({ id: z.string(), displayName: z.string(), status: agentStatus, takesConversations: z.boolean() }),
    /** The agent's conversations now (assigned or taken): fetch their messages with `history`. */
    conversations: z.array(conversationView),
    /** Send `ping` at least this often; a connection silent for twice as long is closed (4001). */
    heartbeatMs: z.number().int().positive(),
  }),
  /** The agent's status changed (this tab, another tab, a supervisor, or the last tab leaving). */
  presence: z.strictObject({ type: z.literal('presence'), status: agentStatus }),
  /**
   * A conversation this account is (or just was) on the agents' side of changed: newly assigned
   * (ring!), accepted, transferred, closed, a colleague invited or gone, a supervisor watching.
   */
  conversation: z.strictObject({ type: z.literal('conversation'), ...conversationView.shape }),
  /** The answer to `visitors`: who is online now (at most 200, the most recently arrived first). */
  visitors: z.strictObject({
    type: z.literal('visitors'),
    visitors: z.array(
      z.strictObject({
        visitorId: z.string(),
        name: z.string().nullable(),
        identified: z.boolean(),
        channelId: z.string(),
        skillGroupId: z.string(),
        page: z.strictObject({ url: z.string(), title: z.string().nullable(), referrer: z.string().nullable() }).nullable(),
        locale: z.string().nullable(),
        /** The browser's IANA time zone, if it said (their local time: desk/names.ts). */
        timeZone: z.string().nullable(),
        device: z.string().nullable(),
        /** When they arrived (ms since the epoch). */
        since: z.number(),
        /** Their conversation, if they are in one (or were last). */
        conversationId: z.string().nullable(),
      }),
    ),
  }),
  /**
   * The answer to `agents`: the active agents of the supervisor's subtree (at most 500, in org-tree
   * order), as they are now. For 30 s after it (asking again renews that), each change of one of them follows as `board-agent`.
   */
  agents: z.strictObject({ type: z.literal('agents'), agents: z.array(boardAgent) }),
  /** One agent of the board as it is now, after a change of their status or load (see `agents`). */
  'board-agent': z.strictObject({ type: z.literal('board-agent'), agent: boardAgent }),
  /** The answer to `force-status`: the agent's status now (their own tabs hear it as `presence`). */
  'agent-status': z.strictObject({ type: z.literal('agent-status'), agentId: z.string(), status: agentStatus }),
  /** The invitation is showing on the visitor's tabs. */
  'visitor-invited': z.strictObject({ type: z.literal('visitor-invited'), visitorId: z.string() }),
  /** The answer to `request-rating`: the visitor is being shown the rating form. */
  'rating-requested': z.strictObject({ type: z.literal('rating-requested'), conversationId }),
  /** The answer to `block-visitor`: the visitor is blocked until `until` (ms since the epoch; null: until unblocked). */
  'visitor-blocked': z.strictObject({ type: z.literal('visitor-blocked'), conversationId, visitorId: z.string(), until: z.number().int().nullable() }),
  /** The visitor has waited too long for an answer in this conversation. */
  reminder: z.strictObject({ type: z.literal('reminder'), conversationId, timer: z.literal('agent-no-reply-reminder') }),
  /** The answer to `queue`: the first 50 waiting in service order, and the queue's figures. */
  queue: z.strictObject({
    type: z.literal('queue'),
    skillGroupId: z.string(),
    policy: z.enum(['idle-first', 'least-busy', 'round-robin', 'manual']),
    total: z.number().int().min(0),
    longestWaitMs: z.number().int().min(0),
    /** What a visitor arriving now is told to expect. */
    estimatedWaitMs: z.number().int().min(0),
    waiting: z.array(
      z.strictObject({
        conversationId: z.string(),
        priority: z.number().int(),
        waitedMs: z.number().int().min(0),
        /** Being handed to this agent right now. */
        offeredTo: z.string().nullable(),
        visitor: visitorView,
        channelId: z.string(),
        preChat: z.record(z.string(), z.string()),
      }),
    ),
    /** The group's agents as routing sees them — shown to supervisors (`monitoring.read`) only, else empty. */
    agents: z.array(z.strictObject({ agentId: z.string(), status: agentStatus, load: z.number().int().min(0), maxConversations: z.number().int().min(0), freeSlots: z.number().int().min(0) })),
  }),
  message: z.strictObject({ type: z.literal('message'), conversationId, seq, clientMsgId: z.string(), from: sender, visibility: z.enum(['public', 'internal']), text: z.string(), file: sharedFile.optional(), at: z.number() }),
  typing: z.strictObject({ type: z.literal('typing'), conversationId, from: sender, typing: z.boolean() }),
  read: z.strictObject({ type: z.literal('read'), conversationId, by: sender, seq }),
  ack: z.strictObject({ type: z.literal('ack'), conversationId, clientMsgId: z.string(), seq }),
  /** The end of the answer to a `history` request: every message up to `lastSeq` has been sent. */
  history: z.strictObject({ type: z.literal('history'), conversationId, lastSeq: seq }),
  /** The answer to `visitor-history`: the visitor's earlier conversations, newest first (times in epoch ms). */
  'visitor-history': z.strictObject({
    type: z.literal('visitor-history'),
    conversationId,
    conversations: z.array(
      z.strictObject({
        conversationId: z.string(),
        status: z.enum(['open', 'closed']),
        createdAt: z.number(),
        closedAt: z.number().nullable(),
        agentId: z.string().nullable(),
        skillGroupId: z.string().nullable(),
        summary: z.string().nullable(),
        rating: z.strictObject({ score: z.number().int(), comment: z.string().nullable() }).nullable(),
      }),
    ),
  }),
  error: z.strictObject({
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    temporary: z.boolean(),
    conversationId: z.string().optional(),
    clientMsgId: z.string().optional(),
  }),
  pong: z.strictObject({ type: z.literal('pong') }),
} as const;

const s = agentServerFrames;
export const agentServerFrame = z.discriminatedUnion('type', [s.welcome, s.presence, s.conversation, s.reminder, s.queue, s.visitors, s['visitor-invited'], s['rating-requested'], s['visitor-blocked'], s['agent-status'], s.agents, s['board-agent'], s.message, s.typing, s.read, s.ack, s.history, s['visitor-history'], s.error, s.pong]);
export type AgentServerFrame = z.infer<typeof agentServerFrame>;

/** Decodes one agent client frame; never throws. */
export const decodeAgentFrame = (data: ArrayBuffer | string): { ok: true; frame: AgentClientFrame } | { ok: false; error: WireError } =>
  decodeFrame(data, AGENT_LIMITS, agentClientFrames, agentClientFrame);
