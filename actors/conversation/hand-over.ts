/**
 * Exchanges that give a conversation to a named person: a transfer to a colleague and a
 * supervisor's take-over. Capacity is the agent actor's to decide, so the slot is taken first and
 * the conversation moves only if it was; a conversation that refuses the move gives the slot back.
 * Both steps are idempotent, so a caller may retry the whole exchange after a timeout.
 * (The in-memory world of the property tests runs the same steps: actors/world/world.ts.)
 */
import type { AgentActorCommand } from '../agent/agent.actor.ts';
import type { AgentEffect } from '../agent/protocol.ts';
import type { Delivered } from '../../cluster/actor-host.ts';
import type { ConversationActorCommand } from './conversation.actor.ts';
import type { ConversationEffect } from './protocol.ts';
import type { Actor } from './state.ts';

export type HandOverSenders = {
  readonly conversation: (conversationId: string, command: ConversationActorCommand) => Promise<Delivered<ConversationEffect>>;
  readonly agent: (agentId: string, command: AgentActorCommand) => Promise<Delivered<AgentEffect>>;
};

const refused = (rejected: 'CONVERSATION_UNKNOWN', message: string): Delivered<never> => ({ ok: false, rejected, message });

async function moveTo(
  send: HandOverSenders,
  conversationId: string,
  agentId: string,
  take: { readonly overCapacity: boolean },
  move: ConversationActorCommand,
): Promise<Delivered<ConversationEffect | AgentEffect>> {
  const d = await send.conversation(conversationId, { type: 'describe' });
  if (!d.ok) return d;
  const described = d.effects.find((e) => e.type === 'described');
  if (!described?.skillGroupId) return refused('CONVERSATION_UNKNOWN', `conversation ${conversationId} is not with an agent`);
  // Already theirs (a retried exchange, or a transfer to whoever has it): the conversation answers; their slot stays.
  if (described.agentId === agentId) return send.conversation(conversationId, move);
  const taken = await send.agent(agentId, { type: 'take', conversationId, skillGroupId: described.skillGroupId, overCapacity: take.overCapacity });
  if (!taken.ok) return taken;
  const moved = await send.conversation(conversationId, move);
  if (!moved.ok) await send.agent(agentId, { type: 'release', conversationId });
  return moved;
}

/** Transfer to a colleague within their capacity (refused when they are not ready or full). */
export const transferToAgent = (send: HandOverSenders, conversationId: string, by: Actor, toAgentId: string, memo: string | null) =>
  moveTo(send, conversationId, toAgentId, { overCapacity: false }, { type: 'transfer', by, to: { agentId: toAgentId }, memo });

/** A supervisor takes the conversation over: it becomes theirs even beyond their capacity (they must be connected). */
export const takeOver = (send: HandOverSenders, conversationId: string, supervisorId: string) =>
  moveTo(send, conversationId, supervisorId, { overCapacity: true }, { type: 'take-over', supervisorId });
