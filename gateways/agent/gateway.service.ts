/**
 * The agent gateway's Moleculer endpoint on a gateway node: agents' status changes reach the
 * workstation tabs this node holds. (Conversation pushes come through the node's push inbox:
 * gateways/push-inbox.service.ts.)
 */
import type { ServiceSchema } from 'moleculer';
import type { AgentEvent } from '../../actors/agent/protocol.ts';
import type { AgentGateway } from './server.ts';

type StatusChanged = Extract<AgentEvent, { name: 'agent.status-changed' }>;

export const AGENT_STATUS_CHANGED_EVENT: StatusChanged['name'] = 'agent.status-changed';

export function agentGatewayService(gateway: () => AgentGateway | null): ServiceSchema {
  return {
    name: 'agent-gateway',
    events: {
      [AGENT_STATUS_CHANGED_EVENT]: {
        handler(ctx: { params: StatusChanged }) {
          gateway()?.presence(ctx.params.agentId, ctx.params.to);
        },
      },
    },
  };
}
