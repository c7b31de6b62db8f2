/**
 * The agent machine hosted as a sharded actor: creation from the directory's profile, presence and
 * reservation timers, and availability reports to the queues of the agent's skill groups.
 */
import type { ActorKind } from '../../cluster/actor-host.ts';
import { reported, type ActorPorts } from '../kernel/actor-ports.ts';
import { reject } from '../kernel/decision.ts';
import { decideAgent } from './machine.ts';
import type { AgentCommand, AgentEffect } from './protocol.ts';
import { newAgent, snapshot, type AgentState } from './state.ts';

/** The runtime-level command that creates (or re-profiles) an agent: its account in the directory. */
export type CreateAgent = {
  readonly type: 'create';
  readonly tenantId: string;
  readonly displayName?: string;
  readonly skillGroups: readonly string[];
  readonly maxConversations: number;
  readonly maxPerSkillGroup?: Readonly<Record<string, number>>;
  readonly presenceGraceMs?: number;
};
export type AgentActorCommand = AgentCommand | CreateAgent;

export function agentKind(ports: ActorPorts): ActorKind<AgentState, AgentActorCommand, AgentEffect> {
  return {
    kind: 'agent',
    initial: (agentId, command, now) =>
      command.type === 'create'
        ? newAgent({
            agentId,
            tenantId: command.tenantId,
            ...(command.displayName !== undefined ? { displayName: command.displayName } : {}),
            skillGroups: [],
            maxConversations: command.maxConversations,
            now,
            ...(command.presenceGraceMs !== undefined ? { presenceGraceMs: command.presenceGraceMs } : {}),
          })
        : reject('AGENT_UNKNOWN', `no agent ${agentId}`),
    decide: (state, command, now) =>
      command.type === 'create'
        ? decideAgent(
            state,
            {
              type: 'configure',
              skillGroups: command.skillGroups,
              maxConversations: command.maxConversations,
              ...(command.displayName !== undefined ? { displayName: command.displayName } : {}),
              ...(command.maxPerSkillGroup ? { maxPerSkillGroup: command.maxPerSkillGroup } : {}),
            },
            now,
          )
        : decideAgent(state, command, now),
    tenantOf: (state) => state.tenantId,
    // A signed-in agent stays in memory (counted by the node's metrics).
    keepActive: (state) => state.connections.length > 0 || state.status !== 'offline',
    timers: (state) => [
      ...(state.disconnectedAt !== null && state.connections.length === 0
        ? [{ at: state.disconnectedAt + state.presenceGraceMs, command: { type: 'presence-grace-expired' } as const }]
        : []),
      ...state.reservations.map((r) => ({ at: r.expiresAt, command: { type: 'reservation-expired', conversationId: r.conversationId } as const })),
    ],
    // Conversations losing their agent, and queues learning what the agent can take, must hear of
    // it even if this node dies right after the commit (a queue that missed it would stop offering).
    outboxKey: (e) => {
      switch (e.type) {
        case 'reroute':
          return `reroute:${e.conversationId}`;
        case 'availability-changed':
          return `availability:${e.skillGroupIds.join(',')}`; // the latest report replaces older ones
        case 'emit':
          return `event:${e.event.name}`; // presence: the latest status and the latest capacity are what matter
        default:
          return null;
      }
    },
    runEffects: async (agentId, effects, state) => {
      const sends: Promise<unknown>[] = [];
      for (const e of effects) {
        switch (e.type) {
          case 'emit':
            sends.push(reported(ports, `publish ${e.event.name}`, ports.publish({ ...e.event, tenantId: state.tenantId })));
            break;
          case 'schedule-presence-grace':
          case 'cancel-presence-grace':
          case 'schedule-reservation-expiry':
            break; // derived from the state by `timers`
          case 'reservations-granted':
          case 'profile':
            break; // answers to the sender, returned with the delivery
          case 'reroute':
            sends.push(reported(ports, `reroute ${e.conversationId}`, ports.send('conversation', e.conversationId, { type: 'agent-lost', agentId })));
            break;
          case 'availability-changed':
            for (const group of e.skillGroupIds) {
              const report = ports.send('queue', group, { type: 'agent-availability', agent: snapshot(state, group) });
              sends.push(reported(ports, `availability of ${agentId} to ${group}`, report));
            }
            break;
        }
      }
      await Promise.all(sends);
    },
  };
}
