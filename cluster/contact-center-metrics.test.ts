/**
 * What the contact-center metrics make of actor states and committed transitions, fed through the
 * two things they read of a host (its states in memory, its commit listeners).
 */
import { Registry } from 'prom-client';
import { newAgent, type AgentState } from '../actors/agent/state.ts';
import { newConversation, type ConversationState } from '../actors/conversation/state.ts';
import type { QueueActorCommand } from '../actors/queue/queue.actor.ts';
import { newQueue, type QueueEntry, type QueueState } from '../actors/queue/state.ts';
import type { CommitListener } from './actor-host.ts';
import { observeContactCenter, type Observed } from './contact-center-metrics.ts';
import { MAX_GROUP_SERIES } from './metrics.ts';
import { sumOf } from '../tests/support.ts';

class Host<S, C> implements Observed<S, C> {
  readonly live: S[] = [];
  readonly #listeners: CommitListener<S, C>[] = [];
  states(): Iterable<S> {
    return this.live;
  }
  onCommitted(listener: CommitListener<S, C>): void {
    this.#listeners.push(listener);
  }
  commit(before: S, after: S, command: C, now = Date.now()): void {
    for (const l of this.#listeners) l('id', before, after, command, now);
  }
}

const visitor = { visitorId: 'v', displayName: null, identified: false, vip: false, lastAgentId: null };
const conversation = (id: string, status: ConversationState['status'], tenantId = 't1'): ConversationState => ({
  ...newConversation({ conversationId: id, tenantId, channelId: 'web', visitor, now: 0 }),
  status,
});
const entry = (conversationId: string, waitingSince: number, offeredAt: number | null): QueueEntry => ({
  conversationId, priority: 0, arrival: 0, enqueuedAt: waitingSince, waitingSince, preferredAgentId: null, preferredUntil: 0, avoidAgentIds: [], offeredTo: offeredAt === null ? null : 'a1', offeredAt, shownPosition: null,
});

function setup() {
  const registry = new Registry();
  const hosts = { conversations: new Host<ConversationState, unknown>(), agents: new Host<AgentState, unknown>(), queues: new Host<QueueState, QueueActorCommand>() };
  observeContactCenter(registry, hosts);
  return { registry, hosts, text: () => registry.metrics() };
}

test('live counts come from the actors in memory: conversations by state, queues, signed-in agents and their load', async () => {
  const { hosts, text } = setup();
  hosts.conversations.live.push(conversation('c1', 'queued'), conversation('c2', 'queued'), conversation('c3', 'assigned'), conversation('c4', 'closed'), conversation('c5', 'assigned', 't2'));
  const queue = newQueue({ skillGroupId: 'sales', tenantId: 't1' });
  hosts.queues.live.push({ ...queue, waiting: [entry('c1', Date.now() - 30_000, null), entry('c2', Date.now() - 5_000, null)] });
  const agent = newAgent({ agentId: 'a1', tenantId: 't1', skillGroups: ['sales'], maxConversations: 4, now: 0 });
  hosts.agents.live.push(
    { ...agent, status: 'ready', connections: ['tab'], conversations: [{ conversationId: 'c3', skillGroupId: 'sales' }] },
    { ...agent, agentId: 'a2', status: 'away', connections: ['tab'] },
    { ...agent, agentId: 'a3', status: 'ready', connections: [] }, // signed out: not counted
  );
  const t = await text();
  expect(sumOf(t, 'kefu_conversations', { tenant: 't1', state: 'queued' })).toBe(2);
  expect(sumOf(t, 'kefu_conversations', { tenant: 't1', state: 'assigned' })).toBe(1);
  expect(sumOf(t, 'kefu_conversations', { state: 'closed' })).toBe(0);
  expect(sumOf(t, 'kefu_conversations', { tenant: 't2' })).toBe(1);
  expect(sumOf(t, 'kefu_queue_waiting', { tenant: 't1', group: 'sales' })).toBe(2);
  expect(sumOf(t, 'kefu_queue_longest_wait_seconds', { group: 'sales' })).toBeGreaterThanOrEqual(30);
  expect(sumOf(t, 'kefu_agents', { tenant: 't1', status: 'ready' })).toBe(1);
  expect(sumOf(t, 'kefu_agents', { tenant: 't1', status: 'away' })).toBe(1);
  expect(sumOf(t, 'kefu_agent_conversations', { tenant: 't1' })).toBe(1);
  expect(sumOf(t, 'kefu_agent_capacity', { tenant: 't1' })).toBe(8);

  // A later scrape drops what went away.
  hosts.conversations.live.splice(0);
  expect(sumOf(await text(), 'kefu_conversations')).toBe(0);
});

test('transitions: started, closed by reason, abandoned only when ended while waiting', async () => {
  const { hosts, text } = setup();
  const c = hosts.conversations;
  c.commit(conversation('c1', 'new'), conversation('c1', 'queued'), {});
  c.commit(conversation('c1', 'queued'), { ...conversation('c1', 'closed'), closeReason: 'visitor' }, {});
  c.commit(conversation('c2', 'new'), conversation('c2', 'queued'), {});
  c.commit(conversation('c2', 'queued'), conversation('c2', 'assigned'), {});
  c.commit(conversation('c2', 'assigned'), { ...conversation('c2', 'closed'), closeReason: 'agent' }, {});
  c.commit(conversation('c3', 'new'), conversation('c3', 'queued'), {});
  c.commit(conversation('c3', 'queued'), conversation('c3', 'offline-message'), {});
  c.commit(conversation('c3', 'offline-message'), { ...conversation('c3', 'closed'), closeReason: 'offline-message' }, {});
  c.commit(conversation('c3', 'closed'), conversation('c3', 'closed'), {}); // no change: nothing counted
  const t = await text();
  expect(sumOf(t, 'kefu_conversations_started_total', { tenant: 't1' })).toBe(3);
  expect(sumOf(t, 'kefu_conversations_closed_total', { tenant: 't1' })).toBe(3);
  expect(sumOf(t, 'kefu_conversations_closed_total', { reason: 'agent' })).toBe(1);
  expect(sumOf(t, 'kefu_conversations_abandoned_total', { tenant: 't1' })).toBe(2);
});

test('assignments: counted per group, with the wait and the hand-over latency of each', async () => {
  const { hosts, text } = setup();
  const now = 1_000_000;
  const before = { ...newQueue({ skillGroupId: 'sales', tenantId: 't1' }), waiting: [entry('c1', now - 12_000, now - 4), entry('c2', now - 2_000, now - 4), entry('c3', now, null)] };
  hosts.queues.commit(before, { ...before, waiting: [before.waiting[2]!] }, { type: 'offers-accepted', agentId: 'a1', conversationIds: ['c1', 'c2'] }, now);
  hosts.queues.commit(before, before, { type: 'route' }, now);
  const t = await text();
  expect(sumOf(t, 'kefu_assignments_total', { tenant: 't1', group: 'sales' })).toBe(2);
  expect(sumOf(t, 'kefu_queue_wait_seconds_sum', { group: 'sales' })).toBeCloseTo(14, 5);
  expect(sumOf(t, 'kefu_assignment_latency_seconds_count', { group: 'sales' })).toBe(2);
  expect(sumOf(t, 'kefu_assignment_latency_seconds_bucket', { group: 'sales', le: '0.005' })).toBe(2);
});

test('skill groups beyond the bound are counted together as group="other"', async () => {
  const { hosts, text } = setup();
  for (let i = 0; i < MAX_GROUP_SERIES + 3; i++) hosts.queues.live.push(newQueue({ skillGroupId: `g${i}`, tenantId: 't1' }));
  const t = await text();
  const groups = new Set([...t.matchAll(/^kefu_queue_waiting\{[^}]*group="([^"]+)"/gm)].map((m) => m[1]));
  expect(groups.size).toBe(MAX_GROUP_SERIES + 1);
  expect(groups.has('other')).toBe(true);
});
