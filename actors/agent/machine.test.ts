import { isRejection } from '../kernel/decision.ts';
import { decideAgent, type AgentDecision } from './machine.ts';
import type { AgentCommand, AgentEffect } from './protocol.ts';
import { freeSlots, newAgent, type AgentState } from './state.ts';

const T = 1_000_000;
const base = (over: Partial<AgentState> = {}): AgentState => ({
  ...newAgent({ agentId: 'a1', tenantId: 't', skillGroups: ['sales', 'support'], maxConversations: 2, now: 0 }),
  ...over,
});
const online = (over: Partial<AgentState> = {}): AgentState => base({ status: 'ready', connections: ['tab-1'], ...over });

function ok(d: AgentDecision): { state: AgentState; effects: readonly AgentEffect[] } {
  if (isRejection(d)) throw new Error(`unexpected rejection ${d.rejected}: ${d.message}`);
  return d;
}
const run = (state: AgentState, ...commands: AgentCommand[]): AgentState =>
  commands.reduce((s, c, i) => ok(decideAgent(s, c, T + i)).state, state);

describe('presence across connections', () => {
  test('the first connection brings the agent online, ready by default', () => {
    const { state, effects } = ok(decideAgent(base(), { type: 'connect', connectionId: 'tab-1' }, T));
    expect(state).toMatchObject({ status: 'ready', connections: ['tab-1'], statusSince: T });
    expect(effects).toContainEqual({ type: 'emit', event: { name: 'agent.status-changed', agentId: 'a1', from: 'offline', to: 'ready', by: null, at: T } });
  });

  test('a first connection can ask for another status', () => {
    expect(ok(decideAgent(base(), { type: 'connect', connectionId: 'tab-1', status: 'away' }, T)).state.status).toBe('away');
  });

  test('closing one of two tabs changes nothing visible', () => {
    const s = run(online(), { type: 'connect', connectionId: 'tab-2' });
    const { state, effects } = ok(decideAgent(s, { type: 'disconnect', connectionId: 'tab-1' }, T));
    expect(state).toMatchObject({ status: 'ready', connections: ['tab-2'], disconnectedAt: null });
    expect(effects).toEqual([]);
  });

  test('losing the last connection starts the grace period; the status holds meanwhile', () => {
    const { state, effects } = ok(decideAgent(online(), { type: 'disconnect', connectionId: 'tab-1' }, T));
    expect(state).toMatchObject({ status: 'ready', connections: [], disconnectedAt: T });
    expect(effects).toEqual([{ type: 'schedule-presence-grace', at: T + state.presenceGraceMs }]);
    expect(freeSlots(state, 'sales')).toBe(0); // no new conversations while nobody is connected
  });

  test('reconnecting within the grace period keeps status and conversations', () => {
    const held = online({ status: 'busy', conversations: [{ conversationId: 'c1', skillGroupId: 'sales' }] });
    const lost = run(held, { type: 'disconnect', connectionId: 'tab-1' });
    const { state, effects } = ok(decideAgent(lost, { type: 'connect', connectionId: 'tab-9' }, T + 5));
    expect(state).toMatchObject({ status: 'busy', connections: ['tab-9'], disconnectedAt: null, conversations: held.conversations });
    expect(effects).toEqual([{ type: 'cancel-presence-grace' }, { type: 'availability-changed', skillGroupIds: ['sales', 'support'] }]);
    expect(ok(decideAgent(state, { type: 'presence-grace-expired' }, T + 99_999)).state.status).toBe('busy'); // stale timer
  });

  test('when the grace period ends the agent goes offline and every conversation is rerouted', () => {
    const held = online({
      conversations: [
        { conversationId: 'c1', skillGroupId: 'sales' },
        { conversationId: 'c2', skillGroupId: 'support' },
      ],
      reservations: [{ conversationId: 'c3', skillGroupId: 'sales', expiresAt: T + 10 }],
    });
    const lost = run(held, { type: 'disconnect', connectionId: 'tab-1' });
    const { state, effects } = ok(decideAgent(lost, { type: 'presence-grace-expired' }, T + 30_000));
    expect(state).toMatchObject({ status: 'offline', conversations: [], reservations: [], disconnectedAt: null });
    expect(effects).toEqual(
      expect.arrayContaining([
        { type: 'reroute', conversationId: 'c1', skillGroupId: 'sales', reason: 'agent-offline' },
        { type: 'reroute', conversationId: 'c2', skillGroupId: 'support', reason: 'agent-offline' },
        { type: 'availability-changed', skillGroupIds: ['sales', 'support'] },
      ]),
    );
  });
});

describe('status', () => {
  test.each([
    ['ready', 'busy'],
    ['busy', 'away'],
    ['away', 'ready'],
  ] as const)('%s → %s by the agent', (from, to) => {
    const { state, effects } = ok(decideAgent(online({ status: from }), { type: 'set-status', status: to }, T));
    expect(state.status).toBe(to);
    expect(effects[0]).toEqual({ type: 'emit', event: { name: 'agent.status-changed', agentId: 'a1', from, to, by: null, at: T } });
  });

  test('any status change tells the agent’s queues to route', () => {
    const { effects } = ok(decideAgent(online({ status: 'away' }), { type: 'set-status', status: 'ready' }, T));
    expect(effects).toContainEqual({ type: 'availability-changed', skillGroupIds: ['sales', 'support'] });
  });

  test('signing out reroutes held conversations', () => {
    const held = online({ conversations: [{ conversationId: 'c1', skillGroupId: 'sales' }] });
    const { state, effects } = ok(decideAgent(held, { type: 'set-status', status: 'offline' }, T));
    expect(state.conversations).toEqual([]);
    expect(effects).toContainEqual({ type: 'reroute', conversationId: 'c1', skillGroupId: 'sales', reason: 'agent-offline' });
  });

  test('a status change without any connection is refused', () => {
    expect(decideAgent(base(), { type: 'set-status', status: 'ready' }, T)).toMatchObject({ rejected: 'AGENT_OFFLINE' });
  });

  test('a supervisor can force a status, and is named in the event', () => {
    const { state, effects } = ok(decideAgent(online(), { type: 'force-status', status: 'away', by: 'sup-1' }, T));
    expect(state.status).toBe('away');
    expect(effects[0]).toMatchObject({ event: { by: 'sup-1', from: 'ready', to: 'away' } });
  });
});

describe('capacity: reservations are decided here and only here', () => {
  test('a ready agent below its limit grants a reservation that expires unless committed', () => {
    const { state, effects } = ok(decideAgent(online(), { type: 'reserve', conversationId: 'c1', skillGroupId: 'sales', ttlMs: 5_000 }, T));
    expect(state.reservations).toEqual([{ conversationId: 'c1', skillGroupId: 'sales', expiresAt: T + 5_000 }]);
    expect(effects).toContainEqual({ type: 'schedule-reservation-expiry', conversationId: 'c1', at: T + 5_000 });
    const committed = ok(decideAgent(state, { type: 'commit-reservation', conversationId: 'c1' }, T + 1)).state;
    expect(committed).toMatchObject({ reservations: [], conversations: [{ conversationId: 'c1', skillGroupId: 'sales' }], lastAssignedAt: T + 1 });
  });

  test.each([
    ['offline', base(), 'AGENT_OFFLINE'],
    ['busy', online({ status: 'busy' }), 'AGENT_NOT_READY'],
    ['away', online({ status: 'away' }), 'AGENT_NOT_READY'],
    ['not in the group', online({ skillGroups: ['support'] }), 'AGENT_NOT_IN_GROUP'],
    [
      'full overall',
      online({ conversations: [{ conversationId: 'x', skillGroupId: 'support' }], reservations: [{ conversationId: 'y', skillGroupId: 'support', expiresAt: 0 }] }),
      'AGENT_AT_CAPACITY',
    ],
    ['full in the group', online({ maxPerSkillGroup: { sales: 1 }, conversations: [{ conversationId: 'x', skillGroupId: 'sales' }] }), 'AGENT_AT_CAPACITY'],
  ] as const)('refused when %s', (_case, state, code) => {
    const d = decideAgent(state, { type: 'reserve', conversationId: 'c1', skillGroupId: 'sales', ttlMs: 5_000 }, T);
    expect(d).toMatchObject({ rejected: code });
  });

  test('a batch of reservations is granted in order while slots last, with one availability report', () => {
    const { state, effects } = ok(decideAgent(online({ maxConversations: 2 }), { type: 'reserve-batch', skillGroupId: 'sales', conversationIds: ['c1', 'c2', 'c3'], ttlMs: 5_000 }, T));
    expect(state.reservations.map((r) => r.conversationId)).toEqual(['c1', 'c2']);
    expect(effects).toContainEqual({ type: 'reservations-granted', conversationIds: ['c1', 'c2'] });
    expect(effects.filter((e) => e.type === 'availability-changed')).toEqual([{ type: 'availability-changed', skillGroupIds: ['support'] }]);
    const committed = ok(decideAgent(state, { type: 'commit-batch', conversationIds: ['c2', 'c9', 'c1'] }, T + 1)).state;
    expect(committed.conversations.map((c) => c.conversationId)).toEqual(['c2', 'c1']);
    expect(committed.reservations).toEqual([]);
  });

  test('a reservation and its commit are news to the agent’s other queues only: the reserving queue counted the slot already', () => {
    const reserve: AgentCommand = { type: 'reserve', conversationId: 'c1', skillGroupId: 'sales', ttlMs: 5_000 };
    const reports = (d: AgentDecision) => ok(d).effects.filter((e) => e.type === 'availability-changed');
    expect(reports(decideAgent(online(), reserve, T))).toEqual([{ type: 'availability-changed', skillGroupIds: ['support'] }]);
    const reserved = run(online(), reserve);
    expect(reports(decideAgent(reserved, { type: 'commit-reservation', conversationId: 'c1' }, T + 1))).toEqual([{ type: 'availability-changed', skillGroupIds: ['support'] }]);
    const salesOnly = online({ skillGroups: ['sales'] });
    expect(reports(decideAgent(salesOnly, reserve, T))).toEqual([]);
    expect(reports(decideAgent(run(salesOnly, reserve), { type: 'commit-reservation', conversationId: 'c1' }, T + 1))).toEqual([]);
    // Freeing the slot again is news to every queue.
    expect(reports(decideAgent(reserved, { type: 'release-reservation', conversationId: 'c1' }, T + 2))).toEqual([{ type: 'availability-changed', skillGroupIds: ['sales', 'support'] }]);
  });

  test('a batch for an agent that is not ready grants nothing', () => {
    expect(ok(decideAgent(online({ status: 'busy' }), { type: 'reserve-batch', skillGroupId: 'sales', conversationIds: ['c1'], ttlMs: 1 }, T)).effects).toEqual([
      { type: 'reservations-granted', conversationIds: [] },
    ]);
  });

  test('a retried reservation for the same conversation is granted once', () => {
    const once = run(online(), { type: 'reserve', conversationId: 'c1', skillGroupId: 'sales', ttlMs: 5_000 });
    const twice = run(once, { type: 'reserve', conversationId: 'c1', skillGroupId: 'sales', ttlMs: 5_000 });
    expect(twice.reservations).toHaveLength(1);
  });

  test('an expired reservation frees its slot; committing it afterwards is refused', () => {
    const reserved = run(online(), { type: 'reserve', conversationId: 'c1', skillGroupId: 'sales', ttlMs: 5_000 });
    const { state, effects } = ok(decideAgent(reserved, { type: 'reservation-expired', conversationId: 'c1' }, T + 5_000));
    expect(state.reservations).toEqual([]);
    expect(effects).toContainEqual({ type: 'availability-changed', skillGroupIds: ['sales', 'support'] });
    expect(decideAgent(state, { type: 'commit-reservation', conversationId: 'c1' }, T + 5_001)).toMatchObject({ rejected: 'RESERVATION_UNKNOWN' });
  });

  test('releasing a conversation asks every group of the agent to route (capacity is shared)', () => {
    const held = online({ conversations: [{ conversationId: 'c1', skillGroupId: 'support' }] });
    const { state, effects } = ok(decideAgent(held, { type: 'release', conversationId: 'c1' }, T));
    expect(state.conversations).toEqual([]);
    expect(effects).toContainEqual({ type: 'availability-changed', skillGroupIds: ['sales', 'support'] });
  });

  test('a direct take respects capacity; a supervisor takeover may exceed it', () => {
    const full = online({ maxConversations: 1, conversations: [{ conversationId: 'x', skillGroupId: 'sales' }] });
    expect(decideAgent(full, { type: 'take', conversationId: 'c1', skillGroupId: 'sales' }, T)).toMatchObject({ rejected: 'AGENT_AT_CAPACITY' });
    const over = ok(decideAgent(full, { type: 'take', conversationId: 'c1', skillGroupId: 'sales', overCapacity: true }, T)).state;
    expect(over.conversations.map((c) => c.conversationId)).toEqual(['x', 'c1']);
  });

  test('capacity cannot be set negative', () => {
    expect(decideAgent(online(), { type: 'configure', maxConversations: -1 }, T)).toMatchObject({ rejected: 'INVALID_TRANSITION' });
  });

  test('asked by a queue, the agent reports its availability to that queue only (if it serves it)', () => {
    expect(ok(decideAgent(online(), { type: 'report-availability', skillGroupId: 'sales' }, T)).effects).toEqual([{ type: 'availability-changed', skillGroupIds: ['sales'] }]);
    expect(ok(decideAgent(online(), { type: 'report-availability', skillGroupId: 'vip' }, T)).effects).toEqual([]);
  });

  test('a new profile is announced to the old and the new skill groups', () => {
    const { state, effects } = ok(decideAgent(online(), { type: 'configure', skillGroups: ['support', 'vip'], maxConversations: 4 }, T));
    expect(state).toMatchObject({ skillGroups: ['support', 'vip'], maxConversations: 4 });
    expect(effects).toContainEqual({ type: 'availability-changed', skillGroupIds: ['sales', 'support', 'vip'] });
  });

  test('the display name comes with the profile (the agent id until the directory gives one), and describe answers it without a change', () => {
    expect(ok(decideAgent(online(), { type: 'describe' }, T)).effects).toEqual([{ type: 'profile', displayName: 'a1', status: 'ready', conversations: [], invitations: [], load: 0, maxConversations: 2 }]);
    const renamed = run(online(), { type: 'configure', displayName: '李娜' });
    const described = ok(decideAgent(renamed, { type: 'describe' }, T));
    expect(described.state).toBe(renamed);
    expect(described.effects).toEqual([{ type: 'profile', displayName: '李娜', status: 'ready', conversations: [], invitations: [], load: 0, maxConversations: 2 }]);
  });
});

describe('invitations into colleagues’ conversations', () => {
  test('are listed in the profile until they end, never count against capacity, and repeat harmlessly', () => {
    const invited = run(online(), { type: 'invited', conversationId: 'c1' }, { type: 'invited', conversationId: 'c1' }, { type: 'invited', conversationId: 'c2' });
    expect(freeSlots(invited, 'sales')).toBe(2);
    const profile = ok(decideAgent(invited, { type: 'describe' }, T)).effects[0];
    expect(profile).toMatchObject({ type: 'profile', invitations: ['c1', 'c2'] });
    const left = run(invited, { type: 'uninvited', conversationId: 'c1' }, { type: 'uninvited', conversationId: 'c1' });
    expect(left.invitations).toEqual(['c2']);
  });

  test('a profile written before invitations existed has none', () => {
    const { invitations: _, ...old } = online();
    expect(ok(decideAgent(old as AgentState, { type: 'describe' }, T)).effects[0]).toMatchObject({ invitations: [] });
  });
});
