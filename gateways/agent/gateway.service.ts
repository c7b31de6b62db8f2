/**
 * The agent gateway's Moleculer endpoint on a gateway node: agents' status changes reach the
 * workstation tabs this node holds, and status and load changes the supervisors' live boards. (Conversation pushes come through the node's push inbox:
 * gateways/push-inbox.service.ts.)
 */
import type { ServiceSchema } from 'moleculer';
import type { AgentEvent } from '../../actors/agent/protocol.ts';
import type { AgentGateway } from './server.ts';

type StatusChanged = Extract<AgentEvent, { name: 'agent.status-changed' }>;
type CapacityChanged = Extract<AgentEvent, { name: 'agent.capacity-changed' }>;

export const AGENT_STATUS_CHANGED_EVENT: StatusChanged['name'] = 'agent.status-changed';
export const AGENT_CAPACITY_CHANGED_EVENT: CapacityChanged['name'] = 'agent.capacity-changed';

export function agentGatewayService(gateway: () => AgentGateway | null): ServiceSchema {
  return {
    name: 'agent-gateway',
    events: {
      [AGENT_STATUS_CHANGED_EVENT]: {
        handler(ctx: { params: StatusChanged }) {
          gateway()?.presence(ctx.params.agentId, ctx.params.to);
          gateway()?.agentChanged(ctx.params.agentId);
        },
      },
      // Load changes (assignments, releases): supervisors' live boards.
      [AGENT_CAPACITY_CHANGED_EVENT]: {
        handler(ctx: { params: CapacityChanged }) {
          gateway()?.agentChanged(ctx.params.agentId);
        },
      },
    },
  };
}
