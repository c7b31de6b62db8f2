/**
 * What a visitor is shown of a conversation's pushes, as protocol v1 frames. Agents are shown by
 * display name; whispers (internal messages), the visitor's own typing and read receipts, the reminders
 * meant for agents and changes of who is on the agents' side are not shown at all.
 */
import type { Push } from '../../actors/conversation/protocol.ts';
import type { Actor } from '../../actors/conversation/state.ts';
import type { VisitorServerFrame } from './wire.ts';

/** An agent's display name, or null if it cannot be found. */
export type AgentNames = (agentId: string) => Promise<string | null>;

type Author = Extract<VisitorServerFrame, { type: 'message' }>['from'];

async function author(actor: Actor, names: AgentNames): Promise<Author> {
  switch (actor.kind) {
    case 'visitor':
    case 'bot':
    case 'system':
      return { kind: actor.kind, name: null };
    case 'agent':
      return { kind: 'agent', name: await names(actor.agentId) };
    case 'supervisor': // a supervisor who barged in is, to the visitor, one more agent
      return { kind: 'agent', name: await names(actor.supervisorId) };
  }
}

export async function visitorFrameOf(push: Push, names: AgentNames): Promise<VisitorServerFrame | null> {
  switch (push.kind) {
    case 'message': {
      const m = push.message;
      if (m.visibility !== 'public') return null;
      return { type: 'message', seq: m.seq, clientMsgId: m.from.kind === 'visitor' ? m.clientMsgId : null, from: await author(m.from, names), text: m.text, ...(m.file ? { file: { ...m.file } } : {}), at: m.at };
    }
    case 'typing':
      return push.from.kind === 'visitor' ? null : { type: 'typing', from: await author(push.from, names), typing: push.typing };
    case 'read':
      return push.by.kind === 'visitor' ? null : { type: 'read', by: await author(push.by, names), seq: push.seq };
    case 'status':
      return { type: 'status', status: push.status, agent: await agentOf(push.agentId, names) };
    case 'queue':
      return { type: 'queue', position: push.position, estimatedWaitMs: Math.max(0, Math.round(push.estimatedWaitMs)) };
    case 'rating-requested':
      return { type: 'rating-requested' };
    case 'leave-message-form':
      return { type: 'leave-message-form' };
    case 'reminder':
    case 'participants':
      return null;
  }
}

/** The `agent` field of `welcome` and `status`: the assigned agent's name, if there is one. */
export async function agentOf(agentId: string | null, names: AgentNames): Promise<{ name: string } | null> {
  if (agentId === null) return null;
  return { name: (await names(agentId)) ?? '' };
}

/** Agent names from the agent actors' profiles, cached per node for a minute. */
export function cachedAgentNames(describe: (agentId: string) => Promise<string | null>, ttlMs = 60_000): AgentNames {
  const cache = new Map<string, { name: string; until: number }>();
  return async (agentId) => {
    const hit = cache.get(agentId);
    if (hit && hit.until > performance.now()) return hit.name;
    const name = await describe(agentId).catch(() => null);
    if (name !== null) {
      if (cache.size > 50_000) cache.clear();
      cache.set(agentId, { name, until: performance.now() + ttlMs });
    }
    return name;
  };
}
