import fc from 'fast-check';
import { isRejection } from '../kernel/decision.ts';
import { decideConversation } from './machine.ts';
import type { ConversationCommand } from './protocol.ts';
import { foldEvent, type ConversationRecord, type LoggedConversationEvent } from './record.ts';
import { newConversation, type ConversationState } from './state.ts';

/** The lifecycle events of a real conversation: queued, served by Li, transferred to Wang, closed, rated, reopened, closed again. */
function lifecycle(): LoggedConversationEvent[] {
  const commands: ConversationCommand[] = [
    { type: 'open', skillGroupId: 'sales', requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true },
    { type: 'assign', agentId: 'li', skillGroupId: 'sales' },
    { type: 'accept', agentId: 'li' },
    { type: 'post-message', from: { kind: 'agent', agentId: 'li' }, clientMsgId: 'a1', text: '您好' },
    { type: 'transfer', by: { kind: 'agent', agentId: 'li' }, to: { agentId: 'wang' }, memo: null },
    { type: 'accept', agentId: 'wang' },
    { type: 'close', by: { kind: 'agent', agentId: 'wang' }, summary: '已解决' },
    { type: 'rate', score: 4, comment: null },
    { type: 'reopen' },
    { type: 'close', by: { kind: 'visitor' }, summary: null },
  ];
  let state: ConversationState = newConversation({ conversationId: 'c1', tenantId: 't1', channelId: 'web', visitor: { visitorId: 'v1', displayName: '王小明', identified: false, vip: false, lastAgentId: null }, now: 1_000 });
  const events: LoggedConversationEvent[] = [];
  commands.forEach((command, i) => {
    const d = decideConversation(state, command, 2_000 + i * 10);
    if (isRejection(d)) throw new Error(`${command.type}: ${d.message}`);
    state = d.state;
    for (const e of d.effects) if (e.type === 'emit') events.push({ ...e.event, tenantId: 't1' });
  });
  return events;
}
const fold = (events: readonly LoggedConversationEvent[]): ConversationRecord | null => events.reduce<ConversationRecord | null>(foldEvent, null);

test('a conversation’s record: where it was served, how it ended, its rating', () => {
  expect(fold(lifecycle())).toEqual({
    conversationId: 'c1',
    tenantId: 't1',
    channelId: 'web',
    visitorId: 'v1',
    visitorName: '王小明',
    createdAt: 2_000,
    skillGroupId: 'sales',
    skillGroupAt: 2_080, // the reopening queued it again
    agentId: 'wang', // the last agent stays on record
    agentAt: 2_060, // the close named him
    status: 'closed',
    statusAt: 2_090,
    firstReplyAt: 2_030,
    closedAt: 2_090,
    closeReason: 'visitor',
    closedBy: 'visitor',
    summary: null,
    offlineReason: null,
    messageLeft: null,
    score: 4,
    comment: null,
    ratedAt: 2_070,
    tags: [],
    tagsAt: 0,
  });
});

test('events folded in any order, some of them twice, give the same record', () => {
  const events = lifecycle();
  fc.assert(
    fc.property(fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }), fc.array(fc.nat(events.length - 1), { maxLength: 6 }), (shuffled, repeats) => {
      const delivered = [...shuffled];
      for (const i of repeats) delivered.splice(i, 0, events[i]!);
      expect(fold(delivered)).toEqual(fold(events));
    }),
  );
});

test('a late event does not undo a newer one: a retried “assigned” after the close, a rating before it', () => {
  const events = lifecycle();
  const closed = fold(events)!;
  const assigned = events.find((e) => e.name === 'conversation.assigned')!;
  expect(foldEvent(closed, assigned)).toEqual(closed);
  const onlyRated = foldEvent(null, events.find((e) => e.name === 'conversation.rated')!);
  expect(onlyRated).toMatchObject({ score: 4, status: 'open', channelId: '' });
  // The rest arriving after the rating fills in the record around it.
  expect(events.filter((e) => e.name !== 'conversation.rated').reduce(foldEvent, onlyRated)).toEqual(closed);
});

test('tags: the latest tagging wins, whatever order the events arrive in', () => {
  const tagged = (tags: string[], at: number) => ({ name: 'conversation.tagged', tenantId: 't1', conversationId: 'c1', at, tags, by: { kind: 'agent', agentId: 'li' } }) as const;
  const base = fold(lifecycle())!;
  expect(base.tags).toEqual([]);
  const inOrder = [tagged(['退款'], base.createdAt + 10), tagged(['退款', 'VIP'], base.createdAt + 20)].reduce(foldEvent, base);
  const late = [tagged(['退款', 'VIP'], base.createdAt + 20), tagged(['退款'], base.createdAt + 10)].reduce(foldEvent, base);
  expect(inOrder.tags).toEqual(['退款', 'VIP']);
  expect(late).toEqual(inOrder);
});
