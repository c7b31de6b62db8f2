/**
 * Pure transitions of the queue actor. No I/O, no clock: `now` is passed in.
 *
 * Guarantees (property-tested in machine.property.test.ts):
 * - FIFO within a priority class: among conversations any agent may take, earlier arrivals of the
 *   same class are offered first;
 * - after `route`, a waiting conversation and an agent with a free slot do not both remain, unless
 *   the conversation waits for its preferred agent, the agent let it go unanswered, or routing is
 *   manual;
 * - the position shown to a visitor never goes up (a higher-priority arrival may overtake them; the
 *   shown position then holds still instead of moving back).
 */
import { accept, reject, unreachable, type Decision } from '../kernel/decision.ts';
import { planOffers } from './policies/plan.ts';
import { WINDOW, estimateWaitMs } from './policies/wait-estimate.ts';
import type { QueueCommand, QueueEffect } from './protocol.ts';
import { serviceOrder, type QueueEntry, type QueueState } from './state.ts';

export type QueueDecision = Decision<QueueState, QueueEffect>;

export function decideQueue(state: QueueState, command: QueueCommand, now: number): QueueDecision {
  switch (command.type) {
    case 'enqueue': {
      if (state.waiting.some((e) => e.conversationId === command.conversationId)) return accept(state);
      const { maxWaiting } = state.settings;
      if (maxWaiting !== null && state.waiting.length >= maxWaiting) {
        return reject('QUEUE_FULL', `skill group ${state.skillGroupId} has ${state.waiting.length} visitors waiting`);
      }
      const preferredWait = command.preference === 'requested' ? state.settings.requestedWaitMs : state.settings.stickyWaitMs;
      const entry: QueueEntry = {
        conversationId: command.conversationId,
        priority: command.priority,
        arrival: state.nextArrival,
        enqueuedAt: now,
        waitingSince: command.waitingSince ?? now,
        preferredAgentId: command.preferredAgentId ?? null,
        preferredUntil: command.preferredAgentId ? now + preferredWait : now,
        avoidAgentIds: command.avoidAgentIds ?? [],
        offeredTo: null,
        shownPosition: null,
      };
      const waiting = [...state.waiting, entry].sort(serviceOrder);
      return settle({ ...state, waiting, nextArrival: state.nextArrival + 1 }, now, [{ type: 'route-requested' }]);
    }
    case 'dequeue': {
      if (!state.waiting.some((e) => e.conversationId === command.conversationId)) return accept(state);
      return settle({ ...state, waiting: state.waiting.filter((e) => e.conversationId !== command.conversationId) }, now, []);
    }
    case 'route': {
      const offers = planOffers(state.waiting, command.agents, state.settings.policy, now);
      const offered = new Map(offers.map((o) => [o.conversationId, o.agentId]));
      const waiting = state.waiting.map((e) => (offered.has(e.conversationId) ? { ...e, offeredTo: offered.get(e.conversationId)! } : e));
      const onlineCapacity = command.agents.filter((a) => a.status !== 'offline').reduce((sum, a) => sum + a.maxConversations, 0);
      const next = { ...state, waiting, onlineCapacity };
      return accept(
        next,
        offers.map((o) => ({ type: 'offer', conversationId: o.conversationId, agentId: o.agentId, ttlMs: state.settings.offerTtlMs })),
      );
    }
    case 'offer-accepted': {
      const entry = state.waiting.find((e) => e.conversationId === command.conversationId);
      if (!entry) return accept(state);
      const recentAssignments = [...state.recentAssignments, now].slice(-WINDOW);
      const waiting = state.waiting.filter((e) => e !== entry);
      return settle({ ...state, waiting, recentAssignments }, now, []);
    }
    case 'offer-refused': {
      const waiting = state.waiting.map((e) =>
        e.conversationId === command.conversationId && e.offeredTo === command.agentId ? { ...e, offeredTo: null } : e,
      );
      return accept({ ...state, waiting }, [{ type: 'route-requested' }]);
    }
    case 'pick': {
      const entry =
        command.conversationId === null
          ? state.waiting.find((e) => e.offeredTo === null)
          : state.waiting.find((e) => e.conversationId === command.conversationId && e.offeredTo === null);
      if (!entry) return reject('CONVERSATION_UNKNOWN', 'no such conversation waiting in this skill group');
      const waiting = state.waiting.map((e) => (e === entry ? { ...e, offeredTo: command.agentId } : e));
      return accept({ ...state, waiting }, [
        { type: 'offer', conversationId: entry.conversationId, agentId: command.agentId, ttlMs: state.settings.offerTtlMs },
      ]);
    }
    case 'tick': {
      const { overflow, queueTimeoutMs } = state.settings;
      const effects: QueueEffect[] = [];
      const staying: QueueEntry[] = [];
      for (const e of state.waiting) {
        if (e.offeredTo === null && queueTimeoutMs !== null && now - e.waitingSince >= queueTimeoutMs) {
          effects.push({ type: 'timed-out', conversationId: e.conversationId });
        } else if (e.offeredTo === null && overflow !== null && now - e.enqueuedAt >= overflow.afterMs) {
          effects.push({ type: 'overflow', conversationId: e.conversationId, toSkillGroupId: overflow.toSkillGroupId, priority: e.priority, waitingSince: e.waitingSince });
        } else {
          staying.push(e);
        }
      }
      // A preferred-agent wait may have ended: everyone else becomes eligible for that entry.
      return settle({ ...state, waiting: staying }, now, [...effects, { type: 'route-requested' }]);
    }
    case 'update-settings':
      return settle({ ...state, settings: { ...state.settings, ...command.settings } }, now, [{ type: 'route-requested' }]);
    default:
      return unreachable(command);
  }
}

/** Recomputes shown positions and the timer after the waiting list changed. */
function settle(state: QueueState, now: number, effects: QueueEffect[]): QueueDecision {
  const out = [...effects];
  let position = 0;
  const waiting = state.waiting.map((e) => {
    position += 1;
    const shown = e.shownPosition === null ? position : Math.min(e.shownPosition, position);
    if (shown === e.shownPosition) return e;
    out.push({
      type: 'position',
      conversationId: e.conversationId,
      position: shown,
      estimatedWaitMs: estimateWaitMs({
        position: shown,
        recentAssignments: state.recentAssignments,
        onlineCapacity: state.onlineCapacity,
        defaultHandleTimeMs: state.settings.defaultHandleTimeMs,
      }),
    });
    return { ...e, shownPosition: shown };
  });
  const next = { ...state, waiting };
  out.push({ type: 'schedule-tick', at: nextDeadline(next, now) });
  return accept(next, out);
}

function nextDeadline(state: QueueState, now: number): number | null {
  const { overflow, queueTimeoutMs } = state.settings;
  let at = Infinity;
  for (const e of state.waiting) {
    if (queueTimeoutMs !== null) at = Math.min(at, e.waitingSince + queueTimeoutMs);
    if (overflow !== null) at = Math.min(at, e.enqueuedAt + overflow.afterMs);
    if (e.preferredAgentId !== null && e.preferredUntil > now) at = Math.min(at, e.preferredUntil);
  }
  return at === Infinity ? null : Math.max(at, now);
}
