/**
 * What the contact-center actors hosted on a node report to Prometheus: live counts read from the
 * actors in memory at scrape time (conversations by state, queues, agents), and what their committed
 * decisions tell as they happen (started, closed, abandoned, assigned, how long visitors waited).
 *
 * The counts are exact because live actors stay in memory (`keepActive`): a live conversation,
 * a signed-in agent, a queue with visitors or agents are never passivated. After a failover, the
 * new owner counts a moved actor from its first command there (a message, a timer, a report).
 * Sum them over nodes in PromQL; each actor is owned by one node at a time.
 */
import type { Registry } from 'prom-client';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { AgentState } from '../actors/agent/state.ts';
import { load } from '../actors/agent/state.ts';
import type { ConversationState } from '../actors/conversation/state.ts';
import { isOpen } from '../actors/conversation/state.ts';
import type { QueueActorCommand } from '../actors/queue/queue.actor.ts';
import type { QueueState } from '../actors/queue/state.ts';
import type { CommitListener } from './actor-host.ts';
import { MAX_GROUP_SERIES, METRICS } from './metrics.ts';

/** What this module needs of an actor host. */
export type Observed<S, C> = { states(): Iterable<S>; onCommitted(listener: CommitListener<S, C>): void };

const WAIT_BUCKETS = [1, 5, 10, 20, 30, 60, 120, 300, 600, 1800];
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export function observeContactCenter(
  registry: Registry,
  hosts: {
    conversations: Observed<ConversationState, unknown>;
    agents: Observed<AgentState, unknown>;
    queues: Observed<QueueState, QueueActorCommand>;
  },
): void {
  const m = METRICS;
  const groups = new Set<string>();
  /** The group label, bounded (see MAX_GROUP_SERIES in metrics.ts). */
  const group = (skillGroupId: string): string => {
    if (groups.has(skillGroupId)) return skillGroupId;
    if (groups.size >= MAX_GROUP_SERIES) return 'other';
    groups.add(skillGroupId);
    return skillGroupId;
  };

  new Gauge({
    name: m.conversations.name,
    help: m.conversations.help,
    labelNames: ['tenant', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of hosts.conversations.states()) if (isOpen(c)) this.inc({ tenant: c.tenantId, state: c.status });
    },
  });
  // Gauges filled by one pass over the actors: the first one's collect sets the others, which
  // are registered after it (a registry collects in registration order).
  const unregistered = (d: { name: string; help: string }, labelNames: string[]) => new Gauge({ name: d.name, help: d.help, labelNames, registers: [] });
  const longestWait = unregistered(m.queueLongestWait, ['tenant', 'group']);
  new Gauge({
    name: m.queueWaiting.name,
    help: m.queueWaiting.help,
    labelNames: ['tenant', 'group'],
    registers: [registry],
    collect() {
      const now = Date.now();
      this.reset();
      longestWait.reset();
      for (const q of hosts.queues.states()) {
        const labels = { tenant: q.tenantId, group: group(q.skillGroupId) };
        this.inc(labels, q.waiting.length);
        longestWait.set(labels, q.waiting.reduce((max, e) => Math.max(max, now - e.waitingSince), 0) / 1000);
      }
    },
  });
  registry.registerMetric(longestWait);
  const agentLoad = unregistered(m.agentConversations, ['tenant']);
  const agentCapacity = unregistered(m.agentCapacity, ['tenant']);
  new Gauge({
    name: m.agents.name,
    help: m.agents.help,
    labelNames: ['tenant', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      agentLoad.reset();
      agentCapacity.reset();
      for (const a of hosts.agents.states()) {
        if (a.connections.length === 0) continue;
        const tenant = a.tenantId;
        this.inc({ tenant, status: a.status });
        agentLoad.inc({ tenant }, load(a));
        agentCapacity.inc({ tenant }, a.status === 'offline' ? 0 : a.maxConversations);
      }
    },
  });
  registry.registerMetric(agentLoad);
  registry.registerMetric(agentCapacity);

  const started = new Counter({ name: m.conversationsStarted.name, help: m.conversationsStarted.help, labelNames: ['tenant'], registers: [registry] });
  const closed = new Counter({ name: m.conversationsClosed.name, help: m.conversationsClosed.help, labelNames: ['tenant', 'reason'], registers: [registry] });
  const abandoned = new Counter({ name: m.conversationsAbandoned.name, help: m.conversationsAbandoned.help, labelNames: ['tenant'], registers: [registry] });
  hosts.conversations.onCommitted((_id, before, after) => {
    if (before.status === after.status) return;
    const tenant = after.tenantId;
    if (before.status === 'new') {
      started.inc({ tenant });
      // Every tenant with traffic has these series (at 0 until something happens).
      abandoned.inc({ tenant }, 0);
    }
    if (after.status === 'closed') closed.inc({ tenant, reason: after.closeReason ?? 'system' });
    if (before.status === 'queued' && (after.status === 'closed' || after.status === 'offline-message')) abandoned.inc({ tenant });
  });

  const assignments = new Counter({ name: m.assignments.name, help: m.assignments.help, labelNames: ['tenant', 'group'], registers: [registry] });
  const wait = new Histogram({ name: m.queueWait.name, help: m.queueWait.help, labelNames: ['tenant', 'group'], buckets: WAIT_BUCKETS, registers: [registry] });
  const latency = new Histogram({ name: m.assignmentLatency.name, help: m.assignmentLatency.help, labelNames: ['tenant', 'group'], buckets: LATENCY_BUCKETS, registers: [registry] });
  hosts.queues.onCommitted((_id, before, after, command, now) => {
    if (command.type !== 'offers-accepted') return;
    const labels = { tenant: after.tenantId, group: group(after.skillGroupId) };
    const accepted = new Set(command.conversationIds);
    for (const entry of before.waiting) {
      if (!accepted.has(entry.conversationId)) continue;
      assignments.inc(labels);
      wait.observe(labels, Math.max(0, now - entry.waitingSince) / 1000);
      if (entry.offeredAt !== null) latency.observe(labels, Math.max(0, now - entry.offeredAt) / 1000);
    }
  });
}
