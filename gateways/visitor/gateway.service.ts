/**
 * The visitor gateway's Moleculer endpoint on a gateway node: "this visitor started a
 * conversation" notices reach the tabs of that visitor this node holds. (Conversation pushes come
 * through the node's push inbox: gateways/push-inbox.service.ts.)
 */
import type { ServiceBroker, ServiceSchema } from 'moleculer';
import type { VisitorGateway } from './server.ts';

/** Broadcast by the gateway node where a visitor's tab started a conversation. */
export const VISITOR_CONVERSATION_STARTED_EVENT = 'visitor.conversation-started';

type StartedEvent = { visitorId: string; conversationId: string };

export function visitorGatewayService(gateway: () => VisitorGateway | null): ServiceSchema {
  return {
    name: 'visitor-gateway',
    events: {
      [VISITOR_CONVERSATION_STARTED_EVENT]: {
        handler(ctx: { params: StartedEvent }) {
          gateway()?.follow(ctx.params.visitorId, ctx.params.conversationId);
        },
      },
    },
  };
}

export const announceConversation = (broker: ServiceBroker) => (visitorId: string, conversationId: string): void => {
  void broker.broadcast(VISITOR_CONVERSATION_STARTED_EVENT, { visitorId, conversationId } satisfies StartedEvent);
};
