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
import type { AgentSnapshot } from '../agent/state.ts';
import { accept, reject, unreachable, type Decision } from '../kernel/decision.ts';
import { planOffers } from './policies/plan.ts';
import { WINDOW, estimateWaitMs } from './policies/wait-estimate.ts';
import type { QueueCommand, QueueEffect } from './protocol.ts';
import { POSITION_MESSAGES_PER_SECOND, POSITION_PUBLISH_INTERVAL_MS, onlineCapacity, serviceOrder, type QueueEntry, type QueueState } from './state.ts';

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
        offeredAt: null,
        shownPosition: null,
      };
      // Insert in service order; nobody else's shown position changes (it never goes up). The
      // newcomer learns their position with the next round, unless an agent takes them first.
      const at = state.waiting.findIndex((e) => serviceOrder(entry, e) < 0);
      const waiting = state.waiting.toSpliced(at === -1 ? state.waiting.length : at, 0, entry);
      return settle(positionsChanged({ ...state, waiting, nextArrival: state.nextArrival + 1 }, now), now, [{ type: 'route-requested' }]);
    }
    case 'dequeue': {
      if (!state.waiting.some((e) => e.conversationId === command.conversationId)) return accept(state);
      return settle(positionsChanged({ ...state, waiting: state.waiting.filter((e) => e.conversationId !== command.conversationId) }, now), now, []);
    }
    case 'agent-availability': {
      const known = state.agents[command.agent.agentId];
      if (known && sameSnapshot(known, command.agent)) return accept(state);
      const agents = { ...state.agents, [command.agent.agentId]: command.agent };
      return accept({ ...state, agents }, [{ type: 'route-requested' }]);
    }
    case 'route': {
      const offers = planOffers(state.waiting, Object.values(state.agents), state.settings.policy, now);
      if (offers.length === 0) return accept(state);
      const offered = new Map(offers.map((o) => [o.conversationId, o.agentId]));
      const waiting = state.waiting.map((e) => (offered.has(e.conversationId) ? { ...e, offeredTo: offered.get(e.conversationId)!, offeredAt: now } : e));
      // Until the agent reports again, count the slots just offered as taken.
      const agents = { ...state.agents };
      for (const o of offers) {
        const a = agents[o.agentId]!;
        agents[o.agentId] = { ...a, freeSlots: a.freeSlots - 1, load: a.load + 1, lastAssignedAt: now };
      }
      const next = { ...state, waiting, agents };
      return accept(
        next,
        offers.map((o) => ({ type: 'offer', conversationId: o.conversationId, agentId: o.agentId, ttlMs: state.settings.offerTtlMs })),
      );
    }
    case 'offers-accepted': {
      const accepted = new Set(command.conversationIds);
      const waiting = state.waiting.filter((e) => !accepted.has(e.conversationId));
      const taken = state.waiting.length - waiting.length;
      if (taken === 0) return accept(state);
      const recentAssignments = [...state.recentAssignments, ...Array<number>(taken).fill(now)].slice(-WINDOW);
      return settle(positionsChanged({ ...state, waiting, recentAssignments }, now), now, []);
    }
    case 'offer-refused': {
      const waiting = state.waiting.map((e) =>
        e.conversationId === command.conversationId && e.offeredTo === command.agentId ? { ...e, offeredTo: null, offeredAt: null } : e,
      );
      // The agent is not what we believed: offer it nothing more until it reports again.
      const known = state.agents[command.agentId];
      const agents = known ? { ...state.agents, [command.agentId]: { ...known, freeSlots: 0 } } : state.agents;
      return accept({ ...state, waiting, agents }, [{ type: 'route-requested' }]);
    }
    case 'describe': {
      const shown = state.waiting.slice(0, Math.max(0, command.limit));
      return accept(state, [
        {
          type: 'waiting',
          total: state.waiting.length,
          entries: shown.map((e) => ({
            conversationId: e.conversationId,
            priority: e.priority,
            waitedMs: now - e.waitingSince,
            inQueueMs: now - e.enqueuedAt,
            offeredTo: e.offeredTo,
            preferredAgentId: e.preferredAgentId,
          })),
          longestWaitMs: state.waiting.reduce((longest, e) => Math.max(longest, now - e.waitingSince), 0),
          estimatedWaitMs: estimateWaitMs({
            position: state.waiting.length + 1,
            recentAssignments: state.recentAssignments,
            onlineCapacity: onlineCapacity(state),
            defaultHandleTimeMs: state.settings.defaultHandleTimeMs,
          }),
          policy: state.settings.policy,
          agents: Object.values(state.agents),
        },
      ]);
    }
    case 'pick': {
      if (!state.agents[command.agentId]) return reject('AGENT_NOT_IN_GROUP', `agent ${command.agentId} does not serve skill group ${state.skillGroupId}`);
      const entry =
        command.conversationId === null
          ? state.waiting.find((e) => e.offeredTo === null)
          : state.waiting.find((e) => e.conversationId === command.conversationId && e.offeredTo === null);
      if (!entry) return reject('CONVERSATION_UNKNOWN', 'no such conversation waiting in this skill group');
      const waiting = state.waiting.map((e) => (e === entry ? { ...e, offeredTo: command.agentId, offeredAt: now } : e));
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
      let next: QueueState = staying.length < state.waiting.length ? positionsChanged({ ...state, waiting: staying }, now) : state;
      if (next.positionsDueAt !== null && next.positionsDueAt <= now) {
        const published = publishPositions(next);
        const quietMs = Math.ceil((published.effects.length * 1_000) / POSITION_MESSAGES_PER_SECOND);
        next = { ...published.state, positionsDueAt: null, positionsQuietUntil: now + quietMs };
        effects.push(...published.effects);
      }
      // A preferred-agent wait may have ended: everyone else becomes eligible for that entry.
      return settle(next, now, [...effects, { type: 'route-requested' }]);
    }
    case 'update-settings':
      return settle({ ...state, settings: { ...state.settings, ...command.settings } }, now, [{ type: 'route-requested' }]);
    default:
      return unreachable(command);
  }
}

const sameSnapshot = (a: AgentSnapshot, b: AgentSnapshot): boolean =>
  a.status === b.status && a.load === b.load && a.maxConversations === b.maxConversations && a.freeSlots === b.freeSlots && a.lastAssignedAt === b.lastAssignedAt && a.skillGroupCount === b.skillGroupCount;

/** Sets the queue's single timer to its next deadline. */
function settle(state: QueueState, now: number, effects: QueueEffect[]): QueueDecision {
  return accept(state, [...effects, { type: 'schedule-tick', at: nextDeadline(state, now) }]);
}

/** Someone left the line: the visitors behind them will be told their new positions, coalesced and paced. */
function positionsChanged(state: QueueState, now: number): QueueState {
  if (state.positionsDueAt !== null) return state;
  return { ...state, positionsDueAt: Math.max(now + POSITION_PUBLISH_INTERVAL_MS, state.positionsQuietUntil) };
}

function positionOf(state: QueueState, entry: QueueEntry, position: number): QueueEffect {
  return {
    type: 'position',
    conversationId: entry.conversationId,
    position,
    estimatedWaitMs: estimateWaitMs({
      position,
      recentAssignments: state.recentAssignments,
      onlineCapacity: onlineCapacity(state),
      defaultHandleTimeMs: state.settings.defaultHandleTimeMs,
    }),
  };
}

/** Tells every visitor whose position improved since they were last told. */
function publishPositions(state: QueueState): { state: QueueState; effects: QueueEffect[] } {
  const effects: QueueEffect[] = [];
  const waiting = state.waiting.map((e, i) => {
    const shown = e.shownPosition === null ? i + 1 : Math.min(e.shownPosition, i + 1);
    if (shown === e.shownPosition) return e;
    effects.push(positionOf(state, e, shown));
    return { ...e, shownPosition: shown };
  });
  return { state: { ...state, waiting }, effects };
}

/** The queue's next deadline after `now` (overflow, timeout, end of a preferred-agent wait, position round). */
export function nextDeadline(state: QueueState, now: number): number | null {
  const { overflow, queueTimeoutMs } = state.settings;
  let at = state.positionsDueAt ?? Infinity;
  for (const e of state.waiting) {
    if (queueTimeoutMs !== null) at = Math.min(at, e.waitingSince + queueTimeoutMs);
    if (overflow !== null) at = Math.min(at, e.enqueuedAt + overflow.afterMs);
    if (e.preferredAgentId !== null && e.preferredUntil > now) at = Math.min(at, e.preferredUntil);
  }
  return at === Infinity ? null : Math.max(at, now);
}

/**
 * The waiting list rebuilt from the conversations waiting in this skill group (after the queue
 * actor moved or restarted): service order by priority then waiting time; preferred agents from
 * the conversations; offers that were in flight are forgotten (a second offer of a conversation
 * that was assigned meanwhile is refused by the conversation and dropped). Shown positions start
 * over, so a visitor may see their position once more after such a move.
 */
export function rebuildWaiting(
  state: QueueState,
  conversations: readonly {
    conversationId: string;
    priority: number;
    waitingSince: number | null;
    requestedAgentId: string | null;
    visitor: { lastAgentId: string | null };
    unansweredBy: readonly string[];
  }[],
): QueueState {
  const sorted = [...conversations].sort(
    (a, b) => b.priority - a.priority || (a.waitingSince ?? 0) - (b.waitingSince ?? 0) || (a.conversationId < b.conversationId ? -1 : 1),
  );
  const waiting: QueueEntry[] = sorted.map((c, i) => {
    const since = c.waitingSince ?? 0;
    const preferred = c.requestedAgentId ?? c.visitor.lastAgentId;
    const wait = c.requestedAgentId !== null ? state.settings.requestedWaitMs : state.settings.stickyWaitMs;
    return {
      conversationId: c.conversationId,
      priority: c.priority,
      arrival: i,
      enqueuedAt: since,
      waitingSince: since,
      preferredAgentId: preferred,
      preferredUntil: preferred ? since + wait : since,
      avoidAgentIds: c.unansweredBy,
      offeredTo: null,
      offeredAt: null,
      shownPosition: null,
    };
  });
  return { ...state, waiting, nextArrival: waiting.length, positionsDueAt: waiting.length > 0 ? 0 : null, positionsQuietUntil: 0 };
}
