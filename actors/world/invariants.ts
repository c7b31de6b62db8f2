/**
 * The routing invariants, checked on a settled world (no message in flight). Each returns the
 * violations it found, in words, so a failing property test says what broke.
 */
import { freeSlots, load } from '../agent/state.ts';
import type { QueueEntry, QueueState } from '../queue/state.ts';
import type { World } from './world.ts';

const ASSIGNED = new Set(['assigned', 'transferred']);

/**
 * No agent holds more conversations (plus reservations) than its capacity allows — except an agent
 * whose capacity was just lowered below what it holds: it keeps its conversations and gets no new
 * one until it is below the limit again (checked by `noAssignmentBeyondCapacity`).
 */
export function agentsWithinCapacity(world: World, lowered: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  for (const a of world.agents.values()) {
    if (load(a) > a.maxConversations && !lowered.has(a.agentId)) out.push(`agent ${a.agentId} holds ${load(a)} > max ${a.maxConversations}`);
    for (const [group, cap] of Object.entries(a.maxPerSkillGroup)) {
      const inGroup = a.conversations.filter((c) => c.skillGroupId === group).length + a.reservations.filter((r) => r.skillGroupId === group).length;
      if (inGroup > cap) out.push(`agent ${a.agentId} holds ${inGroup} > ${cap} in ${group}`);
    }
  }
  return out;
}

/**
 * One owner: an assigned conversation is held by exactly its agent; an agent holds only
 * conversations assigned to it; a queued conversation waits in exactly its skill group's queue.
 */
export function singleOwner(world: World): string[] {
  const out: string[] = [];
  const holders = new Map<string, string[]>();
  for (const a of world.agents.values()) {
    for (const c of a.conversations) holders.set(c.conversationId, [...(holders.get(c.conversationId) ?? []), a.agentId]);
  }
  for (const c of world.conversations.values()) {
    const held = holders.get(c.conversationId) ?? [];
    if (ASSIGNED.has(c.status)) {
      if (held.length !== 1 || held[0] !== c.agentId) out.push(`conversation ${c.conversationId} (${c.status}, agent ${c.agentId}) held by [${held.join(', ')}]`);
    } else if (held.length > 0) {
      out.push(`conversation ${c.conversationId} is ${c.status} but held by [${held.join(', ')}]`);
    }
    const queues = [...world.queues.values()].filter((q) => q.waiting.some((e) => e.conversationId === c.conversationId));
    if (c.status === 'queued' && (queues.length !== 1 || queues[0]!.skillGroupId !== c.skillGroupId)) {
      out.push(`queued conversation ${c.conversationId} of ${c.skillGroupId} waits in [${queues.map((q) => q.skillGroupId).join(', ')}]`);
    }
    if (c.status !== 'queued' && queues.length > 0) out.push(`conversation ${c.conversationId} is ${c.status} but still waits in a queue`);
  }
  return out;
}

/** An entry any agent may take: no offer in flight, no preferred agent it still waits for. */
function unrestricted(world: World, e: QueueEntry, now: number): boolean {
  if (e.offeredTo !== null) return false;
  if (e.preferredAgentId !== null && now < e.preferredUntil) {
    const preferred = world.agents.get(e.preferredAgentId);
    if (preferred && preferred.status !== 'offline') return false;
  }
  return true;
}

/**
 * Work conservation: after routing settles, a conversation any agent may take and an agent of its
 * group with a free slot (who did not let it go unanswered) never both remain.
 */
export function noIdleCapacityWhileWaiting(world: World): string[] {
  const out: string[] = [];
  for (const q of world.queues.values()) {
    if (q.settings.policy === 'manual') continue;
    const free = [...world.agents.values()].filter((a) => freeSlots(a, q.skillGroupId) > 0);
    for (const e of q.waiting) {
      if (!unrestricted(world, e, world.now)) continue;
      const idle = free.find((a) => !e.avoidAgentIds.includes(a.agentId));
      if (idle) out.push(`conversation ${e.conversationId} waits in ${q.skillGroupId} while agent ${idle.agentId} has a free slot`);
    }
  }
  return out;
}

/**
 * Priority, then FIFO: in one routing pass, an unrestricted entry that got no offer is never ahead
 * (in service order) of an unrestricted entry that got one, unless the latter had a preferred
 * agent of its own. Checked on a `route` observation.
 */
export function servedInOrder(world: World, before: QueueState, after: QueueState, now: number): string[] {
  const offered = new Set(after.waiting.filter((e) => e.offeredTo !== null).map((e) => e.conversationId));
  const candidates = before.waiting.filter((e) => e.offeredTo === null && unrestricted(world, e, now) && e.avoidAgentIds.length === 0);
  const out: string[] = [];
  let skipped: QueueEntry | null = null;
  for (const e of candidates) {
    if (!offered.has(e.conversationId)) skipped ??= e;
    else if (skipped) out.push(`${e.conversationId} (priority ${e.priority}, arrival ${e.arrival}) was offered before ${skipped.conversationId} (priority ${skipped.priority}, arrival ${skipped.arrival})`);
  }
  return out;
}

/** No conversation stays with an agent who is offline. */
export function nothingStrandedWithOfflineAgents(world: World): string[] {
  const out: string[] = [];
  for (const c of world.conversations.values()) {
    if (!ASSIGNED.has(c.status) || c.agentId === null) continue;
    const agent = world.agents.get(c.agentId);
    if (agent && agent.status === 'offline') out.push(`conversation ${c.conversationId} is stranded with offline agent ${c.agentId}`);
  }
  return out;
}

/** An agent's load only ever grows up to its capacity (checked on `agent.capacity-changed` events). */
export function noAssignmentBeyondCapacity(previousLoad: number, event: { agentId: string; load: number; maxConversations: number }): string[] {
  return event.load > previousLoad && event.load > event.maxConversations
    ? [`agent ${event.agentId} was given a conversation beyond capacity (${event.load} > ${event.maxConversations})`]
    : [];
}

export function settledInvariants(world: World, loweredCapacity: ReadonlySet<string> = new Set()): string[] {
  return [
    ...agentsWithinCapacity(world, loweredCapacity),
    ...singleOwner(world),
    ...noIdleCapacityWhileWaiting(world),
    ...nothingStrandedWithOfflineAgents(world),
  ];
}
