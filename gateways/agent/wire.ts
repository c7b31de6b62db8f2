/**
 * Agent protocol v1: the frames the workstation and the agent gateway exchange, as zod schemas —
 * the single source of the protocol's shape (docs/protocol/agent.md explains the rules). The
 * framing is the visitor protocol's (JSON objects discriminated by `type`, the same limits on size
 * and nesting, the same frame errors and close codes).
 *
 * This is the first part of the protocol: presence, the conversations assigned to the agent, chat
 * in them, transfer and close. Invitations, supervisor streams and the queue view come next.
 */
import { z } from 'zod';
import { CLOSE_CODES, decodeFrame, type WireError } from '../visitor/wire.ts';

export const AGENT_PROTOCOL_VERSION = 1;

export const AGENT_LIMITS = {
  maxFrameBytes: 16 * 1024,
  maxNesting: 8,
  maxTextLength: 5_000,
  maxSummaryLength: 2_000,
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
const clientMsgId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64');
const seq = z.number().int().min(0);
/** What an agent may choose; `offline` is signing out (close the socket), not a status to set. */
const chosenStatus = z.enum(['ready', 'busy', 'away']);
const agentStatus = z.enum(['ready', 'busy', 'away', 'offline']);

// ---- client → gateway ----------------------------------------------------------------------

export const agentClientFrames = {
  /** First frame on every connection. `status`: what this tab wants (default: as the agent is, or ready when offline). */
  hello: z.strictObject({ type: z.literal('hello'), v: z.number().int().positive(), status: chosenStatus.optional() }),
  'set-status': z.strictObject({ type: z.literal('set-status'), status: chosenStatus }),
  /** Take a conversation assigned to you (answered by its `conversation` push with status `assigned`, accepted). */
  accept: z.strictObject({ type: z.literal('accept'), conversationId }),
  /** A chat message; answered with `ack` once it is durable. Resending the same `clientMsgId` returns the first ack. */
  message: z.strictObject({ type: z.literal('message'), conversationId, clientMsgId, text: z.string().min(1).max(AGENT_LIMITS.maxTextLength) }),
  typing: z.strictObject({ type: z.literal('typing'), conversationId, typing: z.boolean() }),
  read: z.strictObject({ type: z.literal('read'), conversationId, seq }),
  /**
   * The messages of one of your conversations after `afterSeq` (all without it), internal ones
   * included: answered with `message` frames in `seq` order, then `history` with the last `seq`.
   */
  history: z.strictObject({ type: z.literal('history'), conversationId, afterSeq: seq.optional() }),
  /** Hand the conversation to another agent, or back to a skill group's queue, with a note for whoever takes it. */
  transfer: z.strictObject({
    type: z.literal('transfer'),
    conversationId,
    to: z.union([z.strictObject({ agentId: z.string().min(1).max(64) }), z.strictObject({ skillGroupId: z.string().min(1).max(64) })]),
    memo: z.string().max(AGENT_LIMITS.maxSummaryLength).optional(),
  }),
  /** End the conversation, with an optional summary (小结) for history and reports. */
  close: z.strictObject({ type: z.literal('close'), conversationId, summary: z.string().max(AGENT_LIMITS.maxSummaryLength).optional() }),
  ping: z.strictObject({ type: z.literal('ping') }),
} as const;

const c = agentClientFrames;
export const agentClientFrame = z.discriminatedUnion('type', [c.hello, c['set-status'], c.accept, c.message, c.typing, c.read, c.history, c.transfer, c.close, c.ping]);
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
/**
 * One conversation as its agent sees it: where it stands, the last `seq` it holds, and the screen
 * pop — who the visitor is, from which channel and skill group, their pre-chat form, and the note
 * of whoever transferred it.
 */
const conversationView = z.strictObject({
  conversationId,
  status: conversationStatus,
  agentId: z.string().nullable(),
  lastSeq: seq,
  visitor: z.strictObject({ id: z.string(), name: z.string().nullable(), identified: z.boolean(), vip: z.boolean() }),
  channelId: z.string(),
  skillGroupId: z.string().nullable(),
  preChat: z.record(z.string(), z.string()),
  transferMemo: z.string().nullable(),
});

export const agentServerFrames = {
  welcome: z.strictObject({
    type: z.literal('welcome'),
    v: z.literal(AGENT_PROTOCOL_VERSION),
    agent: z.strictObject({ id: z.string(), displayName: z.string(), status: agentStatus }),
    /** The agent's conversations now (assigned or taken): fetch their messages over the history API. */
    conversations: z.array(conversationView),
    /** Send `ping` at least this often; a connection silent for twice as long is closed (4001). */
    heartbeatMs: z.number().int().positive(),
  }),
  /** The agent's status changed (this tab, another tab, a supervisor, or the last tab leaving). */
  presence: z.strictObject({ type: z.literal('presence'), status: agentStatus }),
  /** A conversation of the agent changed status: newly assigned (ring!), accepted, transferred away, closed. */
  conversation: z.strictObject({ type: z.literal('conversation'), ...conversationView.shape }),
  message: z.strictObject({ type: z.literal('message'), conversationId, seq, clientMsgId: z.string(), from: sender, visibility: z.enum(['public', 'internal']), text: z.string(), at: z.number() }),
  typing: z.strictObject({ type: z.literal('typing'), conversationId, from: sender, typing: z.boolean() }),
  read: z.strictObject({ type: z.literal('read'), conversationId, by: sender, seq }),
  ack: z.strictObject({ type: z.literal('ack'), conversationId, clientMsgId: z.string(), seq }),
  /** The end of the answer to a `history` request: every message up to `lastSeq` has been sent. */
  history: z.strictObject({ type: z.literal('history'), conversationId, lastSeq: seq }),
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
export const agentServerFrame = z.discriminatedUnion('type', [s.welcome, s.presence, s.conversation, s.message, s.typing, s.read, s.ack, s.history, s.error, s.pong]);
export type AgentServerFrame = z.infer<typeof agentServerFrame>;

/** Decodes one agent client frame; never throws. */
export const decodeAgentFrame = (data: ArrayBuffer | string): { ok: true; frame: AgentClientFrame } | { ok: false; error: WireError } =>
  decodeFrame(data, AGENT_LIMITS, agentClientFrames, agentClientFrame);
