/**
 * The agent gateway's Moleculer endpoint on a gateway node: conversation pushes (broadcast by the
 * conversation actors, wherever they live) and agents' status changes reach the workstation tabs
 * this node holds.
 */
import type { ServiceSchema } from 'moleculer';
import type { AgentEvent } from '../../actors/agent/protocol.ts';
import { CONVERSATION_PUSH_EVENT, type ConversationPushEvent } from '../../cluster/contact-center.ts';
import type { AgentGateway } from './server.ts';

type StatusChanged = Extract<AgentEvent, { name: 'agent.status-changed' }>;

export const AGENT_STATUS_CHANGED_EVENT: StatusChanged['name'] = 'agent.status-changed';

export function agentGatewayService(gateway: () => AgentGateway | null): ServiceSchema {
  return {
    name: 'agent-gateway',
    events: {
      [CONVERSATION_PUSH_EVENT]: {
        handler(ctx: { params: ConversationPushEvent }) {
          gateway()?.deliver(ctx.params);
        },
      },
      [AGENT_STATUS_CHANGED_EVENT]: {
        handler(ctx: { params: StatusChanged }) {
          gateway()?.presence(ctx.params.agentId, ctx.params.to);
        },
      },
    },
  };
}
