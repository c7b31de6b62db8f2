/**
 * Router throughput: `npm run bench:router`
 *
 * How many assignments per second the pure router decides on one core, for a busy skill group:
 * 10,000 visitors waiting (5 % VIP), 500 agents with 4 free slots each, so every pass hands out
 * 2,000 conversations. Two measures, each next to a baseline measured in the same run:
 *
 * - planner: `planOffers` alone (policy choice for every offer);
 * - queue actor: the full queue step per assignment — `route`, then `offers-accepted` for each
 *   offer (which also recomputes the positions shown to everyone still waiting).
 *
 * Baseline: plain round-robin as most peers implement it — a pointer rotating over the agent list,
 * skipping agents without a free slot, no policy state at all.
 */
import type { AgentSnapshot } from '../../actors/agent/state.ts';
import { isRejection } from '../../actors/kernel/decision.ts';
import { decideQueue } from '../../actors/queue/machine.ts';
import { planOffers } from '../../actors/queue/policies/plan.ts';
import { newQueue, type QueueState, type RoutingPolicy } from '../../actors/queue/state.ts';

const WAITING = 10_000;
const AGENTS = 500;
const SLOTS = 4;

function waitingQueue(policy: RoutingPolicy): QueueState {
  let q = newQueue({ skillGroupId: 'bench', tenantId: 't', settings: { policy, queueTimeoutMs: null } });
  // Built directly (not by 10,000 enqueues) to keep set-up out of the measurement's way.
  const waiting = Array.from({ length: WAITING }, (_, i) => ({
    conversationId: `c${i}`,
    priority: i % 20 === 0 ? 10 : 0,
    arrival: i,
    enqueuedAt: 0,
    waitingSince: 0,
    preferredAgentId: null,
    preferredUntil: 0,
    avoidAgentIds: [],
    offeredTo: null, offeredAt: null,
    shownPosition: null,
  })).sort((a, b) => b.priority - a.priority || a.arrival - b.arrival);
  q = { ...q, waiting, nextArrival: WAITING };
  return q;
}

const agents: AgentSnapshot[] = Array.from({ length: AGENTS }, (_, i) => ({
  agentId: `a${i}`,
  status: 'ready',
  load: i % SLOTS,
  maxConversations: SLOTS + (i % SLOTS),
  freeSlots: SLOTS,
  lastAssignedAt: i * 1_000,
  skillGroupCount: 1 + (i % 3),
}));

/** Runs `fn` (which returns how many assignments it made) for at least `ms`, returns assignments/s. */
function rate(ms: number, fn: () => number): number {
  fn(); // warm-up
  let assignments = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    assignments += fn();
    elapsed = performance.now() - start;
  }
  return (assignments / elapsed) * 1000;
}

function baseline(queue: QueueState): number {
  const free = agents.map((a) => a.freeSlots);
  let left = free.reduce((s, n) => s + n, 0);
  let pointer = 0;
  const offers: [string, string][] = [];
  for (const entry of queue.waiting) {
    if (left === 0) break;
    while (free[pointer] === 0) pointer = (pointer + 1) % agents.length;
    offers.push([entry.conversationId, agents[pointer]!.agentId]);
    free[pointer]!--;
    left--;
    pointer = (pointer + 1) % agents.length;
  }
  return offers.length;
}

function queueActor(queue: QueueState): number {
  const routed = decideQueue({ ...queue, agents: Object.fromEntries(agents.map((a) => [a.agentId, a])) }, { type: 'route' }, 1);
  if (isRejection(routed)) throw new Error(routed.message);
  let state = routed.state;
  let n = 0;
  for (const e of routed.effects) {
    if (e.type !== 'offer') continue;
    const d = decideQueue(state, { type: 'offers-accepted', agentId: e.agentId, conversationIds: [e.conversationId] }, 2);
    if (isRejection(d)) throw new Error(d.message);
    state = d.state;
    n++;
  }
  return n;
}

const fmt = (n: number): string => `${Math.round(n).toLocaleString('en-US')}/s`.padStart(14);

console.log(`Router throughput (Node ${process.version}): ${WAITING.toLocaleString('en-US')} waiting, ${AGENTS} agents × ${SLOTS} free slots`);
const q = waitingQueue('idle-first');
const base = rate(2_000, () => baseline(q));
console.log(`  baseline: plain rotating round-robin      ${fmt(base)}`);
for (const policy of ['idle-first', 'least-busy', 'round-robin'] as const) {
  const queue = waitingQueue(policy);
  const planner = rate(2_000, () => planOffers(queue.waiting, agents, policy, 1).length);
  console.log(`  planner ${policy.padEnd(12)}                ${fmt(planner)}   ${(planner / base).toFixed(3)}× baseline`);
}
const actor = rate(3_000, () => queueActor(q));
console.log(`  queue actor: route + offers-accepted each ${fmt(actor)}   (removal from a 10k list per assignment)`);
