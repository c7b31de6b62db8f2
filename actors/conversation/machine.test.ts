import { isRejection } from '../kernel/decision.ts';
import { VIP_PRIORITY, decideConversation, type ConversationDecision } from './machine.ts';
import type { ConversationCommand, ConversationEffect } from './protocol.ts';
import { DEDUPE_WINDOW, MAX_WATCHING_TABS, SNAPSHOT_DEDUPE_ENTRIES, newConversation, snapshotOf, withLoggedClientMsgIds, type Actor, type ConversationState, type Visitor } from './state.ts';

const T = 1_000_000;
const visitor: Visitor = { visitorId: 'v1', displayName: 'Li Lei', identified: false, vip: false, lastAgentId: null };
const agentA = { kind: 'agent', agentId: 'a' } as const;
const agentB = { kind: 'agent', agentId: 'b' } as const;
const fromVisitor = { kind: 'visitor' } as const;

const fresh = (over: Partial<Visitor> = {}): ConversationState =>
  newConversation({ conversationId: 'c1', tenantId: 't', channelId: 'web', visitor: { ...visitor, ...over }, now: T });
const open: ConversationCommand = { type: 'open', skillGroupId: 'sales', requestedAgentId: null, preChat: { topic: 'refund' }, bot: false, withinWorkingHours: true };

function ok(d: ConversationDecision): { state: ConversationState; effects: readonly ConversationEffect[] } {
  if (isRejection(d)) throw new Error(`unexpected rejection ${d.rejected}: ${d.message}`);
  return d;
}
const run = (state: ConversationState, ...commands: ConversationCommand[]): ConversationState =>
  commands.reduce((s, c, i) => ok(decideConversation(s, c, T + 1 + i)).state, state);
const queued = (): ConversationState => run(fresh(), open);
const assigned = (): ConversationState => run(queued(), { type: 'assign', agentId: 'a', skillGroupId: 'sales' });
const chatting = (): ConversationState => run(assigned(), { type: 'accept', agentId: 'a' });
const events = (effects: readonly ConversationEffect[]) => effects.flatMap((e) => (e.type === 'emit' ? [e.event.name] : []));
const post = (from: Actor, clientMsgId: string, text = 'hello'): ConversationCommand => ({
  type: 'post-message',
  from,
  clientMsgId,
  text,
});

describe('opening', () => {
  test('a conversation opens into its skill group’s queue', () => {
    const { state, effects } = ok(decideConversation(fresh(), open, T));
    expect(state).toMatchObject({ status: 'queued', skillGroupId: 'sales', waitingSince: T, priority: 0, preChat: { topic: 'refund' } });
    expect(events(effects)).toEqual(['conversation.created', 'conversation.queued']);
    expect(effects).toContainEqual({ type: 'enqueue', skillGroupId: 'sales', priority: 0, preferredAgentId: null, preference: null, avoidAgentIds: [], waitingSince: T });
  });

  test('VIP visitors get a higher priority class; returning visitors prefer their last agent', () => {
    const { effects } = ok(decideConversation(fresh({ vip: true, lastAgentId: 'b' }), open, T));
    expect(effects).toContainEqual(expect.objectContaining({ type: 'enqueue', priority: VIP_PRIORITY, preferredAgentId: 'b', preference: 'sticky' }));
  });

  test('a requested agent wins over the last agent', () => {
    const { effects } = ok(decideConversation(fresh({ lastAgentId: 'b' }), { ...open, requestedAgentId: 'a' } as ConversationCommand, T));
    expect(effects).toContainEqual(expect.objectContaining({ type: 'enqueue', preferredAgentId: 'a', preference: 'requested' }));
  });

  test('bot-first channels start with the bot; asking for a human queues', () => {
    const bot = run(fresh(), { ...open, bot: true } as ConversationCommand);
    expect(bot.status).toBe('bot');
    expect(ok(decideConversation(bot, post({ kind: 'bot' }, 'b1', 'How can I help?'), T)).state.lastSeq).toBe(1);
    const { state, effects } = ok(decideConversation(bot, { type: 'request-human' }, T + 5));
    expect(state.status).toBe('queued');
    expect(effects).toContainEqual(expect.objectContaining({ type: 'emit', event: expect.objectContaining({ name: 'conversation.queued', reason: 'human-requested' }) }));
  });

  test('outside working hours the visitor is offered the leave-a-message form', () => {
    const { state, effects } = ok(decideConversation(fresh(), { ...open, withinWorkingHours: false } as ConversationCommand, T));
    expect(state.status).toBe('offline-message');
    expect(effects).toContainEqual({ type: 'push', to: 'visitor', push: { kind: 'leave-message-form' }, agents: [] });
    const left = ok(decideConversation(state, { type: 'leave-message', text: ' Please call me ', contact: '138' }, T + 1));
    expect(left.state).toMatchObject({ status: 'closed', closeReason: 'offline-message' });
    expect(left.effects).toContainEqual(expect.objectContaining({ type: 'emit', event: expect.objectContaining({ name: 'conversation.message-left', text: 'Please call me', contact: '138' }) }));
  });

  test('opening twice is refused', () => {
    expect(decideConversation(queued(), open, T)).toMatchObject({ rejected: 'INVALID_TRANSITION' });
  });
});

describe('messages: sequence numbers and de-duplication', () => {
  test('each message gets the next seq; the append comes first and the ack after it', () => {
    const { state, effects } = ok(decideConversation(queued(), post(fromVisitor, 'm1'), T + 10));
    expect(state.lastSeq).toBe(1);
    expect(effects[0]).toEqual({ type: 'append', message: { seq: 1, clientMsgId: 'm1', from: fromVisitor, text: 'hello', visibility: 'public', at: T + 10 } });
    expect(effects).toContainEqual({ type: 'ack', clientMsgId: 'm1', seq: 1, duplicate: false });
    expect(effects.findIndex((e) => e.type === 'ack')).toBeGreaterThan(0);
  });

  test('a resent clientMsgId returns the original ack and appends nothing', () => {
    const s = run(queued(), post(fromVisitor, 'm1'), post(fromVisitor, 'm2'));
    const { state, effects } = ok(decideConversation(s, post(fromVisitor, 'm1', 'different text'), T + 20));
    expect(state).toBe(s);
    expect(effects).toEqual([{ type: 'ack', clientMsgId: 'm1', seq: 1, duplicate: true }]);
  });

  test('a clientMsgId is a duplicate only from its sender: an outsider reusing it is refused, not told its seq', () => {
    const s = run(chatting(), post(fromVisitor, 'm1'));
    expect(decideConversation(s, post(agentB, 'm1'), T + 20)).toMatchObject({ rejected: 'NOT_A_PARTICIPANT' });
    const byAgent = ok(decideConversation(s, post(agentA, 'm1', 'the agent happened to pick the same id'), T + 20));
    expect(byAgent.effects).toContainEqual({ type: 'ack', clientMsgId: 'm1', seq: 2, duplicate: false });
    // An entry recorded before senders were (no third element) still de-duplicates any resend.
    const legacy = { ...s, recentClientMsgIds: [['m1', 1] as const] };
    expect(ok(decideConversation(legacy, post(fromVisitor, 'm1'), T + 30)).effects).toEqual([{ type: 'ack', clientMsgId: 'm1', seq: 1, duplicate: true }]);
  });

  test(`the window keeps the newest ${DEDUPE_WINDOW} ids; a snapshot the newest ${SNAPSHOT_DEDUPE_ENTRIES}, the log's table the others`, () => {
    const posts = Array.from({ length: DEDUPE_WINDOW + 8 }, (_, i) => post(i % 2 === 0 ? fromVisitor : agentA, `m${i + 1}`));
    const s = run(chatting(), ...posts);
    expect(s.recentClientMsgIds).toHaveLength(DEDUPE_WINDOW);
    expect(s.recentClientMsgIds[0]).toEqual(['m9', 9, 'visitor']);
    expect(s.recentClientMsgIds.at(-1)).toEqual([`m${DEDUPE_WINDOW + 8}`, DEDUPE_WINDOW + 8, 'agent:a']);
    expect(ok(decideConversation(s, post(fromVisitor, 'm9'), T + 9_000)).effects).toEqual([{ type: 'ack', clientMsgId: 'm9', seq: 9, duplicate: true }]);
    expect(ok(decideConversation(s, post(fromVisitor, 'm7'), T + 9_000)).effects).toContainEqual({ type: 'ack', clientMsgId: 'm7', seq: s.lastSeq + 1, duplicate: false });

    const stored = snapshotOf(s);
    expect(stored.recentClientMsgIds).toEqual(s.recentClientMsgIds.slice(-SNAPSHOT_DEDUPE_ENTRIES));
    expect({ ...stored, recentClientMsgIds: [] }).toEqual({ ...s, recentClientMsgIds: [] });
    // The table holds every message but the newest 5 (in cluster mode the persister may lag), and a
    // row past the snapshot's lastSeq (none can be the conversation's yet) is left out.
    const rows = posts.slice(0, -5).map((p, i) => ({ seq: i + 1, clientMsgId: `m${i + 1}`, from: (p as { from: Actor }).from }));
    const restored = withLoggedClientMsgIds(stored, [...rows, { seq: s.lastSeq + 1, clientMsgId: 'later', from: fromVisitor }]);
    expect(restored).toEqual(s);
    // For a seq the snapshot holds, its entry wins over the table's row (which may be a fenced
    // former owner's, not yet removed by the persister).
    const fenced = withLoggedClientMsgIds(stored, [{ seq: s.lastSeq, clientMsgId: 'never-acknowledged', from: fromVisitor }]);
    expect(fenced.recentClientMsgIds.at(-1)).toEqual(s.recentClientMsgIds.at(-1));
    expect(fenced.recentClientMsgIds.map(([id]) => id)).not.toContain('never-acknowledged');
  });

  test.each([
    ['empty', '   ', 'MESSAGE_EMPTY'],
    ['too long', 'x'.repeat(5_001), 'MESSAGE_TOO_LONG'],
  ])('%s text is refused and changes nothing', (_why, text, code) => {
    expect(decideConversation(queued(), post(fromVisitor, 'm1', text), T)).toMatchObject({ rejected: code });
  });

  test.each([
    ['an agent not in the conversation', agentB, 'NOT_A_PARTICIPANT'],
    ['a supervisor who only monitors', { kind: 'supervisor', supervisorId: 's' } as const, 'NOT_A_PARTICIPANT'],
    ['the bot after handover', { kind: 'bot' } as const, 'NOT_A_PARTICIPANT'],
    ['the system', { kind: 'system' } as const, 'NOT_A_PARTICIPANT'],
  ])('%s cannot write', (_who, from, code) => {
    const s = run(chatting(), { type: 'monitor', supervisorId: 's', mode: 'monitor' });
    expect(decideConversation(s, post(from, 'x'), T)).toMatchObject({ rejected: code });
  });

  test('a closed conversation never receives messages', () => {
    const closed = run(chatting(), { type: 'close', by: agentA, summary: null });
    expect(decideConversation(closed, post(fromVisitor, 'late'), T)).toMatchObject({ rejected: 'CONVERSATION_CLOSED' });
    expect(decideConversation(fresh(), post(fromVisitor, 'early'), T)).toMatchObject({ rejected: 'CONVERSATION_NOT_OPEN' });
  });

  test('a whisper is internal: pushed to the agents only', () => {
    const s = run(chatting(), { type: 'monitor', supervisorId: 's', mode: 'whisper' });
    const { effects } = ok(decideConversation(s, post({ kind: 'supervisor', supervisorId: 's' }, 'w1', 'offer the coupon'), T));
    expect(effects).toContainEqual(expect.objectContaining({ type: 'push', to: 'agents', push: expect.objectContaining({ kind: 'message', message: expect.objectContaining({ visibility: 'internal' }) }) }));
  });

  test('the first agent reply is a reported fact, once', () => {
    const { effects } = ok(decideConversation(chatting(), post(agentA, 'r1'), T + 100));
    expect(effects).toContainEqual({ type: 'emit', event: { name: 'conversation.first-agent-reply', agentId: 'a', sinceCreatedMs: 100, conversationId: 'c1', at: T + 100 } });
    const again = ok(decideConversation(run(chatting(), post(agentA, 'r1')), post(agentA, 'r2'), T + 200));
    expect(events(again.effects)).toEqual([]);
  });

  test('answering an assignment accepts it', () => {
    const { state, effects } = ok(decideConversation(assigned(), post(agentA, 'r1'), T + 50));
    expect(state.acceptedAt).toBe(T + 50);
    expect(events(effects)).toContain('conversation.accepted');
  });
});

describe('typing and read receipts', () => {
  test('typing goes to the other side', () => {
    expect(ok(decideConversation(chatting(), { type: 'typing', from: fromVisitor, typing: true }, T)).effects).toEqual([
      { type: 'push', to: 'agents', push: { kind: 'typing', from: fromVisitor, typing: true }, agents: ['a'] },
    ]);
  });

  test('only those who may write are seen typing: not another agent, not a supervisor who only monitors; a whisper reaches the agents only', () => {
    const outsider = { kind: 'agent', agentId: 'b' } as const;
    expect(decideConversation(chatting(), { type: 'typing', from: outsider, typing: true }, T)).toMatchObject({ rejected: 'NOT_A_PARTICIPANT' });
    const supervisor = { kind: 'supervisor', supervisorId: 's' } as const;
    const monitoring = run(chatting(), { type: 'monitor', supervisorId: 's', mode: 'monitor' });
    expect(decideConversation(monitoring, { type: 'typing', from: supervisor, typing: true }, T)).toMatchObject({ rejected: 'NOT_A_PARTICIPANT' });
    const whispering = run(chatting(), { type: 'monitor', supervisorId: 's', mode: 'whisper' });
    expect(ok(decideConversation(whispering, { type: 'typing', from: supervisor, typing: true }, T)).effects).toEqual([
      { type: 'push', to: 'agents', push: { kind: 'typing', from: supervisor, typing: true }, agents: ['a', 's'] },
    ]);
    expect(ok(decideConversation(chatting(), { type: 'typing', from: { kind: 'agent', agentId: 'a' }, typing: true }, T)).effects).toEqual([
      { type: 'push', to: 'visitor', push: { kind: 'typing', from: { kind: 'agent', agentId: 'a' }, typing: true }, agents: [] },
    ]);
  });

  test('read receipts only move forward and never past the last message', () => {
    const s = run(chatting(), post(agentA, 'r1'), post(agentA, 'r2'));
    const read = ok(decideConversation(s, { type: 'read', by: fromVisitor, seq: 2 }, T)).state;
    expect(read.visitorReadSeq).toBe(2);
    expect(ok(decideConversation(read, { type: 'read', by: fromVisitor, seq: 1 }, T)).state).toBe(read);
    expect(decideConversation(s, { type: 'read', by: fromVisitor, seq: 3 }, T)).toMatchObject({ rejected: 'INVALID_TRANSITION' });
  });
});

describe('assignment, acceptance, transfer', () => {
  test('assignment records the wait and starts the no-answer timer', () => {
    const waiting = queued();
    const { state, effects } = ok(decideConversation(waiting, { type: 'assign', agentId: 'a', skillGroupId: 'sales' }, waiting.waitingSince! + 40_000));
    expect(state).toMatchObject({ status: 'assigned', agentId: 'a', acceptedAt: null, waitingSince: null });
    expect(effects).toContainEqual(expect.objectContaining({ type: 'emit', event: expect.objectContaining({ name: 'conversation.assigned', waitedMs: 40_000 }) }));
    expect(effects).toContainEqual({ type: 'schedule', timer: 'agent-no-answer', at: waiting.waitingSince! + 40_000 + 30_000 });
  });

  test('only a queued conversation can be assigned: never to two agents', () => {
    expect(decideConversation(assigned(), { type: 'assign', agentId: 'b', skillGroupId: 'sales' }, T)).toMatchObject({ rejected: 'INVALID_TRANSITION' });
  });

  test('a repeated assignment to the same agent (its first answer was lost) is accepted and changes nothing', () => {
    const s = assigned();
    const again = ok(decideConversation(s, { type: 'assign', agentId: 'a', skillGroupId: 'sales' }, T + 5));
    expect(again.state).toBe(s);
    expect(again.effects).toEqual([]);
  });

  test('only the assigned agent can accept', () => {
    expect(decideConversation(assigned(), { type: 'accept', agentId: 'b' }, T)).toMatchObject({ rejected: 'NOT_ASSIGNED_AGENT' });
  });

  test('an assignment not accepted in time goes back to the queue, avoiding that agent', () => {
    const s = assigned();
    const at = s.timers['agent-no-answer']!;
    const { state, effects } = ok(decideConversation(s, { type: 'timer', timer: 'agent-no-answer', at }, at));
    expect(state).toMatchObject({ status: 'queued', agentId: null, unansweredBy: ['a'] });
    expect(effects).toContainEqual({ type: 'release-agent', agentId: 'a' });
    expect(effects).toContainEqual(expect.objectContaining({ type: 'enqueue', avoidAgentIds: ['a'] }));
  });

  test('a stale timer changes nothing', () => {
    const s = chatting();
    expect(ok(decideConversation(s, { type: 'timer', timer: 'agent-no-answer', at: T + 30_002 }, T + 30_002)).state).toBe(s);
  });

  test('transfer to an agent: the old agent is released, the new one must accept', () => {
    const { state, effects } = ok(decideConversation(chatting(), { type: 'transfer', by: agentA, to: { agentId: 'b' }, memo: 'VIP, billing' }, T + 5));
    expect(state).toMatchObject({ status: 'transferred', agentId: 'b', acceptedAt: null, transferMemo: 'VIP, billing' });
    expect(effects).toContainEqual({ type: 'release-agent', agentId: 'a' });
    expect(events(effects)).toEqual(['conversation.transferred']);
    expect(ok(decideConversation(state, { type: 'accept', agentId: 'b' }, T + 6)).state).toMatchObject({ status: 'assigned', acceptedAt: T + 6 });
  });

  test('transfer to a skill group queues there, keeping the original waiting start', () => {
    const { state, effects } = ok(decideConversation(chatting(), { type: 'transfer', by: agentA, to: { skillGroupId: 'billing' }, memo: null }, T + 5));
    expect(state).toMatchObject({ status: 'queued', skillGroupId: 'billing', agentId: null });
    expect(events(effects)).toEqual(['conversation.transferred', 'conversation.queued']);
  });

  test('only the agent or a supervisor transfers', () => {
    expect(decideConversation(chatting(), { type: 'transfer', by: agentB, to: { agentId: 'c' }, memo: null }, T)).toMatchObject({ rejected: 'NOT_ASSIGNED_AGENT' });
    // A waiting visitor is a supervisor's to move (below); a closed conversation is nobody's.
    expect(decideConversation(queued(), { type: 'transfer', by: agentA, to: { agentId: 'c' }, memo: null }, T)).toMatchObject({ rejected: 'NOT_ASSIGNED_AGENT' });
    const closed = run(chatting(), { type: 'close', by: agentA, summary: null });
    expect(decideConversation(closed, { type: 'transfer', by: { kind: 'supervisor', supervisorId: 's' }, to: { agentId: 'c' }, memo: null }, T)).toMatchObject({ rejected: 'INVALID_TRANSITION' });
  });

  test('an invited colleague hears everything of the conversation until they leave; the agent cannot leave', () => {
    const invited = ok(decideConversation(chatting(), { type: 'invite', by: agentA, agentId: 'b' }, T));
    expect(invited.effects).toEqual([
      { type: 'push', to: 'agents', push: { kind: 'participants' }, agents: ['a', 'b'] },
      { type: 'invitation', agentId: 'b', invited: true },
    ]);
    expect(ok(decideConversation(invited.state, post(fromVisitor, 'v1'), T + 1)).effects).toContainEqual(expect.objectContaining({ type: 'push', agents: ['a', 'b'] }));
    expect(decideConversation(invited.state, { type: 'leave', agentId: 'a' }, T + 2)).toMatchObject({ rejected: 'INVALID_TRANSITION' });
    const left = ok(decideConversation(invited.state, { type: 'leave', agentId: 'b' }, T + 2));
    expect(left.state.invitedAgentIds).toEqual([]);
    expect(left.effects).toEqual([
      { type: 'push', to: 'agents', push: { kind: 'participants' }, agents: ['a', 'b'] },
      { type: 'invitation', agentId: 'b', invited: false },
    ]);
    expect(ok(decideConversation(left.state, { type: 'leave', agentId: 'b' }, T + 3)).effects).toEqual([]); // leaving twice changes nothing
    // Their agent actor hears of both, so their workstation lists the conversation while they are in it.
    const closed = ok(decideConversation(invited.state, { type: 'close', by: agentA, summary: null }, T + 5));
    expect(closed.effects).toContainEqual({ type: 'invitation', agentId: 'b', invited: false });
    expect(decideConversation(left.state, post(agentB, 'b2'), T + 4)).toMatchObject({ rejected: 'NOT_A_PARTICIPANT' });
  });

  test('an agent transferred away hears of the transfer, and then no more', () => {
    const moved = ok(decideConversation(chatting(), { type: 'transfer', by: agentA, to: { agentId: 'b' }, memo: null }, T));
    expect(moved.effects).toContainEqual({ type: 'push', to: 'everyone', push: { kind: 'status', status: 'transferred', agentId: 'b' }, agents: ['a', 'b'] });
    expect(ok(decideConversation(moved.state, post(fromVisitor, 'v1'), T + 1)).effects).toContainEqual(expect.objectContaining({ type: 'push', agents: ['b'] }));
  });

  test('an invited colleague can write; a lost agent’s conversation is routed again', () => {
    const s = run(chatting(), { type: 'invite', by: agentA, agentId: 'b' });
    expect(ok(decideConversation(s, post(agentB, 'b1'), T)).state.lastSeq).toBe(1);
    const { state, effects } = ok(decideConversation(s, { type: 'agent-lost', agentId: 'a' }, T + 9));
    expect(state.status).toBe('queued');
    expect(effects).not.toContainEqual(expect.objectContaining({ type: 'release-agent' }));
    expect(events(effects)).toEqual(['conversation.queued']);
  });
});

describe('supervisors', () => {
  test('barging in is visible to the visitor; monitoring is not', () => {
    const quiet = ok(decideConversation(chatting(), { type: 'monitor', supervisorId: 's', mode: 'monitor' }, T));
    expect(quiet.effects).toEqual([{ type: 'push', to: 'agents', push: { kind: 'participants' }, agents: ['a', 's'] }]);
    expect(ok(decideConversation(quiet.state, { type: 'monitor', supervisorId: 's', mode: 'monitor' }, T)).effects).toEqual([]); // already watching
    const barge = ok(decideConversation(chatting(), { type: 'monitor', supervisorId: 's', mode: 'barge' }, T));
    expect(barge.effects).toEqual([
      { type: 'push', to: 'everyone', push: { kind: 'status', status: 'assigned', agentId: 'a' }, agents: ['a', 's'] },
      { type: 'push', to: 'agents', push: { kind: 'participants' }, agents: ['a', 's'] },
    ]);
  });

  test('a watch ends when the last tab watching it has gone, or when the supervisor stops it from any tab', () => {
    const watch = (mode: 'monitor' | 'whisper' | null, connectionId?: string) => ({ type: 'monitor', supervisorId: 's', mode, ...(connectionId ? { connectionId } : {}) }) as const;
    const gone = (connectionId: string) => ({ type: 'watcher-left', supervisorId: 's', connectionId }) as const;
    const two = run(chatting(), watch('whisper', 'tab-1'), watch('whisper', 'tab-2'));
    expect(two.monitors).toEqual([{ supervisorId: 's', mode: 'whisper', tabs: ['tab-1', 'tab-2'] }]);
    // What others are told of the watch does not name its tabs.
    expect(ok(decideConversation(two, { type: 'describe' }, T)).effects[0]).toMatchObject({ monitors: [{ supervisorId: 's', mode: 'whisper' }] });
    expect(ok(decideConversation(two, { type: 'describe' }, T)).effects[0]).not.toMatchObject({ monitors: [{ tabs: expect.anything() }] });

    const one = ok(decideConversation(two, gone('tab-1'), T + 10));
    expect(one.state.monitors).toEqual([{ supervisorId: 's', mode: 'whisper', tabs: ['tab-2'] }]);
    expect(one.effects).toEqual([]); // still watching: nobody needs to hear of it
    expect(ok(decideConversation(one.state, gone('tab-1'), T + 20)).state).toBe(one.state); // told twice
    expect(ok(decideConversation(one.state, gone('some-other-tab'), T + 20)).state).toBe(one.state);
    const none = ok(decideConversation(one.state, gone('tab-2'), T + 30));
    expect(none.state.monitors).toEqual([]);
    expect(none.effects).toEqual([{ type: 'push', to: 'agents', push: { kind: 'participants' }, agents: ['a', 's'] }]);

    // A reloaded tab names the watch again (its new connection) before the old one is reported gone: it goes on.
    const reloaded = run(chatting(), watch('whisper', 'old'), watch('whisper', 'new'), gone('old'));
    expect(reloaded.monitors).toEqual([{ supervisorId: 's', mode: 'whisper', tabs: ['new'] }]);
    // Stopping ends it for every tab; a watch started without a tab ends only that way.
    expect(run(two, watch(null)).monitors).toEqual([]);
    const tabless = run(chatting(), watch('monitor'));
    expect(run(tabless, gone('tab-1')).monitors).toEqual([{ supervisorId: 's', mode: 'monitor' }]);
    // Only the newest tabs are kept.
    const many = run(chatting(), ...Array.from({ length: MAX_WATCHING_TABS + 3 }, (_, i) => watch('monitor', `t${i}`)));
    expect(many.monitors[0]!.tabs).toEqual(Array.from({ length: MAX_WATCHING_TABS }, (_, i) => `t${i + 3}`));
  });

  test('a supervisor who stops watching still hears that they stopped, and nothing after', () => {
    const watching = run(chatting(), { type: 'monitor', supervisorId: 's', mode: 'whisper' });
    const stopped = ok(decideConversation(watching, { type: 'monitor', supervisorId: 's', mode: null }, T + 50));
    expect(stopped.effects).toEqual([{ type: 'push', to: 'agents', push: { kind: 'participants' }, agents: ['a', 's'] }]);
    const next = ok(decideConversation(stopped.state, post(fromVisitor, 'v1'), T + 60)).effects.find((e) => e.type === 'push');
    expect(next).toMatchObject({ to: 'everyone', agents: ['a'] });
  });

  test('a supervisor moves a waiting visitor to another group (still waiting, from when they began) or to a named agent; nobody else may', () => {
    const supervisor = { kind: 'supervisor', supervisorId: 's' } as const;
    const waiting = queued();
    const toGroup = ok(decideConversation(waiting, { type: 'transfer', by: supervisor, to: { skillGroupId: 'vip' }, memo: 'VIP customer' }, T + 30));
    expect(toGroup.state).toMatchObject({ status: 'queued', skillGroupId: 'vip', waitingSince: waiting.waitingSince });
    expect(toGroup.effects).toContainEqual({ type: 'dequeue', skillGroupId: 'sales' });
    expect(toGroup.effects).toContainEqual(expect.objectContaining({ type: 'enqueue', skillGroupId: 'vip', waitingSince: waiting.waitingSince }));
    const toAgent = ok(decideConversation(waiting, { type: 'transfer', by: supervisor, to: { agentId: 'b' }, memo: null }, T + 30));
    expect(toAgent.state).toMatchObject({ status: 'transferred', agentId: 'b', acceptedAt: null, waitingSince: null });
    expect(toAgent.effects).toContainEqual({ type: 'dequeue', skillGroupId: 'sales' });
    expect(decideConversation(waiting, { type: 'transfer', by: supervisor, to: { skillGroupId: 'sales' }, memo: null }, T)).toMatchObject({ rejected: 'INVALID_TRANSITION' });
    expect(decideConversation(waiting, { type: 'transfer', by: agentA, to: { skillGroupId: 'vip' }, memo: null }, T)).toMatchObject({ rejected: 'NOT_ASSIGNED_AGENT' });
  });

  test('take-over makes the supervisor the responsible agent and releases the agent', () => {
    const { state, effects } = ok(decideConversation(chatting(), { type: 'take-over', supervisorId: 's' }, T));
    expect(state).toMatchObject({ status: 'assigned', agentId: 's', acceptedAt: T });
    expect(effects).toContainEqual({ type: 'release-agent', agentId: 'a' });
  });
});

describe('closing, rating, reopening', () => {
  test('an agent closes with a service summary; the visitor is asked for a rating', () => {
    const { state, effects } = ok(decideConversation(chatting(), { type: 'close', by: agentA, summary: 'refund issued' }, T + 60));
    expect(state).toMatchObject({ status: 'closed', closedAt: T + 60, closeReason: 'agent', summary: 'refund issued', visitor: { lastAgentId: 'a' } });
    expect(effects).toContainEqual({ type: 'release-agent', agentId: 'a' });
    expect(effects).toContainEqual({ type: 'push', to: 'visitor', push: { kind: 'rating-requested' }, agents: [] });
  });

  test('closing a queued conversation takes it out of the queue', () => {
    const { effects } = ok(decideConversation(queued(), { type: 'close', by: fromVisitor, summary: null }, T));
    expect(effects).toContainEqual({ type: 'dequeue', skillGroupId: 'sales' });
  });

  test('the agent asks for a rating while chatting: the visitor is shown the form; nothing else changes', () => {
    const s = chatting();
    const { state, effects } = ok(decideConversation(s, { type: 'request-rating', by: agentA }, T));
    expect(state).toBe(s);
    expect(effects).toEqual([{ type: 'push', to: 'visitor', push: { kind: 'rating-requested' }, agents: [] }]);
    expect(decideConversation(s, { type: 'request-rating', by: agentB }, T)).toMatchObject({ rejected: 'NOT_ASSIGNED_AGENT' });
    expect(decideConversation(queued(), { type: 'request-rating', by: agentA }, T)).toMatchObject({ rejected: 'INVALID_TRANSITION' });
    const rated = run(s, { type: 'rate', score: 4, comment: null });
    expect(decideConversation(rated, { type: 'request-rating', by: agentA }, T)).toMatchObject({ rejected: 'ALREADY_RATED' });
  });

  test('its agent tags it, also after the close; tags are normalised, checked, and only a change is an event', () => {
    const s = chatting();
    const tagged = ok(decideConversation(s, { type: 'tag', by: agentA, tags: [' 退款 ', 'VIP  customer', 'vip customer', 'refund'] }, T));
    expect(tagged.state.tags).toEqual(['退款', 'VIP customer', 'refund']);
    expect(tagged.effects).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'emit', event: expect.objectContaining({ name: 'conversation.tagged', tags: ['退款', 'VIP customer', 'refund'], by: agentA }) }),
        expect.objectContaining({ type: 'push', to: 'agents', push: { kind: 'participants' } }),
      ]),
    );
    expect(ok(decideConversation(tagged.state, { type: 'tag', by: agentA, tags: ['退款', 'VIP customer', 'refund'] }, T)).effects).toEqual([]);
    expect(decideConversation(s, { type: 'tag', by: agentB, tags: ['x'] }, T)).toMatchObject({ rejected: 'NOT_ASSIGNED_AGENT' });
    for (const bad of [['a"b'], ['100%'], ['under_score'], [''], ['x'.repeat(33)], Array.from({ length: 11 }, (_, i) => `t${i}`)]) {
      expect(decideConversation(s, { type: 'tag', by: agentA, tags: bad }, T)).toMatchObject({ rejected: 'TAGS_INVALID' });
    }
    const closed = run(tagged.state, { type: 'close', by: agentA, summary: null });
    expect(ok(decideConversation(closed, { type: 'tag', by: agentA, tags: [] }, T)).state.tags).toEqual([]);
    expect(ok(decideConversation(s, { type: 'tag', by: { kind: 'supervisor', supervisorId: 'boss' }, tags: ['质检'] }, T)).state.tags).toEqual(['质检']);
  });

  test('another agent cannot close it', () => {
    expect(decideConversation(chatting(), { type: 'close', by: agentB, summary: null }, T)).toMatchObject({ rejected: 'NOT_ASSIGNED_AGENT' });
  });

  test('an idle visitor is reminded, then the conversation closes itself', () => {
    const s = run(chatting(), post(agentA, 'r1'));
    const reminder = s.timers['visitor-idle-reminder']!;
    expect(ok(decideConversation(s, { type: 'timer', timer: 'visitor-idle-reminder', at: reminder }, reminder)).effects).toEqual([
      { type: 'push', to: 'visitor', push: { kind: 'reminder', timer: 'visitor-idle-reminder' }, agents: [] },
    ]);
    const closeAt = s.timers['visitor-idle-close']!;
    expect(ok(decideConversation(s, { type: 'timer', timer: 'visitor-idle-close', at: closeAt }, closeAt)).state).toMatchObject({ status: 'closed', closeReason: 'visitor-idle' });
  });

  test.each([
    [0, 'RATING_INVALID'],
    [6, 'RATING_INVALID'],
    [3.5, 'RATING_INVALID'],
  ])('a score of %s is refused', (score, code) => {
    expect(decideConversation(chatting(), { type: 'rate', score, comment: null }, T)).toMatchObject({ rejected: code });
  });

  test('a rating is accepted once, attributed to the agent', () => {
    const closed = run(chatting(), { type: 'close', by: agentA, summary: null });
    const { state, effects } = ok(decideConversation(closed, { type: 'rate', score: 5, comment: '很好' }, T + 100));
    expect(effects).toContainEqual(expect.objectContaining({ event: expect.objectContaining({ name: 'conversation.rated', score: 5, agentId: 'a' }) }));
    expect(decideConversation(state, { type: 'rate', score: 1, comment: null }, T + 101)).toMatchObject({ rejected: 'ALREADY_RATED' });
  });

  test('a closed chat reopens within the window, back to its last agent first', () => {
    const closed = run(chatting(), { type: 'close', by: fromVisitor, summary: null });
    const { state, effects } = ok(decideConversation(closed, { type: 'reopen' }, closed.closedAt! + 1_000));
    expect(state.status).toBe('queued');
    expect(effects).toContainEqual(expect.objectContaining({ type: 'enqueue', preferredAgentId: 'a', preference: 'sticky' }));
    expect(decideConversation(closed, { type: 'reopen' }, closed.closedAt! + 15 * 60_000 + 1)).toMatchObject({ rejected: 'REOPEN_WINDOW_EXPIRED' });
  });
});

describe('from the queue', () => {
  test('position updates reach the waiting visitor only', () => {
    expect(ok(decideConversation(queued(), { type: 'queue-position', position: 3, estimatedWaitMs: 90_000 }, T)).effects).toEqual([
      { type: 'push', to: 'visitor', push: { kind: 'queue', position: 3, estimatedWaitMs: 90_000 }, agents: [] },
    ]);
    expect(ok(decideConversation(chatting(), { type: 'queue-position', position: 3, estimatedWaitMs: 1 }, T)).effects).toEqual([]);
  });

  test('overflow moves it to the fallback group; a queue timeout offers the message form', () => {
    expect(ok(decideConversation(queued(), { type: 'queue-overflowed', toSkillGroupId: 'support' }, T)).state).toMatchObject({ status: 'queued', skillGroupId: 'support', waitingSince: queued().waitingSince });
    const { state, effects } = ok(decideConversation(queued(), { type: 'queue-timed-out' }, T));
    expect(state.status).toBe('offline-message');
    expect(events(effects)).toEqual(['conversation.offline']);
    const full = ok(decideConversation(queued(), { type: 'queue-refused' }, T));
    expect(full.effects).toContainEqual(expect.objectContaining({ event: expect.objectContaining({ name: 'conversation.offline', reason: 'queue-full' }) }));
  });
});

describe('every command refused in the wrong state, changing nothing', () => {
  const closed = (): ConversationState => run(chatting(), { type: 'close', by: agentA, summary: null });
  const offline = (): ConversationState => run(fresh(), { ...open, withinWorkingHours: false } as ConversationCommand);
  test.each<[string, () => ConversationState, ConversationCommand, string]>([
    ['open when already open', queued, open, 'INVALID_TRANSITION'],
    ['message before opening', fresh, post(fromVisitor, 'x'), 'CONVERSATION_NOT_OPEN'],
    ['message after close', closed, post(fromVisitor, 'x'), 'CONVERSATION_CLOSED'],
    ['message in offline-message state', offline, post(fromVisitor, 'x'), 'CONVERSATION_CLOSED'],
    ['typing after close', closed, { type: 'typing', from: fromVisitor, typing: true }, 'CONVERSATION_CLOSED'],
    ['read before opening', fresh, { type: 'read', by: fromVisitor, seq: 0 }, 'CONVERSATION_NOT_OPEN'],
    ['read by an outsider', chatting, { type: 'read', by: agentB, seq: 0 }, 'NOT_A_PARTICIPANT'],
    ['human requested without a bot', queued, { type: 'request-human' }, 'INVALID_TRANSITION'],
    ['assign when closed', closed, { type: 'assign', agentId: 'a', skillGroupId: 'sales' }, 'INVALID_TRANSITION'],
    ['accept while queued', queued, { type: 'accept', agentId: 'a' }, 'INVALID_TRANSITION'],
    ['transfer to the same agent', chatting, { type: 'transfer', by: agentA, to: { agentId: 'a' }, memo: null }, 'INVALID_TRANSITION'],
    ['invite while queued', queued, { type: 'invite', by: agentA, agentId: 'b' }, 'INVALID_TRANSITION'],
    ['invite by an outsider', chatting, { type: 'invite', by: agentB, agentId: 'c' }, 'NOT_ASSIGNED_AGENT'],
    ['monitor a closed conversation', closed, { type: 'monitor', supervisorId: 's', mode: 'monitor' }, 'CONVERSATION_CLOSED'],
    ['take over a closed conversation', closed, { type: 'take-over', supervisorId: 's' }, 'INVALID_TRANSITION'],
    ['close twice', closed, { type: 'close', by: fromVisitor, summary: null }, 'CONVERSATION_CLOSED'],
    ['rate while queued', queued, { type: 'rate', score: 5, comment: null }, 'INVALID_TRANSITION'],
    ['rate a left message', () => run(offline(), { type: 'leave-message', text: 'hi', contact: null }), { type: 'rate', score: 5, comment: null }, 'INVALID_TRANSITION'],
    ['rate with a novel as comment', chatting, { type: 'rate', score: 5, comment: 'x'.repeat(1_001) }, 'RATING_INVALID'],
    ['reopen an open chat', chatting, { type: 'reopen' }, 'INVALID_TRANSITION'],
    ['leave a message while an agent can answer', queued, { type: 'leave-message', text: 'hi', contact: null }, 'INVALID_TRANSITION'],
    ['leave an empty message', offline, { type: 'leave-message', text: '  ', contact: null }, 'MESSAGE_EMPTY'],
  ])('%s', (_why, make, command, code) => {
    const state = make();
    expect(decideConversation(state, command, T + 10_000)).toMatchObject({ rejected: code });
  });
});

describe('describe', () => {
  test('answers status, agent and last seq, and changes nothing', () => {
    const state = run(chatting(), post(fromVisitor, 'm1'), post(agentA, 'm2'));
    const d = ok(decideConversation(state, { type: 'describe' }, T + 50));
    expect(d.state).toBe(state);
    expect(d.effects).toEqual([{ type: 'described', tenantId: 't', status: 'assigned', agentId: 'a', accepted: true, lastSeq: 2, channelId: d.state.channelId, skillGroupId: d.state.skillGroupId, visitor: d.state.visitor, preChat: d.state.preChat, context: { page: null, locale: null, device: null, timeZone: null }, transferMemo: null, invitedAgentIds: [], monitors: [], tags: [] }]);
  });

  test('the screen pop shows where the visitor started: page, language, device, time zone', () => {
    const context = { page: { url: 'https://shop.example/orders/1001', title: '我的订单', referrer: null }, locale: 'zh-CN', device: 'Safari 17 · iPhone', timeZone: 'Asia/Shanghai' };
    const s = run(fresh(), { ...open, context } as ConversationCommand);
    expect(ok(decideConversation(s, { type: 'describe' }, T + 1)).effects).toEqual([expect.objectContaining({ type: 'described', context })]);
    // A conversation stored before the time zone was asked for has none.
    const { timeZone: _, ...before } = context;
    const old = { ...s, context: before } as unknown as typeof s;
    expect(ok(decideConversation(old, { type: 'describe' }, T + 1)).effects).toEqual([expect.objectContaining({ context: { ...before, timeZone: null } })]);
  });
});
