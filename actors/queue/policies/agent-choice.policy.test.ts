import type { AgentSnapshot } from '../../agent/state.ts';
import type { QueueEntry, RoutingPolicy } from '../state.ts';
import { planOffers } from './plan.ts';

/** The agent the policy gives a single waiting conversation to (through the planner, as routing does). */
const chosen = (policy: RoutingPolicy, candidates: readonly AgentSnapshot[]): string | undefined => {
  const entry: QueueEntry = { conversationId: 'c', priority: 0, arrival: 0, enqueuedAt: 0, waitingSince: 0, preferredAgentId: null, preferredUntil: 0, avoidAgentIds: [], offeredTo: null, offeredAt: null, shownPosition: null };
  return planOffers([entry], candidates, policy, 1)[0]?.agentId;
};

const agent = (agentId: string, load: number, maxConversations: number, lastAssignedAt: number | null, skillGroupCount = 1): AgentSnapshot => ({
  agentId,
  status: 'ready',
  load,
  maxConversations,
  freeSlots: maxConversations - load,
  lastAssignedAt,
  skillGroupCount,
});

describe.each([
  // policy, candidates, expected, why
  ['idle-first', [agent('a', 1, 5, 10), agent('b', 0, 5, 50), agent('c', 0, 5, 20)], 'c', 'idle agents first, longest idle among them'],
  ['idle-first', [agent('a', 2, 5, 10), agent('b', 1, 5, 50), agent('c', 3, 5, 1)], 'b', 'no idle agent: fewest conversations'],
  ['idle-first', [agent('a', 1, 2, 10), agent('b', 1, 9, 50)], 'a', 'equal load: longest idle'],
  ['idle-first', [agent('a', 0, 3, 10, 3), agent('b', 0, 3, 50, 1)], 'b', 'equal load: the specialist (fewer skill groups) first'],
  ['idle-first', [agent('a', 0, 3, 10, 3), agent('b', 1, 3, 50, 1)], 'a', 'but an idle generalist before a busy specialist'],
  ['least-busy', [agent('a', 2, 4, 10), agent('b', 3, 10, 50)], 'b', 'lowest share of capacity (30% < 50%)'],
  ['least-busy', [agent('a', 1, 2, 10), agent('b', 2, 4, 5)], 'b', 'equal share: longest idle'],
  ['round-robin', [agent('a', 0, 5, 30), agent('b', 4, 5, 20), agent('c', 1, 5, 25)], 'b', 'least recently assigned, load ignored'],
  ['round-robin', [agent('b', 1, 5, null), agent('a', 1, 5, null)], 'a', 'never assigned: by id'],
] as const)('%s', (policy, candidates, expected, why) => {
  test(`${why} → ${expected}`, () => {
    expect(chosen(policy, candidates)).toBe(expected);
  });
});

test('manual routing never chooses, and nobody is chosen from an empty list', () => {
  expect(chosen('manual', [agent('a', 0, 5, null)])).toBeUndefined();
  expect(chosen('idle-first', [])).toBeUndefined();
});
