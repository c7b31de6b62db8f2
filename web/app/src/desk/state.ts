/**
 * The agent desk's state, as a pure function of what happened: the frames of the agent protocol
 * (docs/protocol/agent.md) and the few things the desk itself does (sending a message, reading a
 * conversation, losing the connection). No I/O here: `connection.ts` talks to the gateway, the
 * React screens render this state.
 *
 * The rules it keeps: messages are kept by `seq`, each once (a message may arrive both pushed and
 * in a `history` answer); a message of mine stays in the outbox until its `ack`, and is resent
 * with the same `clientMsgId` after a reconnect; a conversation transferred away or that I left
 * disappears; a closed one stays in "recently closed" until dismissed.
 */
import type { AgentServerFrame } from '../../../../gateways/agent/wire.ts';

export type ServerFrame = AgentServerFrame;
type Frame<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

export type ConversationInfo = Omit<Frame<'conversation'>, 'type'>;
export type ChatMessage = Omit<Frame<'message'>, 'type' | 'conversationId'>;
export type Sender = ChatMessage['from'];
export type SharedFile = NonNullable<ChatMessage['file']>;
export type AgentStatus = Frame<'presence'>['status'];
export type QueueView = Omit<Frame<'queue'>, 'type'>;
export type EarlierConversation = Frame<'visitor-history'>['conversations'][number];
export type OnlineVisitor = Frame<'visitors'>['visitors'][number];
export type BoardAgent = Frame<'agents'>['agents'][number];

/** A message of mine the gateway has not acknowledged yet. */
export interface Outgoing {
  readonly clientMsgId: string;
  readonly text: string;
  readonly file?: SharedFile;
  readonly createdAt: number;
  /** Acknowledged (durable) with this place in the conversation; the message itself has not arrived yet. */
  readonly seq?: number;
  /** Set when the gateway refused it for good (it is then not resent). */
  readonly error?: string;
}

export interface DeskConversation {
  readonly info: ConversationInfo;
  /** In `seq` order, each once. */
  readonly messages: readonly ChatMessage[];
  readonly outbox: readonly Outgoing[];
  /** What I have seen (sent as `read`). */
  readonly readSeq: number;
  /** Messages after `readSeq` written by someone else. */
  readonly unread: number;
  /** What the visitor has seen. */
  readonly visitorReadSeq: number;
  readonly visitorTyping: boolean;
  /** Since when the visitor waits for an answer (their message after the last one of our side), epoch ms; null when nobody waits. */
  readonly awaitingSince: number | null;
  /** When it reached this desk (epoch ms, the browser's clock). */
  readonly arrivedAt: number;
  /** The latest `history` answer was received (everything up to its `lastSeq` is here). */
  readonly historyLoaded: boolean;
  readonly earlier: readonly EarlierConversation[] | null;
  /** The visitor waits too long: the gateway's no-reply reminder came. */
  readonly reminded: boolean;
}

export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'signed-out' | 'refused';

export interface DeskNotice {
  readonly code: string;
  readonly message: string;
  readonly conversationId?: string;
}

export interface DeskState {
  readonly connection: ConnectionState;
  readonly agent: Frame<'welcome'>['agent'] | null;
  readonly heartbeatMs: number;
  /** Open and recently closed conversations by id. */
  readonly conversations: Readonly<Record<string, DeskConversation>>;
  /** Queue views by skill group (for manual pick). */
  readonly queues: Readonly<Record<string, QueueView>>;
  readonly visitors: readonly OnlineVisitor[];
  /** The supervisor's agent board (the last `agents` answer, with statuses set since); null until asked. */
  readonly board: readonly BoardAgent[] | null;
  /** Visitors I invited to chat (proactive invitation), and when the invitation showed. */
  readonly invited: Readonly<Record<string, number>>;
  /** Conversations whose visitor I asked for a rating, and when the form showed. */
  readonly ratingRequested: Readonly<Record<string, number>>;
  /** Conversations whose visitor I blocked, and until when (null: until unblocked). */
  readonly blocked: Readonly<Record<string, number | null>>;
  /** The last refusal, for the screen to show. */
  readonly notice: DeskNotice | null;
  /** Conversations newly given to me since the desk last looked (rings). */
  readonly rings: number;
}

/** What the desk does itself, next to the server's frames. */
export type DeskEvent =
  | { readonly kind: 'frame'; readonly frame: ServerFrame; readonly now: number }
  | { readonly kind: 'connection'; readonly state: ConnectionState }
  | { readonly kind: 'send'; readonly conversationId: string; readonly outgoing: Outgoing }
  | { readonly kind: 'read'; readonly conversationId: string; readonly seq: number }
  | { readonly kind: 'dismiss'; readonly conversationId: string }
  | { readonly kind: 'notice-seen' };

export const initialDesk: DeskState = { connection: 'connecting', agent: null, heartbeatMs: 25_000, conversations: {}, queues: {}, visitors: [], board: null, invited: {}, ratingRequested: {}, blocked: {}, notice: null, rings: 0 };

/** At most this many closed conversations stay listed. */
export const RECENTLY_CLOSED = 20;

const isOurSide = (from: Sender): boolean => from.kind === 'agent' || from.kind === 'supervisor' || from.kind === 'bot';

function fresh(info: ConversationInfo, now: number): DeskConversation {
  return { info, messages: [], outbox: [], readSeq: 0, unread: 0, visitorReadSeq: 0, visitorTyping: false, awaitingSince: null, arrivedAt: now, historyLoaded: false, earlier: null, reminded: false };
}

/** Whether this account is (still) on the agents' side of the conversation: its agent, invited, or watching. */
export function involves(info: ConversationInfo, me: string): boolean {
  return info.agentId === me || info.invitedAgentIds.includes(me) || info.monitors.some((m) => m.supervisorId === me);
}

/** Is it offered to me and waits for my `accept`? */
export const awaitsAccept = (c: DeskConversation, me: string): boolean =>
  c.info.agentId === me && !c.info.accepted && (c.info.status === 'assigned' || c.info.status === 'transferred');

/** Messages of `c` with these (sorted, each once) added: one copy of the list, however many arrive. */
function addMessages(c: DeskConversation, incoming: readonly ChatMessage[], me: string): DeskConversation {
  let messages = c.messages as ChatMessage[];
  let copied = false;
  let { unread, awaitingSince, outbox } = c;
  for (const m of incoming) {
    const last = messages[messages.length - 1];
    if (!last || m.seq > last.seq) {
      if (!copied) {
        messages = messages.slice();
        copied = true;
      }
      messages.push(m);
    } else {
      // An earlier seq: a history answer filling a gap, or a duplicate.
      let lo = 0;
      let hi = messages.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (messages[mid]!.seq < m.seq) lo = mid + 1;
        else hi = mid;
      }
      if (messages[lo]?.seq === m.seq) continue;
      if (!copied) {
        messages = messages.slice();
        copied = true;
      }
      messages.splice(lo, 0, m);
    }
    const mine = m.from.kind === 'agent' && m.from.agentId === me;
    if (!mine && m.seq > c.readSeq) unread++;
    if (mine) outbox = outbox.filter((o) => o.clientMsgId !== m.clientMsgId);
    if (m.visibility === 'public') {
      if (m.from.kind === 'visitor') awaitingSince ??= m.at;
      else if (isOurSide(m.from)) awaitingSince = null;
    }
  }
  return copied || outbox !== c.outbox ? { ...c, messages, unread, awaitingSince, outbox } : c;
}

function withConversation(state: DeskState, id: string, update: (c: DeskConversation) => DeskConversation): DeskState {
  const c = state.conversations[id];
  if (!c) return state;
  const next = update(c);
  return next === c ? state : { ...state, conversations: { ...state.conversations, [id]: next } };
}

/** Drops the oldest closed conversations beyond RECENTLY_CLOSED. */
function trimClosed(conversations: Record<string, DeskConversation>): Record<string, DeskConversation> {
  const closed = Object.values(conversations).filter((c) => c.info.status === 'closed');
  if (closed.length <= RECENTLY_CLOSED) return conversations;
  const out = { ...conversations };
  for (const c of closed.sort((a, b) => a.arrivedAt - b.arrivedAt).slice(0, closed.length - RECENTLY_CLOSED)) delete out[c.info.conversationId];
  return out;
}

function onFrame(state: DeskState, frame: ServerFrame, now: number): DeskState {
  const me = state.agent?.id ?? '';
  switch (frame.type) {
    case 'welcome': {
      // What I hold now; what I held before and no longer do went away while disconnected (closed ones stay listed).
      const conversations: Record<string, DeskConversation> = {};
      for (const c of Object.values(state.conversations)) if (c.info.status === 'closed') conversations[c.info.conversationId] = c;
      for (const info of frame.conversations) {
        const known = state.conversations[info.conversationId];
        conversations[info.conversationId] = known ? { ...known, info, historyLoaded: false } : fresh(info, now);
      }
      return { ...state, connection: 'online', agent: frame.agent, heartbeatMs: frame.heartbeatMs, conversations };
    }
    case 'presence':
      return state.agent ? { ...state, agent: { ...state.agent, status: frame.status } } : state;
    case 'conversation': {
      const { type: _type, ...info } = frame;
      const known = state.conversations[info.conversationId];
      if (!involves(info, me) && info.status !== 'closed') {
        if (!known) return state;
        const { [info.conversationId]: _gone, ...rest } = state.conversations;
        return { ...state, conversations: rest };
      }
      if (known) {
        const closedNow = info.status === 'closed' && known.info.status !== 'closed';
        return { ...state, conversations: trimClosed({ ...state.conversations, [info.conversationId]: { ...known, info, ...(closedNow ? { visitorTyping: false, arrivedAt: now } : {}) } }) };
      }
      if (info.status === 'closed') return state;
      const ring = info.agentId === me && !info.accepted ? 1 : 0;
      return { ...state, rings: state.rings + ring, conversations: { ...state.conversations, [info.conversationId]: fresh(info, now) } };
    }
    case 'message': {
      const { type: _type, conversationId, ...message } = frame;
      return withConversation(state, conversationId, (c) => addMessages(c, [message], me));
    }
    case 'ack':
      // Durable. The message itself is pushed too (or, for a resend, is in the history): the
      // outbox entry shows it as sent until then, and goes when it arrives.
      return withConversation(state, frame.conversationId, (c) => {
        if (c.messages.some((m) => m.seq === frame.seq)) return { ...c, outbox: c.outbox.filter((o) => o.clientMsgId !== frame.clientMsgId) };
        return { ...c, outbox: c.outbox.map((o) => (o.clientMsgId === frame.clientMsgId ? { ...o, seq: frame.seq } : o)) };
      });
    case 'history':
      return withConversation(state, frame.conversationId, (c) => ({ ...c, historyLoaded: true }));
    case 'typing':
      if (frame.from.kind !== 'visitor') return state;
      return withConversation(state, frame.conversationId, (c) => (c.visitorTyping === frame.typing ? c : { ...c, visitorTyping: frame.typing }));
    case 'read':
      if (frame.by.kind !== 'visitor') return state;
      return withConversation(state, frame.conversationId, (c) => (frame.seq > c.visitorReadSeq ? { ...c, visitorReadSeq: frame.seq } : c));
    case 'reminder':
      return withConversation(state, frame.conversationId, (c) => ({ ...c, reminded: true }));
    case 'visitor-history':
      return withConversation(state, frame.conversationId, (c) => ({ ...c, earlier: frame.conversations }));
    case 'queue': {
      const { type: _type, ...queue } = frame;
      return { ...state, queues: { ...state.queues, [queue.skillGroupId]: queue } };
    }
    case 'visitors':
      return { ...state, visitors: frame.visitors };
    case 'error': {
      const notice = { code: frame.code, message: frame.message, ...(frame.conversationId ? { conversationId: frame.conversationId } : {}) };
      if (frame.clientMsgId && frame.conversationId && !frame.temporary) {
        // A message refused for good: kept in the outbox, marked, never resent.
        const failed = withConversation(state, frame.conversationId, (c) => ({ ...c, outbox: c.outbox.map((o) => (o.clientMsgId === frame.clientMsgId ? { ...o, error: frame.message } : o)) }));
        return { ...failed, notice };
      }
      return { ...state, notice };
    }
    case 'visitor-invited':
      return { ...state, invited: { ...state.invited, [frame.visitorId]: now } };
    case 'rating-requested':
      return { ...state, ratingRequested: { ...state.ratingRequested, [frame.conversationId]: now } };
    case 'visitor-blocked':
      return { ...state, blocked: { ...state.blocked, [frame.conversationId]: frame.until } };
    case 'agents':
      return { ...state, board: frame.agents };
    case 'board-agent': {
      // A change of an agent on the live board: their row as it is now (one who joined since waits for the next `agents`).
      const row = frame.agent;
      return state.board?.some((a) => a.agentId === row.agentId) ? { ...state, board: state.board.map((a) => (a.agentId === row.agentId ? row : a)) } : state;
    }
    case 'agent-status':
      return state.board ? { ...state, board: state.board.map((a) => (a.agentId === frame.agentId ? { ...a, status: frame.status } : a)) } : state;
    case 'pong':
      return state;
    default:
      // A frame of a later version of v1: ignored, as the protocol asks.
      return state;
  }
}

export function desk(state: DeskState, event: DeskEvent): DeskState {
  switch (event.kind) {
    case 'frame':
      return onFrame(state, event.frame, event.now);
    case 'connection':
      return state.connection === event.state ? state : { ...state, connection: event.state };
    case 'send':
      return withConversation(state, event.conversationId, (c) => ({ ...c, outbox: [...c.outbox, event.outgoing] }));
    case 'read':
      return withConversation(state, event.conversationId, (c) => (event.seq <= c.readSeq && c.unread === 0 ? c : { ...c, readSeq: Math.max(c.readSeq, event.seq), unread: c.messages.filter((m) => m.seq > event.seq && !(m.from.kind === 'agent' && m.from.agentId === state.agent?.id)).length }));
    case 'dismiss': {
      const c = state.conversations[event.conversationId];
      if (!c || c.info.status !== 'closed') return state;
      const { [event.conversationId]: _gone, ...rest } = state.conversations;
      return { ...state, conversations: rest };
    }
    case 'notice-seen':
      return state.notice ? { ...state, notice: null, rings: 0 } : { ...state, rings: 0 };
  }
}

/**
 * Folds a batch of events (what arrived in one turn of the event loop) into the state. A run of
 * messages of one conversation (a history answer) is added in one go: one copy of its list.
 */
export function deskAfter(state: DeskState, events: readonly DeskEvent[]): DeskState {
  let next = state;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if (event.kind !== 'frame' || event.frame.type !== 'message') {
      next = desk(next, event);
      continue;
    }
    const conversationId = event.frame.conversationId;
    const run: ChatMessage[] = [];
    for (; i < events.length; i++) {
      const e = events[i]!;
      if (e.kind !== 'frame' || e.frame.type !== 'message' || e.frame.conversationId !== conversationId) break;
      const { type: _type, conversationId: _id, ...message } = e.frame;
      run.push(message);
    }
    i--;
    const me = next.agent?.id ?? '';
    next = withConversation(next, conversationId, (c) => addMessages(c, run, me));
  }
  return next;
}

/** What to send again after a reconnect: my messages neither acknowledged nor refused, oldest first. */
export const toResend = (c: DeskConversation): Outgoing[] => c.outbox.filter((o) => o.seq === undefined && o.error === undefined);

/** The last `seq` held for a conversation: where a `history` after a reconnect starts. */
export const lastSeqHeld = (c: DeskConversation): number => c.messages[c.messages.length - 1]?.seq ?? 0;

/** The open conversations I only watch (as a supervisor): a reconnecting desk names them in its `hello`, and the welcome lists those still watched. */
export function watchedIds(state: DeskState): string[] {
  const me = state.agent?.id ?? '';
  return Object.values(state.conversations)
    .filter((c) => c.info.status !== 'closed' && watchingOnly(c, me))
    .map((c) => c.info.conversationId);
}

export type ListSection = 'offered' | 'active' | 'watching' | 'closed';

/** Am I on it only as a watching supervisor (not its agent, not invited)? */
export const watchingOnly = (c: DeskConversation, me: string): boolean =>
  c.info.agentId !== me && !c.info.invitedAgentIds.includes(me) && c.info.monitors.some((m) => m.supervisorId === me);

/** Which part of the conversation list it belongs in. */
export function sectionOf(c: DeskConversation, me: string): ListSection {
  if (c.info.status === 'closed') return 'closed';
  if (watchingOnly(c, me)) return 'watching';
  return awaitsAccept(c, me) ? 'offered' : 'active';
}

/** The conversation list: offered first (oldest first), then the active ones with the longest-waiting visitor first, then those I watch, then the closed, newest first. */
export function listed(state: DeskState): { section: ListSection; conversation: DeskConversation }[] {
  const me = state.agent?.id ?? '';
  const rank: Record<ListSection, number> = { offered: 0, active: 1, watching: 2, closed: 3 };
  return Object.values(state.conversations)
    .map((conversation) => ({ section: sectionOf(conversation, me), conversation }))
    .sort((a, b) => {
      if (a.section !== b.section) return rank[a.section] - rank[b.section];
      const x = a.conversation;
      const y = b.conversation;
      if (a.section === 'closed') return y.arrivedAt - x.arrivedAt;
      if (a.section === 'active' || a.section === 'watching') return (x.awaitingSince ?? Infinity) - (y.awaitingSince ?? Infinity) || x.arrivedAt - y.arrivedAt;
      return x.arrivedAt - y.arrivedAt;
    });
}
