/**
 * Pure transitions of the agent actor. No I/O, no clock: `now` is passed in.
 *
 * Rules worth knowing:
 * - Presence is the union of connections. Losing the last one starts a grace period
 *   (`presenceGraceMs`); if no connection returns before it ends the agent goes offline and every
 *   conversation it held is handed back for routing (`reroute`) — none is stranded.
 * - Only a `ready`, connected agent in the skill group, below its overall and per-group limits,
 *   gets a reservation. Reservations count against capacity until committed, released or expired.
 * - The agent tells its queues its availability whenever it changes in a way they cannot know:
 *   status, presence, limits, slots freed. A reservation and its commit are not reported to the
 *   queue that made them (it already counted the slot as taken), only to the agent's other queues.
 */
import { accept, isRejection, reject, unreachable, type Decision } from '../kernel/decision.ts';
import type { AgentCommand, AgentEffect } from './protocol.ts';
import { freeSlots, load, type AgentState, type AgentStatus, type Assignment } from './state.ts';

export type AgentDecision = Decision<AgentState, AgentEffect>;

/** Invitations an agent's profile remembers at most. */
export const MAX_INVITATIONS = 50;

export function decideAgent(state: AgentState, command: AgentCommand, now: number): AgentDecision {
  switch (command.type) {
    case 'connect': {
      if (state.connections.includes(command.connectionId)) return accept(state);
      const connections = [...state.connections, command.connectionId];
      const effects: AgentEffect[] = state.disconnectedAt !== null ? [{ type: 'cancel-presence-grace' }] : [];
      const next: AgentState = { ...state, connections, disconnectedAt: null };
      // Coming back within the grace period keeps the status (and the agent can take work again);
      // a fresh sign-in starts at the chosen one.
      if (state.status !== 'offline') return accept(next, state.connections.length === 0 ? [...effects, availabilityChanged(next)] : effects);
      return changeStatus(next, command.status ?? 'ready', null, now, effects);
    }
    case 'disconnect': {
      if (!state.connections.includes(command.connectionId)) return accept(state);
      const connections = state.connections.filter((c) => c !== command.connectionId);
      if (connections.length > 0 || state.status === 'offline') return accept({ ...state, connections });
      return accept({ ...state, connections, disconnectedAt: now }, [
        { type: 'schedule-presence-grace', at: now + state.presenceGraceMs },
      ]);
    }
    case 'presence-grace-expired': {
      // A stale timer (the agent reconnected meanwhile) changes nothing.
      if (state.connections.length > 0 || state.disconnectedAt === null) return accept(state);
      return changeStatus({ ...state, disconnectedAt: null }, 'offline', null, now);
    }
    case 'set-status': {
      if (state.connections.length === 0 && command.status !== 'offline') {
        return reject('AGENT_OFFLINE', 'connect the workstation before changing status');
      }
      return changeStatus(state, command.status, null, now);
    }
    case 'force-status':
      if (state.connections.length === 0 && command.status !== 'offline') {
        return reject('AGENT_OFFLINE', `agent ${state.agentId} has no connection`);
      }
      return changeStatus(state, command.status, command.by, now);
    case 'reserve': {
      if (holds(state, command.conversationId)) return accept(state); // retried request: already ours
      const refusal = refuseNew(state, command.skillGroupId);
      if (refusal) return refusal;
      const at = now + command.ttlMs;
      const next = {
        ...state,
        reservations: [...state.reservations, { conversationId: command.conversationId, skillGroupId: command.skillGroupId, expiresAt: at }],
      };
      return accept(next, [
        { type: 'schedule-reservation-expiry', conversationId: command.conversationId, at },
        capacityEvent(next, now),
        ...availabilityChangedExcept(next, command.skillGroupId),
      ]);
    }
    case 'commit-reservation': {
      if (state.conversations.some((c) => c.conversationId === command.conversationId)) return accept(state);
      const reservation = state.reservations.find((r) => r.conversationId === command.conversationId);
      if (!reservation) return reject('RESERVATION_UNKNOWN', `no reservation for conversation ${command.conversationId}`);
      const next = {
        ...state,
        reservations: state.reservations.filter((r) => r !== reservation),
        conversations: [...state.conversations, { conversationId: reservation.conversationId, skillGroupId: reservation.skillGroupId }],
        lastAssignedAt: now,
      };
      // The last-assignment time orders routing in the agent's other queues.
      return accept(next, availabilityChangedExcept(next, reservation.skillGroupId));
    }
    case 'reserve-batch':
    case 'commit-batch': {
      let next = state;
      const effects: AgentEffect[] = [];
      const granted: string[] = [];
      for (const conversationId of command.conversationIds) {
        const single: AgentCommand =
          command.type === 'reserve-batch'
            ? { type: 'reserve', conversationId, skillGroupId: command.skillGroupId, ttlMs: command.ttlMs }
            : { type: 'commit-reservation', conversationId };
        const d = decideAgent(next, single, now);
        if (isRejection(d)) continue; // no slot left, or no such reservation: that one is not granted
        next = d.state;
        effects.push(...d.effects);
        granted.push(conversationId);
      }
      // One capacity event and one availability report for the whole batch, not one per item.
      const batched = effects.filter((e) => !(e.type === 'emit' && e.event.name === 'agent.capacity-changed') && e.type !== 'availability-changed');
      const reported = new Set(effects.flatMap((e) => (e.type === 'availability-changed' ? e.skillGroupIds : [])));
      if (next !== state) batched.push(capacityEvent(next, now));
      if (reported.size > 0) batched.push({ type: 'availability-changed', skillGroupIds: [...reported] });
      if (command.type === 'reserve-batch') batched.push({ type: 'reservations-granted', conversationIds: granted });
      return accept(next, batched);
    }
    case 'release-reservation':
    case 'reservation-expired': {
      const reservation = state.reservations.find((r) => r.conversationId === command.conversationId);
      if (!reservation) return accept(state);
      const next = { ...state, reservations: state.reservations.filter((r) => r !== reservation) };
      return accept(next, [capacityEvent(next, now), availabilityChanged(next)]);
    }
    case 'take': {
      if (holds(state, command.conversationId)) {
        return decideAgent(state, { type: 'commit-reservation', conversationId: command.conversationId }, now);
      }
      if (!command.overCapacity) {
        const refusal = refuseNew(state, command.skillGroupId);
        if (refusal) return refusal;
      } else if (state.connections.length === 0) {
        return reject('AGENT_OFFLINE', `agent ${state.agentId} has no connection`);
      }
      const next = {
        ...state,
        conversations: [...state.conversations, { conversationId: command.conversationId, skillGroupId: command.skillGroupId }],
        lastAssignedAt: now,
      };
      return accept(next, [capacityEvent(next, now), availabilityChanged(next)]);
    }
    case 'release': {
      const held = state.conversations.find((c) => c.conversationId === command.conversationId);
      if (!held) return decideAgent(state, { type: 'release-reservation', conversationId: command.conversationId }, now);
      const next = { ...state, conversations: state.conversations.filter((c) => c !== held) };
      return accept(next, [capacityEvent(next, now), availabilityChanged(next)]);
    }
    case 'report-availability':
      return state.skillGroups.includes(command.skillGroupId)
        ? accept(state, [{ type: 'availability-changed', skillGroupIds: [command.skillGroupId] }])
        : accept(state);
    case 'describe':
      return accept(state, [
        {
          type: 'profile',
          displayName: state.displayName ?? state.agentId,
          status: state.status,
          conversations: state.conversations.map((c) => c.conversationId),
          invitations: state.invitations ?? [],
          load: load(state),
          maxConversations: state.maxConversations,
        },
      ]);
    case 'invited': {
      const invitations = state.invitations ?? [];
      if (invitations.includes(command.conversationId)) return accept(state);
      // Bounded: the oldest invitations fall off (a conversation that ended without telling us, say).
      return accept({ ...state, invitations: [...invitations, command.conversationId].slice(-MAX_INVITATIONS) });
    }
    case 'uninvited': {
      const invitations = state.invitations ?? [];
      if (!invitations.includes(command.conversationId)) return accept(state);
      return accept({ ...state, invitations: invitations.filter((id) => id !== command.conversationId) });
    }
    case 'configure': {
      const max = command.maxConversations ?? state.maxConversations;
      if (!Number.isInteger(max) || max < 0) return reject('INVALID_TRANSITION', 'maxConversations must be a non-negative integer');
      const next = {
        ...state,
        maxConversations: max,
        displayName: command.displayName ?? state.displayName,
        maxPerSkillGroup: command.maxPerSkillGroup ?? state.maxPerSkillGroup,
        skillGroups: command.skillGroups ?? state.skillGroups,
      };
      // Groups the agent left hear it too (it now has no slot for them), then forget it.
      const groups = [...new Set([...state.skillGroups, ...next.skillGroups])];
      return accept(next, [capacityEvent(next, now), { type: 'availability-changed', skillGroupIds: groups }]);
    }
    default:
      return unreachable(command);
  }
}

const holds = (state: AgentState, conversationId: string): boolean =>
  state.reservations.some((r) => r.conversationId === conversationId) || state.conversations.some((c) => c.conversationId === conversationId);

function refuseNew(state: AgentState, skillGroupId: string): AgentDecision | null {
  if (state.connections.length === 0 || state.status === 'offline') return reject('AGENT_OFFLINE', `agent ${state.agentId} is offline`);
  if (state.status !== 'ready') return reject('AGENT_NOT_READY', `agent ${state.agentId} is ${state.status}`);
  if (!state.skillGroups.includes(skillGroupId)) return reject('AGENT_NOT_IN_GROUP', `agent ${state.agentId} is not in skill group ${skillGroupId}`);
  if (freeSlots(state, skillGroupId) === 0) return reject('AGENT_AT_CAPACITY', `agent ${state.agentId} has no free slot in ${skillGroupId}`);
  return null;
}

const availabilityChanged = (state: AgentState): AgentEffect => ({ type: 'availability-changed', skillGroupIds: state.skillGroups });

/** The agent's queues other than the one that caused the change (none: no effect). */
const availabilityChangedExcept = (state: AgentState, skillGroupId: string): AgentEffect[] => {
  const others = state.skillGroups.filter((g) => g !== skillGroupId);
  return others.length > 0 ? [{ type: 'availability-changed', skillGroupIds: others }] : [];
};

const capacityEvent = (state: AgentState, now: number): AgentEffect => ({
  type: 'emit',
  event: { name: 'agent.capacity-changed', agentId: state.agentId, load: load(state), maxConversations: state.maxConversations, at: now },
});

function changeStatus(state: AgentState, to: AgentStatus, by: string | null, now: number, effects: AgentEffect[] = []): AgentDecision {
  if (state.status === to) return accept(state, effects);
  const out: AgentEffect[] = [
    ...effects,
    { type: 'emit', event: { name: 'agent.status-changed', agentId: state.agentId, from: state.status, to, by, at: now } },
  ];
  let next: AgentState = { ...state, status: to, statusSince: now };
  if (to === 'offline') {
    // Nothing may stay with an agent who cannot answer: held conversations go back to routing,
    // reservations are dropped (their queues route again).
    const stranded: readonly Assignment[] = state.conversations;
    for (const c of stranded) out.push({ type: 'reroute', conversationId: c.conversationId, skillGroupId: c.skillGroupId, reason: 'agent-offline' });
    next = { ...next, conversations: [], reservations: [] };
    if (stranded.length > 0 || state.reservations.length > 0) out.push(capacityEvent(next, now));
  }
  out.push(availabilityChanged(next));
  return accept(next, out);
}
