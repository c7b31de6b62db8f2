import { jest } from '@jest/globals';
import type { ActorPorts } from '../kernel/actor-ports.ts';
import { isRejection } from '../kernel/decision.ts';
import { queueKind, type QueueActorCommand } from './queue.actor.ts';
import { readyAgent as agent } from './queue.fixtures.ts';
import type { QueueState } from './state.ts';

const T = 1_000_000;

function recordingPorts(): ActorPorts & { sent: { kind: string; id: string; command: { type: string } }[]; settle: () => void } {
  const sent: { kind: string; id: string; command: { type: string } }[] = [];
  const pending: (() => void)[] = [];
  return {
    sent,
    send: (kind, id, command) => {
      sent.push({ kind, id, command: command as { type: string } });
      return new Promise((resolve) => pending.push(() => resolve({ ok: true, effects: [] })));
    },
    publish: async () => undefined,
    push: () => undefined,
    failed: jest.fn(),
    settle: () => pending.splice(0).forEach((resolve) => resolve()),
  };
}

function drive(ports: ActorPorts, commands: QueueActorCommand[]): QueueState[] {
  const kind = queueKind(ports);
  let state = kind.initial('g', { type: 'create', tenantId: 't' }, T) as QueueState;
  const states = [state];
  commands.forEach((command, i) => {
    const d = kind.decide(state, command, T + i);
    if (isRejection(d)) throw new Error(d.message);
    state = d.state;
    states.push(state);
    void kind.runEffects('g', d.effects, state);
  });
  return states;
}

const enqueue = (conversationId: string): QueueActorCommand => ({ type: 'enqueue', conversationId, priority: 0 });

test('arrivals, routing passes and loads are not durable: the stored snapshot changes only with settings, membership or an empty line', () => {
  const ports = recordingPorts();
  const kind = queueKind(ports);
  const states = drive(ports, [enqueue('c1'), enqueue('c2'), { type: 'agent-availability', agent: agent('a', 1) }, enqueue('c3'), { type: 'route' }]);
  const stored = states.map((s) => JSON.stringify(kind.persisted!(s)));
  // created; someone waits now; the agent joins — the other arrivals and the pass write nothing
  const [created, someoneWaits, , agentJoined] = stored;
  expect(new Set([created, someoneWaits, agentJoined]).size).toBe(3);
  expect(stored).toEqual([created, someoneWaits, someoneWaits, agentJoined, agentJoined, agentJoined]);
});

test('a burst of route requests becomes one pass in flight and one more after it', async () => {
  const ports = recordingPorts();
  const routes = () => ports.sent.filter((s) => s.command.type === 'route').length;
  const settled = async () => {
    ports.settle();
    await new Promise((r) => setImmediate(r));
  };
  drive(ports, [enqueue('c1'), enqueue('c2'), enqueue('c3'), enqueue('c4')]);
  expect(routes()).toBe(1);
  await settled(); // the pass in flight completes; the requests made meanwhile ask for one more
  expect(routes()).toBe(2);
  await settled();
  expect(routes()).toBe(2); // nothing was requested during the second pass
  expect(ports.failed).not.toHaveBeenCalled();
});

test('a queue activated elsewhere knows its agents (offline until they report) and rebuilds its line from the waiting conversations', async () => {
  const ports = recordingPorts();
  const kind = queueKind(ports);
  const states = drive(ports, [{ type: 'agent-availability', agent: agent('b', 2) }, { type: 'agent-availability', agent: agent('a', 1) }, enqueue('c1')]);
  const stored: unknown = JSON.parse(JSON.stringify(kind.persisted!(states.at(-1)!)));
  const waitingConversation = { conversationId: 'c1', priority: 0, waitingSince: T, requestedAgentId: null, visitor: { lastAgentId: null }, unansweredBy: [] };
  const restored = await kind.restore!(stored, 'g', async (kindName, key) => (kindName === 'conversation' && key === 'queued:g' ? [{ actorId: 'c1', state: waitingConversation }] : []));
  expect(Object.values(restored.agents).map((a) => [a.agentId, a.status, a.freeSlots])).toEqual([
    ['a', 'offline', 0],
    ['b', 'offline', 0],
  ]);
  expect(restored.waiting.map((e) => e.conversationId)).toEqual(['c1']);
  kind.activated!('g', restored);
  expect(ports.sent.filter((s) => s.command.type === 'report-availability').map((s) => s.id)).toEqual(['a', 'b']);
});
