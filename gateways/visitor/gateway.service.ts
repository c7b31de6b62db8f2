/**
 * The visitor gateway's Moleculer endpoint on a gateway node: "this visitor started a
 * conversation" and "this visitor was blocked" notices reach the tabs of that visitor this node
 * holds, and the agents' side asks every gateway node who is online and shows invitations on the
 * tabs it holds. (Conversation pushes come through the node's push inbox:
 * gateways/push-inbox.service.ts.)
 */
import type { ServiceBroker, ServiceSchema } from 'moleculer';
import { nodesRunning } from '../../cluster/actor-runtime.ts';
import type { OnlineVisitor, VisitorGateway } from './server.ts';

/** Broadcast by the gateway node where a visitor's tab started a conversation. */
export const VISITOR_CONVERSATION_STARTED_EVENT = 'visitor.conversation-started';
/** Broadcast by the gateway node where a visitor was blocked: every node closes that visitor's tabs. */
export const VISITOR_BLOCKED_EVENT = 'visitor.blocked';
const SERVICE = 'visitor-gateway';

type StartedEvent = { visitorId: string; conversationId: string };
type BlockedEvent = { tenantId: string; visitorId: string };
type Invitation = Parameters<VisitorGateway['invite']>[2];

export function visitorGatewayService(gateway: () => VisitorGateway | null): ServiceSchema {
  return {
    name: SERVICE,
    events: {
      [VISITOR_CONVERSATION_STARTED_EVENT]: {
        handler(ctx: { params: StartedEvent }) {
          gateway()?.follow(ctx.params.visitorId, ctx.params.conversationId);
        },
      },
      [VISITOR_BLOCKED_EVENT]: {
        handler(ctx: { params: BlockedEvent }) {
          gateway()?.block(ctx.params.tenantId, ctx.params.visitorId);
        },
      },
    },
    actions: {
      online: { handler: (ctx: { params: { tenantId: string } }) => gateway()?.online(ctx.params.tenantId) ?? [] },
      invite: {
        handler: (ctx: { params: { tenantId: string; visitorId: string; invitation: Invitation } }) =>
          gateway()?.invite(ctx.params.tenantId, ctx.params.visitorId, ctx.params.invitation) ?? 0,
      },
    },
  };
}

export const announceConversation = (broker: ServiceBroker) => (visitorId: string, conversationId: string): void => {
  void broker.broadcast(VISITOR_CONVERSATION_STARTED_EVENT, { visitorId, conversationId } satisfies StartedEvent);
};

export const announceBlock = (broker: ServiceBroker) => (tenantId: string, visitorId: string): void => {
  void broker.broadcast(VISITOR_BLOCKED_EVENT, { tenantId, visitorId } satisfies BlockedEvent);
};

/** The gateway nodes holding visitor connections, as this node's registry sees them. */
const gatewayNodes = (broker: ServiceBroker): string[] => nodesRunning(broker, SERVICE);

/** The visitors of a tenant online on any gateway node (one entry per visitor: their most recent tab), newest first. */
export async function onlineVisitors(broker: ServiceBroker, tenantId: string): Promise<OnlineVisitor[]> {
  const answers = await Promise.allSettled(gatewayNodes(broker).map((nodeID) => broker.call<OnlineVisitor[], { tenantId: string }>(`${SERVICE}.online`, { tenantId }, { nodeID })));
  const latest = new Map<string, OnlineVisitor>();
  for (const a of answers) {
    if (a.status !== 'fulfilled') continue; // a gateway that does not answer shows nobody this time
    for (const v of a.value) {
      const seen = latest.get(v.visitorId);
      if (!seen || seen.since < v.since) latest.set(v.visitorId, v);
    }
  }
  return [...latest.values()].sort((a, b) => b.since - a.since);
}

/** Shows an invitation on every tab of the visitor, on whichever gateway nodes they are; answers how many tabs got it. */
export async function inviteVisitor(broker: ServiceBroker, tenantId: string, visitorId: string, invitation: Invitation): Promise<number> {
  const answers = await Promise.allSettled(gatewayNodes(broker).map((nodeID) => broker.call<number, object>(`${SERVICE}.invite`, { tenantId, visitorId, invitation }, { nodeID })));
  return answers.reduce((sum, a) => sum + (a.status === 'fulfilled' ? a.value : 0), 0);
}
