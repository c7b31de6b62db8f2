/**
 * The conversation machine hosted as a sharded actor: creation, timers and the wiring of its
 * effects to queues, agents, pushes and events.
 */
import type { ActorKind } from '../../cluster/actor-host.ts';
import { reported, type ActorPorts } from '../kernel/actor-ports.ts';
import { accept, reject } from '../kernel/decision.ts';
import { enqueueCommand } from '../queue/protocol.ts';
import { decideConversation } from './machine.ts';
import type { ConversationCommand, ConversationEffect } from './protocol.ts';
import {
  DEDUPE_WINDOW,
  isOpen,
  newConversation,
  participants,
  snapshotOf,
  withLoggedClientMsgIds,
  type Actor,
  type ConversationSettings,
  type ConversationState,
  type TimerName,
  type Visitor,
} from './state.ts';

/** The runtime-level command that creates a conversation (the first one a new conversation gets). */
export type StartConversation = {
  readonly type: 'start';
  readonly tenantId: string;
  readonly channelId: string;
  readonly visitor: Visitor;
  readonly settings?: Partial<ConversationSettings>;
  readonly open: Omit<Extract<ConversationCommand, { type: 'open' }>, 'type'>;
};
export type ConversationActorCommand = ConversationCommand | StartConversation;

/**
 * Where a conversation activated from its snapshot reads back the client ids of its newest messages
 * (the message log's table, as far as it holds them; see SNAPSHOT_DEDUPE_ENTRIES).
 */
export type ClientMsgIdLog = {
  clientMsgIds(conversationId: string, afterSeq: number, throughSeq: number): Promise<readonly { readonly seq: number; readonly clientMsgId: string; readonly from: Actor }[]>;
};

/** The index key of the conversations waiting in a skill group's queue. */
export const queuedIn = (skillGroupId: string): string => `queued:${skillGroupId}`;

export function conversationKind(ports: ActorPorts, log: ClientMsgIdLog): ActorKind<ConversationState, ConversationActorCommand, ConversationEffect> {
  return {
    kind: 'conversation',
    initial: (conversationId, command, now) =>
      command.type === 'start'
        ? newConversation({ conversationId, tenantId: command.tenantId, channelId: command.channelId, visitor: command.visitor, now, ...(command.settings ? { settings: command.settings } : {}) })
        : reject('CONVERSATION_UNKNOWN', `no conversation ${conversationId}`),
    decide: (state, command, now) => {
      if (command.type !== 'start') return decideConversation(state, command, now);
      // A retried start of a conversation that is already open changes nothing.
      return state.status === 'new' ? decideConversation(state, { type: 'open', ...command.open }, now) : accept(state);
    },
    tenantOf: (state) => state.tenantId,
    // The snapshot carries the newest few de-duplication entries; the others come back from the log.
    persisted: snapshotOf,
    restore: async (stored, conversationId) => {
      const state = stored as ConversationState;
      return withLoggedClientMsgIds(state, await log.clientMsgIds(conversationId, Math.max(0, state.lastSeq - DEDUPE_WINDOW), state.lastSeq));
    },
    // A live conversation stays in memory: the node's counts of conversations are of what is live.
    keepActive: isOpen,
    // A waiting conversation is filed under its queue, so the queue can rebuild its waiting list.
    indexKey: (state) => (state.status === 'queued' && state.skillGroupId ? queuedIn(state.skillGroupId) : null),
    timers: (state) =>
      Object.entries(state.timers).map(([timer, at]) => ({ at: at!, command: { type: 'timer', timer: timer as TimerName, at: at! } as const })),
    // Queues and agents must hear of these even if this node dies right after the commit.
    outboxKey: (e) => {
      switch (e.type) {
        case 'enqueue':
        case 'dequeue':
          return `${e.type}:${e.skillGroupId}`;
        case 'release-agent':
          return `${e.type}:${e.agentId}`;
        case 'invitation':
          return `${e.type}:${e.agentId}`; // the latest word on one colleague replaces an older one
        case 'emit':
          return `event:${e.event.name}@${e.event.at}`; // integrators and history must get every lifecycle event
        default:
          return null;
      }
    },
    // The commit point: a message is in the log (the snapshot's transaction, or Kafka) before its ack or push.
    journal: (effects, state) =>
      effects.flatMap((e) => (e.type === 'append' ? [{ ...e.message, tenantId: state.tenantId, conversationId: state.conversationId }] : [])),
    logClaim: (state, now) => ({ type: 'claim', tenantId: state.tenantId, conversationId: state.conversationId, lastSeq: state.lastSeq, at: now }),
    // Messages a former writer committed but never got confirmed: nobody heard of them, so they are pushed now.
    logged: (conversationId, messages, state) => {
      const agents = participants(state);
      for (const { tenantId: _tenant, conversationId: _conversation, ...message } of messages) {
        ports.push(conversationId, { to: message.visibility === 'internal' ? 'agents' : 'everyone', push: { kind: 'message', message }, agents });
      }
    },
    runEffects: async (conversationId, effects, state) => {
      const sends: Promise<unknown>[] = [];
      for (const e of effects) {
        switch (e.type) {
          case 'append':
          case 'ack':
          case 'described':
          case 'schedule':
          case 'cancel':
            break; // written with the snapshot (journal), answered to the caller, and armed by the host
          case 'push':
            ports.push(conversationId, { to: e.to, push: e.push, agents: e.agents });
            break;
          case 'emit':
            sends.push(reported(ports, `publish ${e.event.name}`, ports.publish({ ...e.event, tenantId: state.tenantId })));
            break;
          case 'enqueue': {
            const enqueued = ports.send('queue', e.skillGroupId, enqueueCommand(conversationId, e)).then((r) => {
              if (!r.ok) return ports.send('conversation', conversationId, { type: 'queue-refused' });
              return r;
            });
            sends.push(reported(ports, `enqueue ${conversationId} in ${e.skillGroupId}`, enqueued));
            break;
          }
          case 'dequeue':
            sends.push(reported(ports, `dequeue ${conversationId}`, ports.send('queue', e.skillGroupId, { type: 'dequeue', conversationId })));
            break;
          case 'release-agent':
            sends.push(reported(ports, `release ${conversationId} from ${e.agentId}`, ports.send('agent', e.agentId, { type: 'release', conversationId })));
            break;
          case 'invitation':
            sends.push(reported(ports, `tell ${e.agentId} of ${conversationId}`, ports.send('agent', e.agentId, { type: e.invited ? 'invited' : 'uninvited', conversationId })));
            break;
        }
      }
      await Promise.all(sends);
    },
  };
}
