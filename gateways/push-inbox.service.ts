/**
 * The one Moleculer service through which this gateway node receives conversation pushes, named
 * after the node (`push-inbox.<nodeId>`, cluster/push-routing.ts): the conversation's owner emits
 * to the inboxes of the nodes that registered it, or broadcasts to all of them. Each push is handed
 * to both gateways here; each keeps what concerns its own connections.
 */
import type { ServiceSchema } from 'moleculer';
import { CONVERSATION_PUSH_EVENT, type ConversationPushEvent } from '../cluster/contact-center.ts';
import { pushInboxName } from '../cluster/push-routing.ts';
import type { AgentGateway } from './agent/server.ts';
import type { VisitorGateway } from './visitor/server.ts';

export function pushInboxService(nodeId: string, gateways: () => { visitors: VisitorGateway | null; agents: AgentGateway | null }, received: () => void): ServiceSchema {
  return {
    name: pushInboxName(nodeId),
    events: {
      [CONVERSATION_PUSH_EVENT]: {
        handler(ctx: { params: ConversationPushEvent }) {
          const { visitors, agents } = gateways();
          const e = ctx.params;
          received();
          visitors?.deliver(e.conversationId, e.to, e.push);
          agents?.deliver(e);
        },
      },
    },
  };
}
