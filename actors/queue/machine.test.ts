import type { AgentSnapshot } from '../agent/state.ts';
import { isRejection } from '../kernel/decision.ts';
import { decideQueue, rebuildWaiting, type QueueDecision } from './machine.ts';
import { readyAgent as agent } from './queue.fixtures.ts';
import type { QueueCommand, QueueEffect } from './protocol.ts';
import { POSITION_MESSAGES_PER_SECOND, POSITION_PUBLISH_INTERVAL_MS, newQueue, type QueueSettings, type QueueState } from './state.ts';

const T = 1_000_000;
const queue = (settings: Partial<QueueSettings> = {}): QueueState => newQueue({ skillGroupId: 'sales', tenantId: 't', settings });

function ok(d: QueueDecision): { state: QueueState; effects: readonly QueueEffect[] } {
  if (isRejection(d)) throw new Error(`unexpected rejection ${d.rejected}: ${d.message}`);
  return d;
}
const run = (state: QueueState, commands: QueueCommand[], now = T): QueueState => commands.reduce((s, c) => ok(decideQueue(s, c, now)).state, state);
const enqueue = (conversationId: string, priority = 0, over: Partial<Extract<QueueCommand, { type: 'enqueue' }>> = {}): QueueCommand => ({
  type: 'enqueue',
  conversationId,
  priority,
  ...over,
});
/** The queue as if these agents had just reported their availability. */
const withAgents = (s: QueueState, agents: readonly AgentSnapshot[]): QueueState => ({ ...s, agents: Object.fromEntries(agents.map((a) => [a.agentId, a])) });
const offersOf = (effects: readonly QueueEffect[]) => effects.filter((e) => e.type === 'offer').map((e) => e.type === 'offer' && [e.conversationId, e.agentId]);

describe('waiting list', () => {
  test('higher priority classes first, FIFO within a class', () => {
    const s = run(queue(), [enqueue('c1'), enqueue('vip1', 5), enqueue('c2'), enqueue('vip2', 5)]);
    expect(s.waiting.map((e) => e.conversationId)).toEqual(['vip1', 'vip2', 'c1', 'c2']);
  });

  test('enqueueing the same conversation twice is one entry', () => {
    expect(run(queue(), [enqueue('c1'), enqueue('c1')]).waiting).toHaveLength(1);
  });

  test('a full queue refuses new visitors', () => {
    const s = run(queue({ maxWaiting: 1 }), [enqueue('c1')]);
    expect(decideQueue(s, enqueue('c2'), T)).toMatchObject({ rejected: 'QUEUE_FULL' });
  });

  test('newcomers are told their position and an estimated wait with the next round, not one message each', () => {
    const arrived = ok(decideQueue(run(queue(), [enqueue('c1')]), enqueue('c2'), T));
    expect(arrived.effects.filter((e) => e.type === 'position')).toEqual([]);
    expect(arrived.state.positionsDueAt).toBe(T + POSITION_PUBLISH_INTERVAL_MS);
    const { effects } = ok(decideQueue(arrived.state, { type: 'tick' }, T + POSITION_PUBLISH_INTERVAL_MS));
    expect(effects.filter((e) => e.type === 'position')).toEqual([
      { type: 'position', conversationId: 'c1', position: 1, estimatedWaitMs: 300_000 },
      { type: 'position', conversationId: 'c2', position: 2, estimatedWaitMs: 600_000 },
    ]);
  });

  test('a VIP overtaking a visitor does not move the visitor’s shown position back', () => {
    const told = ok(decideQueue(run(queue(), [enqueue('c1'), enqueue('c2')]), { type: 'tick' }, T + POSITION_PUBLISH_INTERVAL_MS)).state;
    const s = run(told, [enqueue('vip', 9)], T + 2 * POSITION_PUBLISH_INTERVAL_MS);
    const { state, effects } = ok(decideQueue(s, { type: 'tick' }, T + 3 * POSITION_PUBLISH_INTERVAL_MS));
    expect(state.waiting.map((e) => [e.conversationId, e.shownPosition])).toEqual([
      ['vip', 1],
      ['c1', 1],
      ['c2', 2],
    ]);
    expect(effects.filter((e) => e.type === 'position').map((e) => e.type === 'position' && e.conversationId)).toEqual(['vip']);
  });

  test('when someone ahead leaves, positions move up at the next coalesced update', () => {
    const s = run(queue(), [enqueue('c1'), enqueue('c2'), enqueue('c3')]);
    const left = ok(decideQueue(s, { type: 'dequeue', conversationId: 'c1' }, T));
    expect(left.state.positionsDueAt).toBe(T + POSITION_PUBLISH_INTERVAL_MS);
    expect(left.effects).toContainEqual({ type: 'schedule-tick', at: T + POSITION_PUBLISH_INTERVAL_MS });
    const again = ok(decideQueue(left.state, { type: 'dequeue', conversationId: 'c2' }, T + 10)).state;
    expect(again.positionsDueAt).toBe(T + POSITION_PUBLISH_INTERVAL_MS); // coalesced, not pushed back
    const { state, effects } = ok(decideQueue(left.state, { type: 'tick' }, T + POSITION_PUBLISH_INTERVAL_MS));
    expect(state.waiting.map((e) => e.shownPosition)).toEqual([1, 2]);
    expect(state.positionsDueAt).toBeNull();
    expect(effects.filter((e) => e.type === 'position').map((e) => e.type === 'position' && [e.conversationId, e.position])).toEqual([
      ['c2', 1],
      ['c3', 2],
    ]);
  });

  test('rounds of positions are paced by how many visitors the last round told', () => {
    const line = 1_200;
    let s = run(queue(), [...Array.from({ length: line }, (_, i) => enqueue(`c${i}`)), { type: 'dequeue', conversationId: 'c0' }]);
    const round = ok(decideQueue(s, { type: 'tick' }, T + POSITION_PUBLISH_INTERVAL_MS));
    expect(round.effects.filter((e) => e.type === 'position')).toHaveLength(line - 1);
    const quiet = ((line - 1) * 1_000) / POSITION_MESSAGES_PER_SECOND; // 2.4 s for 1,199 messages
    s = ok(decideQueue(round.state, { type: 'dequeue', conversationId: 'c1' }, T + POSITION_PUBLISH_INTERVAL_MS + 10)).state;
    expect(s.positionsDueAt).toBe(T + POSITION_PUBLISH_INTERVAL_MS + Math.ceil(quiet));
  });
});

describe('routing', () => {
  test('offers go out in service order to the agents the policy picks', () => {
    const s = run(queue(), [enqueue('c1'), enqueue('c2'), enqueue('vip', 1)]);
    const { state, effects } = ok(decideQueue(withAgents(s, [agent('a', 1), agent('b', 1, { load: 1, maxConversations: 2 })]), { type: 'route' }, T));
    expect(offersOf(effects)).toEqual([
      ['vip', 'a'],
      ['c1', 'b'],
    ]);
    expect(state.waiting.map((e) => e.offeredTo)).toEqual(['a', 'b', null]);
  });

  test('accepted offers leave the queue and teach the wait estimate', () => {
    const s = run(queue(), [enqueue('c1'), enqueue('c2'), enqueue('c3'), { type: 'agent-availability', agent: agent('a', 2) }, { type: 'route' }]);
    const at = T + POSITION_PUBLISH_INTERVAL_MS;
    const told = ok(decideQueue(s, { type: 'tick' }, at)).state;
    const { state } = ok(decideQueue(told, { type: 'offers-accepted', agentId: 'a', conversationIds: ['c1', 'c2'] }, at + 5));
    expect(state.waiting.map((e) => e.conversationId)).toEqual(['c3']);
    expect(state.positionsDueAt).toBe(at + 5 + POSITION_PUBLISH_INTERVAL_MS);
    expect(state.recentAssignments).toEqual([at + 5, at + 5]);
  });

  test('accepting conversations no longer waiting changes nothing (a repeated message)', () => {
    const s = run(queue(), [enqueue('c1'), { type: 'agent-availability', agent: agent('a', 1) }, { type: 'route' }, { type: 'offers-accepted', agentId: 'a', conversationIds: ['c1'] }]);
    expect(ok(decideQueue(s, { type: 'offers-accepted', agentId: 'a', conversationIds: ['c1'] }, T + 9)).state).toBe(s);
  });

  test('an agent reporting availability updates what the queue knows and asks to route', () => {
    const { state, effects } = ok(decideQueue(queue(), { type: 'agent-availability', agent: agent('a', 2) }, T));
    expect(state.agents).toEqual({ a: agent('a', 2) });
    expect(effects).toEqual([{ type: 'route-requested' }]);
  });

  test('slots just offered count as taken until the agent reports again', () => {
    const s = run(queue(), [enqueue('c1'), enqueue('c2'), { type: 'agent-availability', agent: agent('a', 1) }, { type: 'route' }]);
    expect(s.agents.a).toMatchObject({ freeSlots: 0, load: 1 });
    expect(offersOf(ok(decideQueue(s, { type: 'route' }, T)).effects)).toEqual([]);
  });

  test('a refused offer puts the conversation back in line at its place and asks to route again', () => {
    const s = run(queue(), [enqueue('c1'), enqueue('c2'), { type: 'agent-availability', agent: agent('a', 1) }, { type: 'route' }]);
    const { state, effects } = ok(decideQueue(s, { type: 'offer-refused', conversationId: 'c1', agentId: 'a' }, T));
    expect(state.waiting.map((e) => [e.conversationId, e.offeredTo])).toEqual([
      ['c1', null],
      ['c2', null],
    ]);
    expect(state.agents.a!.freeSlots).toBe(0); // nothing more for "a" until it reports again
    expect(effects).toEqual([{ type: 'route-requested' }]);
  });

  test('a returning visitor waits for their previous agent while that agent is online', () => {
    const s = run(queue({ stickyWaitMs: 30_000 }), [enqueue('c1', 0, { preferredAgentId: 'b', preference: 'sticky' }), enqueue('c2')]);
    const busyB = agent('b', 0, { load: 2, maxConversations: 2 });
    expect(offersOf(ok(decideQueue(withAgents(s, [agent('a', 1), busyB]), { type: 'route' }, T)).effects)).toEqual([['c2', 'a']]);
    expect(offersOf(ok(decideQueue(withAgents(s, [agent('a', 1), agent('b', 1)]), { type: 'route' }, T)).effects)).toEqual([
      ['c1', 'b'],
      ['c2', 'a'],
    ]);
    // The wait ends at the sticky limit, or at once if the agent is offline.
    expect(offersOf(ok(decideQueue(withAgents(s, [agent('a', 1), busyB]), { type: 'route' }, T + 30_000)).effects)).toEqual([['c1', 'a']]);
    const offlineB = { ...busyB, status: 'offline' as const };
    expect(offersOf(ok(decideQueue(withAgents(s, [agent('a', 1), offlineB]), { type: 'route' }, T)).effects)).toEqual([['c1', 'a']]);
  });

  test('an agent who let a conversation go unanswered is not offered it again', () => {
    const s = run(queue(), [enqueue('c1', 0, { avoidAgentIds: ['a'] })]);
    expect(offersOf(ok(decideQueue(withAgents(s, [agent('a', 3)]), { type: 'route' }, T)).effects)).toEqual([]);
    expect(offersOf(ok(decideQueue(withAgents(s, [agent('a', 3), agent('b', 1)]), { type: 'route' }, T)).effects)).toEqual([['c1', 'b']]);
  });

  test('manual routing offers nothing by itself; an agent of the group picks', () => {
    const s = withAgents(run(queue({ policy: 'manual' }), [enqueue('c1'), enqueue('c2')]), [agent('a', 3)]);
    expect(offersOf(ok(decideQueue(s, { type: 'route' }, T)).effects)).toEqual([]);
    expect(offersOf(ok(decideQueue(s, { type: 'pick', agentId: 'a', conversationId: 'c2' }, T)).effects)).toEqual([['c2', 'a']]);
    expect(offersOf(ok(decideQueue(s, { type: 'pick', agentId: 'a', conversationId: null }, T)).effects)).toEqual([['c1', 'a']]);
    expect(decideQueue(s, { type: 'pick', agentId: 'a', conversationId: 'nope' }, T)).toMatchObject({ rejected: 'CONVERSATION_UNKNOWN' });
    expect(decideQueue(s, { type: 'pick', agentId: 'outsider', conversationId: 'c1' }, T)).toMatchObject({ rejected: 'AGENT_NOT_IN_GROUP' });
    const picked = ok(decideQueue(s, { type: 'pick', agentId: 'a', conversationId: 'c1' }, T)).state;
    expect(decideQueue(picked, { type: 'pick', agentId: 'a', conversationId: 'c1' }, T)).toMatchObject({ rejected: 'CONVERSATION_UNKNOWN' }); // already being handed over
  });

  test('the queue view: who waits in service order, for how long, and what a newcomer would wait; changes nothing', () => {
    const s = withAgents(run(queue(), [enqueue('c1')], T), [agent('a', 0)]);
    const later = run(s, [enqueue('vip', 5)], T + 30_000);
    const d = ok(decideQueue(later, { type: 'describe', limit: 1 }, T + 60_000));
    expect(d.state).toBe(later);
    expect(d.effects).toEqual([
      {
        type: 'waiting',
        total: 2,
        entries: [{ conversationId: 'vip', priority: 5, waitedMs: 30_000, inQueueMs: 30_000, offeredTo: null, preferredAgentId: null }],
        longestWaitMs: 60_000,
        estimatedWaitMs: expect.any(Number),
        policy: 'idle-first',
        agents: [agent('a', 0)],
      },
    ]);
  });
});

describe('timers', () => {
  test('overflow to the fallback group after the limit, keeping the original waiting time', () => {
    const s = run(queue({ overflow: { afterMs: 60_000, toSkillGroupId: 'support' }, queueTimeoutMs: null }), [enqueue('c1', 2)]);
    expect(ok(decideQueue(s, { type: 'tick' }, T + 59_999)).state.waiting).toHaveLength(1);
    const { state, effects } = ok(decideQueue(s, { type: 'tick' }, T + 60_000));
    expect(state.waiting).toEqual([]);
    expect(effects).toContainEqual({ type: 'overflow', conversationId: 'c1', toSkillGroupId: 'support', priority: 2, waitingSince: T });
  });

  test('queue timeout counts from the first wait, across overflow', () => {
    const s = run(queue({ queueTimeoutMs: 600_000 }), [enqueue('c1', 0, { waitingSince: T - 590_000 })]);
    const { effects } = ok(decideQueue(s, { type: 'tick' }, T + 10_000));
    expect(effects).toContainEqual({ type: 'timed-out', conversationId: 'c1' });
  });

  test('the single timer is set to the earliest deadline', () => {
    const s = queue({ queueTimeoutMs: 600_000, overflow: { afterMs: 60_000, toSkillGroupId: 'x' }, stickyWaitMs: 30_000 });
    const { state, effects } = ok(decideQueue(s, enqueue('c1', 0, { preferredAgentId: 'b' }), T));
    expect(effects).toContainEqual({ type: 'schedule-tick', at: T + POSITION_PUBLISH_INTERVAL_MS }); // the newcomer's position
    const told = ok(decideQueue(state, { type: 'tick' }, T + POSITION_PUBLISH_INTERVAL_MS));
    expect(told.effects).toContainEqual({ type: 'schedule-tick', at: T + 30_000 }); // then the end of the wait for agent b
    expect(ok(decideQueue(queue({ queueTimeoutMs: null }), { type: 'tick' }, T)).effects).toContainEqual({ type: 'schedule-tick', at: null });
  });
});

describe('rebuilding the waiting list from the waiting conversations (after a move)', () => {
  const waitingConversation = (conversationId: string, priority: number, waitingSince: number, over: Record<string, unknown> = {}) => ({
    conversationId,
    priority,
    waitingSince,
    requestedAgentId: null,
    visitor: { lastAgentId: null },
    unansweredBy: [],
    ...over,
  });

  test('service order by priority then waiting time; preferences and avoided agents kept; positions republished', () => {
    const rebuilt = rebuildWaiting(queue({ stickyWaitMs: 30_000 }), [
      waitingConversation('late', 0, T + 20),
      waitingConversation('vip', 10, T + 30),
      waitingConversation('early', 0, T + 10, { visitor: { lastAgentId: 'a' }, unansweredBy: ['b'] }),
    ]);
    expect(rebuilt.waiting.map((e) => e.conversationId)).toEqual(['vip', 'early', 'late']);
    expect(rebuilt.waiting[1]).toMatchObject({ preferredAgentId: 'a', preferredUntil: T + 10 + 30_000, avoidAgentIds: ['b'], offeredTo: null, shownPosition: null });
    expect(rebuilt.positionsDueAt).toBe(0);
    const { effects } = ok(decideQueue(rebuilt, { type: 'tick' }, T + 100));
    expect(effects.filter((e) => e.type === 'position')).toHaveLength(3);
  });

  test('nothing waiting, nothing to publish', () => {
    expect(rebuildWaiting(queue(), [])).toMatchObject({ waiting: [], positionsDueAt: null });
  });
});
