/**
 * The desk's state as a function of the agent protocol's frames: messages kept by seq once each,
 * unread counts, the outbox until ack, what is resent after a reconnect, conversations leaving
 * and staying, and a 10,000-message history folded in one go.
 */
import { describe, expect, test } from '@jest/globals';
import { backoffMs } from './connection.ts';
import { awaitsAccept, desk, deskAfter, initialDesk, lastSeqHeld, listed, RECENTLY_CLOSED, toResend, watchedIds, type ConversationInfo, type DeskEvent, type DeskState, type ServerFrame } from './state.ts';

const ME = 'li-na';
const T = 1_800_000_000_000;
const frame = (f: ServerFrame, now = T): DeskEvent => ({ kind: 'frame', frame: f, now });

const info = (id: string, fields: Partial<ConversationInfo> = {}): ConversationInfo => ({
  conversationId: id,
  status: 'assigned',
  agentId: ME,
  accepted: false,
  lastSeq: 0,
  invitedAgentIds: [],
  monitors: [],
  visitor: { id: `v-${id}`, name: null, identified: false, vip: false },
  context: { page: null, locale: 'zh-CN', device: 'Chrome 131 · Windows', timeZone: 'Asia/Shanghai' },
  channelId: 'web',
  skillGroupId: 'default',
  preChat: {},
  transferMemo: null,
  tags: [],
  ...fields,
});

const welcome = (conversations: ConversationInfo[] = []): DeskEvent =>
  frame({ type: 'welcome', v: 1, agent: { id: ME, displayName: '李娜', status: 'ready', takesConversations: true }, conversations, heartbeatMs: 25_000 });
const conversation = (i: ConversationInfo, now = T): DeskEvent => frame({ type: 'conversation', ...i }, now);
const visitorSays = (id: string, seq: number, text = `v${seq}`, at = T + seq): DeskEvent =>
  frame({ type: 'message', conversationId: id, seq, clientMsgId: `v${seq}`, from: { kind: 'visitor' }, visibility: 'public', text, at });
const iSay = (id: string, seq: number, clientMsgId: string, at = T + seq): DeskEvent =>
  frame({ type: 'message', conversationId: id, seq, clientMsgId, from: { kind: 'agent', agentId: ME }, visibility: 'public', text: clientMsgId, at });
const run = (...events: DeskEvent[]): DeskState => deskAfter(initialDesk, events);

describe('conversations', () => {
  test('a new assignment rings, waits for accept, and is active once accepted', () => {
    const s = run(welcome(), conversation(info('c1')));
    expect(s.rings).toBe(1);
    expect(awaitsAccept(s.conversations.c1!, ME)).toBe(true);
    expect(listed(s).map((l) => l.section)).toEqual(['offered']);
    const accepted = desk(s, conversation(info('c1', { accepted: true })));
    expect(awaitsAccept(accepted.conversations.c1!, ME)).toBe(false);
    expect(listed(accepted).map((l) => l.section)).toEqual(['active']);
    expect(desk(accepted, { kind: 'notice-seen' }).rings).toBe(0);
  });

  test('transferred away, it leaves; closed, it stays among the recently closed until dismissed', () => {
    const s = run(welcome([info('c1', { accepted: true }), info('c2', { accepted: true })]), conversation(info('c1', { status: 'transferred', agentId: 'wang' })), conversation(info('c2', { status: 'closed', accepted: true })));
    expect(Object.keys(s.conversations)).toEqual(['c2']);
    expect(listed(s).map((l) => l.section)).toEqual(['closed']);
    expect(desk(s, { kind: 'dismiss', conversationId: 'c2' }).conversations).toEqual({});
    // An open conversation is not dismissed.
    const open = run(welcome([info('c3')]));
    expect(desk(open, { kind: 'dismiss', conversationId: 'c3' })).toBe(open);
  });

  test(`at most ${RECENTLY_CLOSED} closed conversations stay listed, the newest`, () => {
    const events: DeskEvent[] = [welcome()];
    for (let i = 0; i < RECENTLY_CLOSED + 5; i++) events.push(conversation(info(`c${i}`), T + i), conversation(info(`c${i}`, { status: 'closed' }), T + i));
    const s = run(...events);
    expect(Object.keys(s.conversations)).toHaveLength(RECENTLY_CLOSED);
    expect(s.conversations.c0).toBeUndefined();
    expect(s.conversations[`c${RECENTLY_CLOSED + 4}`]).toBeDefined();
  });

  test('frames about conversations one is not on, or of a kind this desk does not know, change nothing', () => {
    const s = run(welcome([info('c1')]));
    expect(desk(s, conversation(info('c9', { agentId: 'wang' })))).toBe(s);
    expect(desk(s, visitorSays('c9', 1))).toBe(s);
    expect(desk(s, frame({ type: 'from-the-future' } as unknown as ServerFrame))).toBe(s);
  });

  test('the active list puts the visitor waiting longest first', () => {
    const s = run(welcome([info('a', { accepted: true }), info('b', { accepted: true }), info('c', { accepted: true })]), visitorSays('b', 1, 'hi', T + 10), visitorSays('a', 1, 'hi', T + 20), iSay('b', 2, 'm1', T + 30));
    expect(listed(s).map((l) => l.conversation.info.conversationId)).toEqual(['a', 'b', 'c']);
    expect(s.conversations.a!.awaitingSince).toBe(T + 20);
    expect(s.conversations.b!.awaitingSince).toBeNull();
  });
});

describe('messages', () => {
  test('kept by seq, each once, whether pushed or in a history answer, in any order', () => {
    const s = run(welcome([info('c1', { accepted: true })]), visitorSays('c1', 3), visitorSays('c1', 1), visitorSays('c1', 3), visitorSays('c1', 2), visitorSays('c1', 1));
    expect(s.conversations.c1!.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(lastSeqHeld(s.conversations.c1!)).toBe(3);
  });

  test('unread counts what others wrote after what I read; reading clears it', () => {
    let s = run(welcome([info('c1', { accepted: true })]), visitorSays('c1', 1), iSay('c1', 2, 'a1'), visitorSays('c1', 3));
    expect(s.conversations.c1!.unread).toBe(2);
    s = desk(s, { kind: 'read', conversationId: 'c1', seq: 1 });
    expect(s.conversations.c1!.unread).toBe(1);
    s = desk(s, { kind: 'read', conversationId: 'c1', seq: 3 });
    expect(s.conversations.c1!.unread).toBe(0);
    expect(desk(s, visitorSays('c1', 2)).conversations.c1!.unread).toBe(0); // a duplicate is not news
  });

  test('the visitor typing and reading show; my own tabs and colleagues do not count as the visitor', () => {
    let s = run(welcome([info('c1', { accepted: true })]), frame({ type: 'typing', conversationId: 'c1', from: { kind: 'visitor' }, typing: true }));
    expect(s.conversations.c1!.visitorTyping).toBe(true);
    s = desk(s, frame({ type: 'typing', conversationId: 'c1', from: { kind: 'agent', agentId: 'wang' }, typing: false }));
    expect(s.conversations.c1!.visitorTyping).toBe(true);
    s = desk(s, frame({ type: 'read', conversationId: 'c1', by: { kind: 'visitor' }, seq: 4 }));
    s = desk(s, frame({ type: 'read', conversationId: 'c1', by: { kind: 'visitor' }, seq: 2 }));
    expect(s.conversations.c1!.visitorReadSeq).toBe(4);
  });
});

describe('the outbox', () => {
  const sending = (clientMsgId: string): DeskEvent => ({ kind: 'send', conversationId: 'c1', outgoing: { clientMsgId, text: clientMsgId, createdAt: T } });

  test('a message waits until acknowledged and leaves when it arrives; only unacknowledged ones are resent', () => {
    let s = run(welcome([info('c1', { accepted: true })]), sending('a1'), sending('a2'), sending('a3'));
    expect(toResend(s.conversations.c1!).map((o) => o.clientMsgId)).toEqual(['a1', 'a2', 'a3']);
    // a1 pushed then acknowledged; a2 acknowledged before its push arrives.
    s = deskAfter(s, [iSay('c1', 1, 'a1'), frame({ type: 'ack', conversationId: 'c1', clientMsgId: 'a1', seq: 1 }), frame({ type: 'ack', conversationId: 'c1', clientMsgId: 'a2', seq: 2 })]);
    expect(s.conversations.c1!.outbox.map((o) => [o.clientMsgId, o.seq])).toEqual([
      ['a2', 2],
      ['a3', undefined],
    ]);
    expect(toResend(s.conversations.c1!).map((o) => o.clientMsgId)).toEqual(['a3']);
    s = desk(s, iSay('c1', 2, 'a2'));
    expect(s.conversations.c1!.outbox.map((o) => o.clientMsgId)).toEqual(['a3']);
  });

  test('a message refused for good is marked and never resent; a temporary refusal is resent', () => {
    let s = run(welcome([info('c1', { accepted: true })]), sending('a1'), sending('a2'));
    s = desk(s, frame({ type: 'error', code: 'CONVERSATION_CLOSED', message: 'closed', temporary: false, conversationId: 'c1', clientMsgId: 'a1' }));
    s = desk(s, frame({ type: 'error', code: 'UNAVAILABLE', message: 'failing over', temporary: true, conversationId: 'c1', clientMsgId: 'a2' }));
    expect(s.conversations.c1!.outbox.map((o) => o.error)).toEqual(['closed', undefined]);
    expect(toResend(s.conversations.c1!).map((o) => o.clientMsgId)).toEqual(['a2']);
    expect(s.notice).toMatchObject({ code: 'UNAVAILABLE', conversationId: 'c1' });
  });

  test('a reconnect keeps what was held (messages, outbox), drops what went away, and keeps the closed', () => {
    let s = run(welcome([info('c1', { accepted: true }), info('c2', { accepted: true })]), visitorSays('c1', 1), sending('a1'), conversation(info('c3')), conversation(info('c3', { status: 'closed' })));
    s = deskAfter(s, [{ kind: 'connection', state: 'reconnecting' }, welcome([info('c1', { accepted: true, lastSeq: 4 })])]);
    expect(Object.keys(s.conversations).sort()).toEqual(['c1', 'c3']);
    expect(s.conversations.c1!.messages.map((m) => m.seq)).toEqual([1]);
    expect(s.conversations.c1!.outbox.map((o) => o.clientMsgId)).toEqual(['a1']);
    expect(s.conversations.c1!.historyLoaded).toBe(false);
    expect(s.connection).toBe('online');
  });
});

test('online visitors are what the last answer says; an invitation, a rating asked for and a visitor blocked are remembered', () => {
  const online = { visitorId: 'v9', name: null, identified: false, channelId: 'web', skillGroupId: 'default', page: null, locale: null, timeZone: 'Asia/Tokyo', device: null, since: T, conversationId: null };
  const s = run(welcome(), frame({ type: 'visitors', visitors: [online] }), frame({ type: 'visitor-invited', visitorId: 'v9' }, T + 5));
  expect(s.visitors).toEqual([online]);
  expect(s.invited).toEqual({ v9: T + 5 });
  expect(run(welcome(), frame({ type: 'rating-requested', conversationId: 'c1' }, T + 7)).ratingRequested).toEqual({ c1: T + 7 });
  expect(run(welcome(), frame({ type: 'visitor-blocked', conversationId: 'c1', visitorId: 'v1', until: null }), frame({ type: 'visitor-blocked', conversationId: 'c2', visitorId: 'v2', until: T + 86_400_000 })).blocked).toEqual({ c1: null, c2: T + 86_400_000 });
  expect(run(welcome(), frame({ type: 'visitors', visitors: [online] }), frame({ type: 'visitors', visitors: [] })).visitors).toEqual([]);
});

test('a supervisor’s board follows forced statuses; a conversation they watch is listed apart and leaves when they stop', () => {
  const agent = { agentId: 'wang', displayName: '王芳', status: 'ready' as const, load: 1, maxConversations: 5, conversations: ['c9'] };
  const s = run(welcome(), frame({ type: 'agents', agents: [agent] }), frame({ type: 'agent-status', agentId: 'wang', status: 'away' }));
  expect(s.board).toEqual([{ ...agent, status: 'away' }]);
  const watched = info('c9', { agentId: 'wang', accepted: true, monitors: [{ supervisorId: ME, mode: 'whisper' }] });
  const watching = desk(s, conversation(watched));
  expect(listed(watching).map((l) => l.section)).toEqual(['watching']);
  expect(watching.rings).toBe(0);
  expect(desk(watching, conversation({ ...watched, monitors: [] })).conversations).toEqual({});
  // The live board: a changed agent's row replaces theirs; one not on the board is left out.
  const busier = { ...agent, status: 'ready' as const, load: 2, conversations: ['c9', 'c10'] };
  expect(desk(s, frame({ type: 'board-agent', agent: busier })).board).toEqual([busier]);
  expect(desk(s, frame({ type: 'board-agent', agent: { ...busier, agentId: 'zhao' } })).board).toEqual(s.board);
  expect(desk(initialDesk, frame({ type: 'board-agent', agent: busier })).board).toBeNull();
});

test('what a reconnecting desk names as watched: the open conversations it only watches, not its own, not the closed', () => {
  const mine = info('c1', { accepted: true, monitors: [{ supervisorId: ME, mode: 'monitor' }] });
  const watched = info('c2', { agentId: 'wang', accepted: true, monitors: [{ supervisorId: ME, mode: 'whisper' }] });
  const ended = info('c3', { agentId: 'wang', accepted: true, monitors: [{ supervisorId: ME, mode: 'monitor' }] });
  const s = run(welcome([mine]), conversation(watched), conversation(ended), conversation({ ...ended, status: 'closed' }));
  expect(watchedIds(s)).toEqual(['c2']);
  expect(watchedIds(initialDesk)).toEqual([]);
});

test('a history of 10,000 messages folds in one batch, in order', () => {
  const events: DeskEvent[] = [];
  for (let seq = 10_000; seq >= 1; seq--) events.push(visitorSays('c1', seq));
  const s = deskAfter(run(welcome([info('c1', { accepted: true })])), [...events, frame({ type: 'history', conversationId: 'c1', lastSeq: 10_000 })]);
  const c = s.conversations.c1!;
  expect(c.messages).toHaveLength(10_000);
  expect(c.messages.every((m, i) => m.seq === i + 1)).toBe(true);
  expect(c.historyLoaded).toBe(true);
  expect(c.unread).toBe(10_000);
});

test('reconnect backoff grows exponentially to 15 s, with jitter between half and all of it', () => {
  expect([0, 1, 2, 3].map((a) => backoffMs(a, () => 1))).toEqual([500, 1_000, 2_000, 4_000]);
  expect(backoffMs(20, () => 1)).toBe(15_000);
  expect(backoffMs(0, () => 0)).toBe(250);
});
