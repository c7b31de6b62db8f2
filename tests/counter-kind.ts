/**
 * A tiny actor kind for exercising the actor runtime in tests: a counter that remembers the node
 * that served each command, with one alarm timer. Not part of the product.
 */
import { accept, reject, type Rejection } from '../actors/kernel/decision.ts';
import type { ActorKind } from '../cluster/actor-host.ts';

export type Counter = { readonly tenantId: string; readonly count: number; readonly log: readonly number[]; readonly alarmAt: number | null };
export type CounterCommand = { type: 'add'; n: number } | { type: 'alarm'; at: number } | { type: 'ring' } | { type: 'bad' };
export type CounterEffect = { type: 'counted'; count: number; node: string };

export function counterKind(node: string, rung: string[]): ActorKind<Counter, CounterCommand, CounterEffect> {
  return {
    kind: 'counter',
    initial: (actorId) => (actorId.startsWith('missing') ? reject('CONVERSATION_UNKNOWN', `no ${actorId}`) : { tenantId: 't1', count: 0, log: [], alarmAt: null }),
    decide: (s, c, now) => {
      switch (c.type) {
        case 'add':
          return accept({ ...s, count: s.count + c.n, log: [...s.log, c.n] }, [{ type: 'counted', count: s.count + c.n, node }]);
        case 'alarm':
          return accept({ ...s, alarmAt: c.at });
        case 'ring':
          return s.alarmAt !== null && s.alarmAt <= now ? accept({ ...s, alarmAt: null, count: s.count + 1000 }) : accept(s);
        default:
          return reject('INVALID_TRANSITION', 'bad command') as Rejection;
      }
    },
    tenantOf: (s) => s.tenantId,
    timers: (s) => (s.alarmAt === null ? [] : [{ at: s.alarmAt, command: { type: 'ring' } }]),
    runEffects: async (actorId, effects) => {
      if (effects.length === 0 && actorId.startsWith('alarm')) rung.push(actorId);
    },
  };
}
