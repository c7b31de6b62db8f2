/**
 * Which agent gets the next conversation, per routing policy. Each is a pure ordering over agent
 * snapshots, applied by the planner (plan.ts) to the agents with a free slot. Ties always break the same way (longest
 * idle, then agent id), so routing is deterministic and testable.
 */
import type { AgentSnapshot } from '../../agent/state.ts';
import type { RoutingPolicy } from '../state.ts';

type Compare = (a: AgentSnapshot, b: AgentSnapshot) => number;

/** Never assigned sorts first, then the earliest last assignment. */
const longestIdle: Compare = (a, b) => (a.lastAssignedAt ?? -Infinity) - (b.lastAssignedAt ?? -Infinity) || (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0);

const utilisation = (a: AgentSnapshot): number => (a.maxConversations === 0 ? 1 : a.load / a.maxConversations);

export const POLICY_ORDER: Readonly<Record<Exclude<RoutingPolicy, 'manual'>, Compare>> = {
  /**
   * 空闲坐席优先: an agent with no conversation first, else the fewest conversations; at equal load
   * the agent serving fewer skill groups, so agents who can also serve other groups stay free for
   * them (specialists first, as in skills-based routing).
   */
  'idle-first': (a, b) => Number(a.load > 0) - Number(b.load > 0) || a.load - b.load || a.skillGroupCount - b.skillGroupCount || longestIdle(a, b),
  /** 坐席平均分配: the lowest share of capacity in use, so agents with larger limits take more. */
  'least-busy': (a, b) => utilisation(a) - utilisation(b) || longestIdle(a, b),
  /** Round-robin / longest idle: whoever was given a conversation least recently, load ignored. */
  'round-robin': longestIdle,
};
