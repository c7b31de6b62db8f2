/**
 * The queue machine hosted as a sharded actor (one per skill group): its deadlines, and the
 * hand-over exchange with agents and conversations — offer → reserve → assign → commit.
 */
import type { ActorKind } from '../../cluster/actor-host.ts';
import type { AgentSnapshot } from '../agent/state.ts';
import { fireAndForget, type ActorPorts } from '../kernel/actor-ports.ts';
import { reject } from '../kernel/decision.ts';
import { queuedIn } from '../conversation/conversation.actor.ts';
import type { ConversationState } from '../conversation/state.ts';
import { decideQueue, nextDeadline, rebuildWaiting } from './machine.ts';
import type { QueueCommand, QueueEffect } from './protocol.ts';
import { newQueue, type QueueSettings, type QueueState } from './state.ts';

/** An agent the queue knows of, until it reports: offered nothing, waited for by no one. */
const unknownAvailability = (agentId: string): AgentSnapshot => ({
  agentId,
  status: 'offline',
  load: 0,
  maxConversations: 0,
  freeSlots: 0,
  lastAssignedAt: null,
  skillGroupCount: 1,
});

/** What a queue writes: its settings, its agents' ids (compact: a join storm rewrites this row), whether anyone waits. */
type StoredQueue = Omit<QueueState, 'agents'> & { agents: Record<string, never>; agentIds: readonly string[]; hasWaiting: boolean };

/** The runtime-level command that creates (or re-configures) a skill group's queue. */
export type CreateQueue = { readonly type: 'create'; readonly tenantId: string; readonly settings?: Partial<QueueSettings> };
export type QueueActorCommand = QueueCommand | CreateQueue;

export function queueKind(ports: ActorPorts): ActorKind<QueueState, QueueActorCommand, QueueEffect> {
  /**
   * The hand-over exchange for the offers one routing pass made to one agent; each step's refusal
   * undoes the steps before it. The agent reserves (and later commits) all of them in one command
   * each, so an agent taking many conversations is not a serial point of two commands per offer.
   */
  const handOver = async (skillGroupId: string, agentId: string, conversationIds: readonly string[], ttlMs: number): Promise<void> => {
    const reserved = await ports.send('agent', agentId, { type: 'reserve-batch', skillGroupId, conversationIds, ttlMs });
    const granted = reserved.ok
      ? ((reserved.effects as { type: string; conversationIds?: readonly string[] }[]).find((e) => e.type === 'reservations-granted')?.conversationIds ?? [])
      : [];
    const refused = conversationIds.filter((id) => !granted.includes(id));
    const assigned: string[] = [];
    await Promise.all([
      ...refused.map((conversationId) => ports.send('queue', skillGroupId, { type: 'offer-refused', conversationId, agentId })),
      ...granted.map(async (conversationId) => {
        const r = await ports.send('conversation', conversationId, { type: 'assign', agentId, skillGroupId });
        if (r.ok) {
          assigned.push(conversationId);
          return;
        }
        // The conversation moved on (closed, taken over): give the slot back, drop the entry.
        await ports.send('agent', agentId, { type: 'release-reservation', conversationId });
        await ports.send('queue', skillGroupId, { type: 'dequeue', conversationId });
      }),
    ]);
    if (assigned.length === 0) return;
    await ports.send('agent', agentId, { type: 'commit-batch', conversationIds: assigned });
    await ports.send('queue', skillGroupId, { type: 'offers-accepted', agentId, conversationIds: assigned });
  };

  /**
   * Route requests coalesced per queue: one `route` in flight at a time, and any requests made
   * meanwhile ask for exactly one more after it — a burst of arrivals costs two routing passes,
   * not one per arrival. (The `route` queued behind a command always sees that command's state.)
   */
  const routing = new Map<string, 'in-flight' | 'again'>();
  const requestRoute = (skillGroupId: string): void => {
    if (routing.has(skillGroupId)) {
      routing.set(skillGroupId, 'again');
      return;
    }
    routing.set(skillGroupId, 'in-flight');
    const sent = ports.send('queue', skillGroupId, { type: 'route' }).finally(() => {
      const again = routing.get(skillGroupId) === 'again';
      routing.delete(skillGroupId);
      if (again) requestRoute(skillGroupId);
    });
    fireAndForget(ports, `route ${skillGroupId}`, sent);
  };

  return {
    kind: 'queue',
    initial: (skillGroupId, command) =>
      command.type === 'create'
        ? newQueue({ skillGroupId, tenantId: command.tenantId, ...(command.settings ? { settings: command.settings } : {}) })
        : reject('SKILL_GROUP_UNKNOWN', `no skill group ${skillGroupId}`),
    decide: (state, command, now) =>
      command.type === 'create' ? decideQueue(state, { type: 'update-settings', settings: command.settings ?? {} }, now) : decideQueue(state, command, now),
    tenantOf: (state) => state.tenantId,
    // A queue with visitors or online agents stays in memory (counted by the node's metrics).
    keepActive: (state) => state.waiting.length > 0 || Object.values(state.agents).some((a) => a.status !== 'offline'),
    activated: (skillGroupId, state) => {
      for (const agentId of Object.keys(state.agents)) {
        fireAndForget(ports, `ask ${agentId} to report to ${skillGroupId}`, ports.send('agent', agentId, { type: 'report-availability', skillGroupId }));
      }
    },
    // Durable: settings, which agents belong, whether anyone waits. Not durable (rebuilt when the
    // queue activates): the waiting list — each waiting conversation is durable itself, filed
    // under `queued:<group>` — and the agents' availability, which they report again when asked.
    persisted: (state): StoredQueue => ({
      ...state,
      waiting: [],
      nextArrival: 0,
      recentAssignments: [],
      positionsDueAt: null,
      positionsQuietUntil: 0,
      agents: {},
      agentIds: Object.keys(state.agents).sort(),
      hasWaiting: state.waiting.length > 0,
    }),
    skipUnchangedWrites: true,
    restore: async (stored, skillGroupId, find) => {
      const { agentIds, hasWaiting: _, ...state } = stored as StoredQueue;
      const agents = Object.fromEntries(agentIds.map((id) => [id, unknownAvailability(id)]));
      const waiting = (await find('conversation', queuedIn(skillGroupId))).map(({ state: c }) => c as ConversationState);
      return rebuildWaiting({ ...state, agents }, waiting);
    },
    timers: (state, now) => {
      // While visitors wait there is always a timer, so a new owner always wakes the queue.
      const at = nextDeadline(state, now) ?? (state.waiting.length > 0 ? now + 60_000 : null);
      return at === null ? [] : [{ at, command: { type: 'tick' } }];
    },
    runEffects: async (skillGroupId, effects) => {
      // Offers are handed over per agent, all of one agent's in one exchange.
      const offers = new Map<string, { ids: string[]; ttlMs: number }>();
      for (const e of effects) {
        if (e.type !== 'offer') continue;
        const batch = offers.get(e.agentId) ?? { ids: [], ttlMs: e.ttlMs };
        batch.ids.push(e.conversationId);
        offers.set(e.agentId, batch);
      }
      for (const [agentId, { ids, ttlMs }] of offers) {
        fireAndForget(ports, `offer ${ids.length} conversations to ${agentId}`, handOver(skillGroupId, agentId, ids, ttlMs));
      }
      for (const e of effects) {
        switch (e.type) {
          case 'offer':
            break; // handed over above
          case 'position':
            fireAndForget(ports, `position of ${e.conversationId}`, ports.send('conversation', e.conversationId, { type: 'queue-position', position: e.position, estimatedWaitMs: e.estimatedWaitMs }));
            break;
          case 'overflow':
            fireAndForget(ports, `overflow ${e.conversationId}`, ports.send('conversation', e.conversationId, { type: 'queue-overflowed', toSkillGroupId: e.toSkillGroupId }));
            break;
          case 'timed-out':
            fireAndForget(ports, `timeout ${e.conversationId}`, ports.send('conversation', e.conversationId, { type: 'queue-timed-out' }));
            break;
          case 'schedule-tick':
            break; // derived from the state by `timers`
          case 'route-requested':
            requestRoute(skillGroupId);
            break;
        }
      }
    },
  };
}
