/**
 * The one Moleculer service through which this gateway node receives conversation pushes, named
 * after the node (`push-inbox.<nodeId>`, cluster/push-routing.ts): the conversations' owners send
 * them in batches, to the inboxes of the nodes that registered each conversation or to all of
 * them. Each push is handed to both gateways here, in order; each keeps what concerns its own
 * connections.
 */
import type { ServiceSchema } from 'moleculer';
import { CONVERSATION_PUSHES_EVENT, pushInboxName, type ConversationPushEvent } from '../cluster/push-routing.ts';
import type { AgentGateway } from './agent/server.ts';
import type { VisitorGateway } from './visitor/server.ts';

export function pushInboxService(nodeId: string, gateways: () => { visitors: VisitorGateway | null; agents: AgentGateway | null }, received: () => void): ServiceSchema {
  return {
    name: pushInboxName(nodeId),
    events: {
      [CONVERSATION_PUSHES_EVENT]: {
        handler(ctx: { params: { pushes?: unknown } }) {
          const { pushes } = ctx.params;
          if (!Array.isArray(pushes)) return; // (only owners' PushOutbox sends this event)
          const { visitors, agents } = gateways();
          for (const e of pushes as ConversationPushEvent[]) {
            received();
            visitors?.deliver(e.conversationId, e.to, e.push);
            agents?.deliver(e);
          }
        },
      },
    },
  };
}
