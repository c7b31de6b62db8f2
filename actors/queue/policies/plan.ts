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
import { chooseAgent } from './agent-choice.policy.ts';

export type PlannedOffer = { readonly conversationId: string; readonly agentId: string };

export function planOffers(
  waiting: readonly QueueEntry[],
  agents: readonly AgentSnapshot[],
  policy: RoutingPolicy,
  now: number,
): PlannedOffer[] {
  if (policy === 'manual') return [];
  const pool = new Map(agents.map((a) => [a.agentId, { ...a }]));
  let free = [...pool.values()].filter((a) => a.freeSlots > 0);
  const offers: PlannedOffer[] = [];
  for (const entry of waiting) {
    if (free.length === 0) break;
    if (entry.offeredTo !== null) continue;
    let chosen: AgentSnapshot | null;
    const preferred = waitsFor(entry, pool, now);
    if (preferred) {
      if (preferred.freeSlots === 0) continue; // keeps waiting for that agent; others are served
      chosen = preferred;
    } else {
      const eligible = entry.avoidAgentIds.length === 0 ? free : free.filter((a) => !entry.avoidAgentIds.includes(a.agentId));
      chosen = chooseAgent(policy, eligible);
    }
    if (!chosen) continue;
    offers.push({ conversationId: entry.conversationId, agentId: chosen.agentId });
    const updated = { ...chosen, freeSlots: chosen.freeSlots - 1, load: chosen.load + 1, lastAssignedAt: now };
    pool.set(chosen.agentId, updated);
    free = updated.freeSlots > 0 ? free.map((a) => (a.agentId === updated.agentId ? updated : a)) : free.filter((a) => a.agentId !== updated.agentId);
  }
  return offers;
}

/** The preferred agent this entry still waits for, if any. */
function waitsFor(entry: QueueEntry, pool: ReadonlyMap<string, AgentSnapshot>, now: number): AgentSnapshot | null {
  if (entry.preferredAgentId === null || now >= entry.preferredUntil) return null;
  const agent = pool.get(entry.preferredAgentId);
  if (!agent || agent.status === 'offline') return null;
  return agent;
}
