/**
 * The router's core: given the waiting list (in service order) and snapshots of the group's agents,
 * which conversation goes to which agent now. Pure; it decrements the snapshots' free slots as it
 * plans, so one pass never overfills an agent — and the agent actor re-checks every reservation.
 *
 * Rules, in order, for each waiting conversation without an offer in flight:
 * 1. A preferred agent (sticky last agent, or requested) who is online is waited for until
 *    `preferredUntil`; if that agent has a free slot, they get it. An offline preferred agent is not
 *    waited for.
 * 2. Otherwise the policy chooses among agents with a free slot (never one that let this
 *    conversation go unanswered before).
 * 3. Planning stops when no agent has a free slot left.
 */
import type { AgentSnapshot } from '../../agent/state.ts';
import type { QueueEntry, RoutingPolicy } from '../state.ts';
import { Heap } from '../../kernel/heap.ts';
import { POLICY_ORDER } from './agent-choice.policy.ts';

export type PlannedOffer = { readonly conversationId: string; readonly agentId: string };

export function planOffers(
  waiting: readonly QueueEntry[],
  agents: readonly AgentSnapshot[],
  policy: RoutingPolicy,
  now: number,
): PlannedOffer[] {
  if (policy === 'manual') return [];
  const order = POLICY_ORDER[policy];
  // Agents with a free slot in a heap by policy order. An agent's record is replaced (not moved)
  // when it takes a conversation; records of older versions are skipped when they surface.
  type Slot = { readonly agent: AgentSnapshot; readonly version: number };
  const pool = new Map(agents.map((a) => [a.agentId, { agent: a, version: 0 }]));
  const heap = new Heap<Slot>((a, b) => order(a.agent, b.agent) < 0, [...pool.values()].filter((s) => s.agent.freeSlots > 0));
  let freeAgents = heap.size;
  const current = (s: Slot): boolean => pool.get(s.agent.agentId)!.version === s.version;

  const offers: PlannedOffer[] = [];
  for (const entry of waiting) {
    if (freeAgents === 0) break;
    if (entry.offeredTo !== null) continue;
    let chosen: AgentSnapshot | null = null;
    const preferred = waitsFor(entry, pool, now);
    if (preferred) {
      if (preferred.freeSlots === 0) continue; // keeps waiting for that agent; others are served
      chosen = preferred;
    } else {
      const passedOver: Slot[] = [];
      for (let slot = heap.pop(); slot; slot = heap.pop()) {
        if (!current(slot)) continue;
        if (entry.avoidAgentIds.includes(slot.agent.agentId)) passedOver.push(slot);
        else {
          chosen = slot.agent;
          break;
        }
      }
      for (const slot of passedOver) heap.push(slot);
    }
    if (!chosen) continue;
    offers.push({ conversationId: entry.conversationId, agentId: chosen.agentId });
    const updated = { ...chosen, freeSlots: chosen.freeSlots - 1, load: chosen.load + 1, lastAssignedAt: now };
    const slot = { agent: updated, version: pool.get(chosen.agentId)!.version + 1 };
    pool.set(chosen.agentId, slot);
    if (updated.freeSlots > 0) heap.push(slot);
    else freeAgents--;
  }
  return offers;
}

/** The preferred agent this entry still waits for, if any. */
function waitsFor(entry: QueueEntry, pool: ReadonlyMap<string, { readonly agent: AgentSnapshot }>, now: number): AgentSnapshot | null {
  if (entry.preferredAgentId === null || now >= entry.preferredUntil) return null;
  const agent = pool.get(entry.preferredAgentId)?.agent;
  if (!agent || agent.status === 'offline') return null;
  return agent;
}
