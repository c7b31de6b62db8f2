/** Test fixtures shared by the queue's tests. */
import type { AgentSnapshot } from '../agent/state.ts';

/** An agent of the group as it reports itself: ready, with `freeSlots` of as many slots free. */
export const readyAgent = (agentId: string, freeSlots: number, over: Partial<AgentSnapshot> = {}): AgentSnapshot => ({
  agentId,
  status: 'ready',
  load: 0,
  maxConversations: freeSlots,
  freeSlots,
  lastAssignedAt: null,
  skillGroupCount: 1,
  ...over,
});
