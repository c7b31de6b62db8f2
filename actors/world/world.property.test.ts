/**
 * Property-based tests of the routing invariants over random interleavings of visitors arriving,
 * agents connecting, dropping and changing status, replies, transfers, closes and time passing —
 * as fast-check model-based commands: each action runs against the real world and a small model
 * of what must have happened (connections, message counts), then every invariant is checked.
 * fast-check shrinks any failure to a minimal sequence of commands, printed with the violation.
 */
import fc from 'fast-check';
import type { AgentStatus } from '../agent/state.ts';
import type { ConversationEvent } from '../conversation/protocol.ts';
import { noAssignmentBeyondCapacity, servedInOrder, settledInvariants } from './invariants.ts';
import { World, type Observation } from './world.ts';

const GROUPS = ['sales', 'support'] as const;
const AGENTS = [
  { id: 'a0', groups: ['sales'], max: 1 },
  { id: 'a1', groups: ['sales', 'support'], max: 2 },
  { id: 'a2', groups: ['support'], max: 3 },
  { id: 'a3', groups: ['sales', 'support'], max: 2, perGroup: { sales: 1 } },
] as const;

type Action =
  | { kind: 'arrive'; group: number; vip: boolean; preferred: number | null; requested: boolean }
  | { kind: 'connect'; agent: number; tab: number; status: 'ready' | 'busy' | 'away' }
  | { kind: 'disconnect'; agent: number; tab: number }
  | { kind: 'status'; agent: number; status: AgentStatus }
  | { kind: 'capacity'; agent: number; max: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'accept'; pick: number }
  | { kind: 'reply'; pick: number }
  | { kind: 'visitor-message'; pick: number }
  | { kind: 'close'; pick: number; byVisitor: boolean }
  | { kind: 'transfer'; pick: number; toAgent: number | null; toGroup: number }
  | { kind: 'rate'; pick: number; score: number };

const agentIndex = fc.integer({ min: 0, max: AGENTS.length - 1 });
const pick = fc.nat({ max: 1_000 });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('arrive' as const), group: fc.integer({ min: 0, max: 1 }), vip: fc.boolean(), preferred: fc.option(agentIndex, { nil: null }), requested: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('connect' as const), agent: agentIndex, tab: fc.integer({ min: 0, max: 1 }), status: fc.constantFrom('ready' as const, 'busy' as const, 'away' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), agent: agentIndex, tab: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('status' as const), agent: agentIndex, status: fc.constantFrom<AgentStatus>('ready', 'busy', 'away', 'offline') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('capacity' as const), agent: agentIndex, max: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 90_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('accept' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reply' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('visitor-message' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('close' as const), pick, byVisitor: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('transfer' as const), pick, toAgent: fc.option(agentIndex, { nil: null }), toGroup: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rate' as const), pick, score: fc.integer({ min: 0, max: 6 }) }) },
);

/** The system under test: a world, what it was seen doing, and how to apply an action to it. */
type Real = { readonly world: World; readonly violations: string[]; apply(act: Action): void };

/** The model: what the test expects, kept without looking at the implementation's state machines. */
type Model = {
  /** Open connections per agent. */
  readonly tabs: Map<string, Set<string>>;
  /** Messages accepted per conversation (the last seq must equal it). */
  readonly messages: Map<string, number>;
};

function newReal(): Real {
  const violations: string[] = [];
  const positions = new Map<string, number>(); // last position pushed to each waiting visitor
  const loads = new Map<string, number>(); // last load reported by each agent
  const lowered = new Set<string>(); // agents whose capacity was set below what they held
  const observe = (o: Observation): void => {
    if (o.type === 'agent-event' && o.event.name === 'agent.capacity-changed') {
      violations.push(...noAssignmentBeyondCapacity(loads.get(o.event.agentId) ?? 0, o.event));
      loads.set(o.event.agentId, o.event.load);
      if (o.event.load <= o.event.maxConversations) lowered.delete(o.event.agentId);
      else lowered.add(o.event.agentId);
    }
    if (o.type === 'route') violations.push(...servedInOrder(world, o.before, o.after, o.at).map((v) => `FIFO: ${v}`));
    if (o.type === 'conversation-event' && (o.event as ConversationEvent).name === 'conversation.queued') positions.delete(o.event.conversationId);
    if (o.type === 'push' && o.push.kind === 'queue') {
      const previous = positions.get(o.conversationId);
      if (previous !== undefined && o.push.position > previous) violations.push(`position of ${o.conversationId} went up from ${previous} to ${o.push.position}`);
      positions.set(o.conversationId, o.push.position);
    }
  };
  const world: World = new World({
    now: 1_000_000,
    skillGroups: [
      { id: 'sales', settings: { policy: 'idle-first', overflow: { afterMs: 120_000, toSkillGroupId: 'support' }, queueTimeoutMs: 600_000, stickyWaitMs: 20_000 } },
      { id: 'support', settings: { policy: 'least-busy', queueTimeoutMs: 600_000, maxWaiting: 6 } },
    ],
    conversationSettings: { agentNoAnswerMs: 45_000 },
    observe,
  });
  for (const a of AGENTS) world.addAgent(a.id, a.groups, a.max, { presenceGraceMs: 15_000, ...('perGroup' in a ? { maxPerSkillGroup: a.perGroup } : {}) });

  let arrivals = 0;
  let step = 0;
  const conversationIds = (): string[] => [...world.conversations.keys()];
  const chosen = (n: number): string | undefined => {
    const ids = conversationIds();
    return ids.length === 0 ? undefined : ids[n % ids.length];
  };

  const apply = (act: Action): void => {
    const i = step++;
    switch (act.kind) {
      case 'arrive': {
        const id = `c${arrivals++}`;
        const preferred = act.preferred === null ? null : AGENTS[act.preferred]!.id;
        world.open(
          id,
          { visitorId: `v${id}`, displayName: null, identified: false, vip: act.vip, lastAgentId: act.requested ? null : preferred },
          { skillGroupId: GROUPS[act.group]!, requestedAgentId: act.requested ? preferred : null, preChat: {}, bot: false, withinWorkingHours: true },
        );
        break;
      }
      case 'connect':
        world.toAgent(AGENTS[act.agent]!.id, { type: 'connect', connectionId: `tab-${act.tab}`, status: act.status });
        break;
      case 'disconnect':
        world.toAgent(AGENTS[act.agent]!.id, { type: 'disconnect', connectionId: `tab-${act.tab}` });
        break;
      case 'status':
        world.toAgent(AGENTS[act.agent]!.id, { type: 'set-status', status: act.status });
        break;
      case 'capacity':
        world.toAgent(AGENTS[act.agent]!.id, { type: 'configure', maxConversations: act.max });
        break;
      case 'advance':
        world.advanceTo(world.now + act.ms);
        break;
      case 'accept': {
        const c = world.conversations.get(chosen(act.pick) ?? '');
        if (c?.agentId) world.toConversation(c.conversationId, { type: 'accept', agentId: c.agentId });
        break;
      }
      case 'reply': {
        const c = world.conversations.get(chosen(act.pick) ?? '');
        if (c?.agentId) world.toConversation(c.conversationId, { type: 'post-message', from: { kind: 'agent', agentId: c.agentId }, clientMsgId: `r${i}`, text: 'reply' });
        break;
      }
      case 'visitor-message': {
        const id = chosen(act.pick);
        if (!id) break;
        const before = world.conversations.get(id)!;
        const rejection = world.toConversation(id, { type: 'post-message', from: { kind: 'visitor' }, clientMsgId: `m${i}`, text: 'hello' });
        const closed = before.status === 'closed' || before.status === 'offline-message';
        if (closed && (rejection === null || world.conversations.get(id)!.lastSeq !== before.lastSeq)) violations.push(`closed conversation ${id} accepted a message`);
        break;
      }
      case 'close': {
        const c = world.conversations.get(chosen(act.pick) ?? '');
        if (!c) break;
        const by = act.byVisitor || !c.agentId ? ({ kind: 'visitor' } as const) : ({ kind: 'agent', agentId: c.agentId } as const);
        world.toConversation(c.conversationId, { type: 'close', by, summary: null });
        break;
      }
      case 'transfer': {
        const c = world.conversations.get(chosen(act.pick) ?? '');
        if (!c?.agentId || (c.status !== 'assigned' && c.status !== 'transferred')) break;
        if (act.toAgent !== null) world.transferToAgent(c.conversationId, c.agentId, AGENTS[act.toAgent]!.id, null);
        else world.toConversation(c.conversationId, { type: 'transfer', by: { kind: 'agent', agentId: c.agentId }, to: { skillGroupId: GROUPS[act.toGroup]! }, memo: null });
        break;
      }
      case 'rate': {
        const id = chosen(act.pick);
        if (id) world.toConversation(id, { type: 'rate', score: act.score, comment: null });
        break;
      }
    }
    for (const v of settledInvariants(world, lowered)) violations.push(`after action ${i} (${act.kind}): ${v}`);
  };
  return { world, violations, apply };
}

const OPEN = new Set(['bot', 'queued', 'assigned', 'transferred']);

/** One action as a fast-check command: applied to the real world, mirrored in the model, then checked. */
class ActionCommand implements fc.Command<Model, Real> {
  readonly action: Action;
  constructor(action: Action) {
    this.action = action;
  }
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const act = this.action;
    const before = new Map([...real.world.conversations].map(([id, c]) => [id, c.status]));
    const lastSeq = new Map([...real.world.conversations].map(([id, c]) => [id, c.lastSeq]));
    real.apply(act);
    // Mirror in the model what the action must have done.
    if (act.kind === 'connect') {
      const id = AGENTS[act.agent]!.id;
      if (!model.tabs.has(id)) model.tabs.set(id, new Set());
      model.tabs.get(id)!.add(`tab-${act.tab}`);
    }
    if (act.kind === 'disconnect') model.tabs.get(AGENTS[act.agent]!.id)?.delete(`tab-${act.tab}`);
    for (const [id, c] of real.world.conversations) {
      const wasOpen = OPEN.has(before.get(id) ?? 'new');
      const grew = c.lastSeq - (lastSeq.get(id) ?? 0);
      // Exactly one message per accepted post, and none at all for a conversation that was not open.
      if (grew > 1 || (grew === 1 && !wasOpen)) real.violations.push(`conversation ${id} (${before.get(id)}) grew by ${grew} messages`);
      model.messages.set(id, (model.messages.get(id) ?? 0) + grew);
      if (c.lastSeq !== model.messages.get(id)) real.violations.push(`conversation ${id} has seq ${c.lastSeq}, model counted ${model.messages.get(id)}`);
    }
    for (const a of real.world.agents.values()) {
      const expected = [...(model.tabs.get(a.agentId) ?? [])].sort();
      if ([...a.connections].sort().join() !== expected.join()) real.violations.push(`agent ${a.agentId} connections [${a.connections}] differ from the model [${expected}]`);
    }
    expect(real.violations).toEqual([]);
  }
  toString(): string {
    return JSON.stringify(this.action);
  }
}

test('routing invariants hold over random interleavings (model-based commands)', () => {
  fc.assert(
    fc.property(fc.commands([action.map((a) => new ActionCommand(a))], { maxCommands: 120, size: 'max' }), (commands) => {
      fc.modelRun(() => ({ model: { tabs: new Map(), messages: new Map() }, real: newReal() }), commands);
    }),
    { numRuns: 1_000 },
  );
});

test('every conversation of an agent who went offline ends up re-queued or reassigned', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.boolean(), (visitors, signOut) => {
      const world = new World({ skillGroups: [{ id: 'sales', settings: { queueTimeoutMs: null } }] });
      world.addAgent('a', ['sales'], 6, { presenceGraceMs: 10_000 });
      world.addAgent('b', ['sales'], 2);
      world.toAgent('a', { type: 'connect', connectionId: 't' });
      for (let i = 0; i < visitors; i++) {
        world.open(`c${i}`, { visitorId: `v${i}`, displayName: null, identified: false, vip: false, lastAgentId: null }, { skillGroupId: 'sales', requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true });
      }
      const held = world.agents.get('a')!.conversations.map((c) => c.conversationId);
      expect(held).toHaveLength(visitors);
      world.toAgent('b', { type: 'connect', connectionId: 't' });
      if (signOut) world.toAgent('a', { type: 'set-status', status: 'offline' });
      else {
        world.toAgent('a', { type: 'disconnect', connectionId: 't' });
        world.advanceTo(world.now + 10_000);
      }
      for (const id of held) {
        const c = world.conversations.get(id)!;
        expect(c.status === 'queued' || (c.status === 'assigned' && c.agentId === 'b')).toBe(true);
      }
      expect(world.conversations.size).toBe(visitors);
      expect(settledInvariants(world)).toEqual([]);
    }),
  );
});
