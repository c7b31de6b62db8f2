/**
 * The visitor gateway's Moleculer endpoint on a gateway node: conversation pushes (broadcast by
 * the conversation actors, wherever they live) and "this visitor started a conversation" notices
 * reach the connections this node holds.
 */
import type { ServiceBroker, ServiceSchema } from 'moleculer';
import { CONVERSATION_PUSH_EVENT, type ConversationPushEvent } from '../../cluster/contact-center.ts';
import type { VisitorGateway } from './server.ts';

/** Broadcast by the gateway node where a visitor's tab started a conversation. */
export const VISITOR_CONVERSATION_STARTED_EVENT = 'visitor.conversation-started';

type StartedEvent = { visitorId: string; conversationId: string };

export function visitorGatewayService(gateway: () => VisitorGateway | null): ServiceSchema {
  return {
    name: 'visitor-gateway',
    events: {
      [CONVERSATION_PUSH_EVENT]: {
        handler(ctx: { params: ConversationPushEvent }) {
          gateway()?.deliver(ctx.params.conversationId, ctx.params.to, ctx.params.push);
        },
      },
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
