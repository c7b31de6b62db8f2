/**
 * A seeded, deterministic day of contact-center traffic replayed through the pure core (the
 * World), to compare routing policies at equal load. The model, in plain words:
 *
 * - Two skill groups. Sales visitors (40 %) peak around 10:30, support visitors (60 %) around
 *   15:00; both arrive 08:00–20:00 as Poisson processes. 5 % are VIPs (higher priority class).
 * - Agents work in two shifts (08–16 and 12–20), each up to their own number of chats at once
 *   (`capacities`, cycled: juniors take fewer than seniors). A third of the agents serve sales
 *   only, a third support only, a third both. At the end of a shift an agent stops taking chats
 *   (busy) and signs out when the last one ends.
 * - Each chat needs a log-normal amount of the agent's attention (median ≈ 5 min if it were the
 *   agent's only chat). An agent shares attention among their chats: with c chats at once each one
 *   advances at 1 / (1 + `juggling` × (c − 1)) of full speed, re-evaluated whenever c changes
 *   (processor sharing). Agents get more done in total with more chats, with diminishing returns —
 *   which is what makes spreading load matter.
 * - A waiting visitor gives up after an exponential patience (mean 6 min) and closes the chat.
 *
 * Everything random comes from one seeded generator, so a seed replays exactly.
 */
import { load } from '../../actors/agent/state.ts';
import type { ConversationEvent } from '../../actors/conversation/protocol.ts';
import type { RoutingPolicy } from '../../actors/queue/state.ts';
import { Heap } from '../../actors/kernel/heap.ts';
import { World, type Observation } from '../../actors/world/world.ts';

/**
 * A Kefu routing policy, or `plain-round-robin`: the baseline of routers that rotate over agents
 * with a free slot but assign only when a visitor arrives and on a sweep every minute, not the
 * moment an agent frees up (the backlog behaviour users of Chatwoot's and Rocket.Chat's
 * round-robin report).
 */
export type SimulatedPolicy = RoutingPolicy | 'plain-round-robin';
export const PLAIN_SWEEP_MS = 60_000;

export type DayOptions = {
  readonly policy: SimulatedPolicy;
  readonly seed: number;
  readonly arrivalsPerDay: number;
  readonly agentsEarly: number;
  readonly agentsLate: number;
  /** Concurrent chats per agent, cycled over the agents (juniors take fewer). */
  readonly capacities: readonly number[];
  readonly juggling: number;
};

export const DEFAULT_DAY: Omit<DayOptions, 'policy'> = {
  seed: 20261121,
  arrivalsPerDay: 2_500,
  agentsEarly: 14,
  agentsLate: 10,
  capacities: [2, 3, 4],
  juggling: 0.35,
};

export type DayResult = {
  readonly policy: SimulatedPolicy;
  readonly arrivals: number;
  readonly assigned: number;
  readonly abandoned: number;
  /** Waiting time (ms) of every conversation that reached an agent. */
  readonly waits: readonly number[];
  /** Share of online agent capacity in use, averaged over the day (sampled each minute). */
  readonly utilisation: number;
  /** Mean absolute error (ms) of the first wait estimate shown to visitors who had to wait, Kefu's vs the Rocket.Chat formula. */
  readonly estimateErrorMs: { readonly kefu: number; readonly rocketChat: number; readonly samples: number };
};

/** mulberry32: small, fast, good enough for a simulation; deterministic per seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY_START = 8 * HOUR;
const DAY_END = 20 * HOUR;

type Group = 'sales' | 'support';
const GROUPS: readonly { id: Group; share: number; peakHour: number }[] = [
  { id: 'sales', share: 0.4, peakHour: 10.5 },
  { id: 'support', share: 0.6, peakHour: 15 },
];
/** The skill groups of the i-th agent: sales only, support only, or both. */
const skillsOf = (i: number): Group[] => [['sales'], ['support'], ['sales', 'support']][i % 3] as Group[];

/** Relative arrival intensity of a group over the day: a base load and one peak. */
function intensity(peakHour: number, t: number): number {
  const h = t / HOUR;
  return 0.4 + 1.6 * Math.exp(-(((h - peakHour) / 1.5) ** 2));
}

type SimEvent = { at: number; seq: number; run: () => void };

export function runDay(options: DayOptions): DayResult {
  const random = prng(options.seed);
  const exp = (mean: number): number => -Math.log(1 - random()) * mean;
  const logNormal = (median: number, sigma: number): number => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return median * Math.exp(sigma * z);
  };

  const events: SimEvent[] = [];
  let seq = 0;
  const at = (time: number, run: () => void): void => {
    events.push({ at: time, seq: seq++, run });
  };
  const pending: (() => void)[] = [];
  const waits: number[] = [];
  const queuedAt = new Map<string, number>();
  const firstEstimate = new Map<string, { kefu: number; rocketChat: number; at: number }>();
  const completedDurations: number[] = [];
  const waitsById = new Map<string, number>();
  let assigned = 0;
  let abandoned = 0;

  const plain = options.policy === 'plain-round-robin';
  const world = new World({
    now: DAY_START,
    routeOnAvailability: !plain,
    skillGroups: GROUPS.map((g) => ({
      id: g.id,
      settings: { policy: plain ? 'round-robin' : options.policy, queueTimeoutMs: null, overflow: null, stickyWaitMs: 0, defaultHandleTimeMs: 6 * MIN },
    })),
    conversationSettings: { agentNoAnswerMs: null, visitorIdleReminderMs: null, visitorIdleCloseMs: null, agentNoReplyReminderMs: null },
    observe: (o: Observation) => {
      if (o.type === 'conversation-event') onEvent(o.event);
      if (o.type === 'push' && o.push.kind === 'queue' && !firstEstimate.has(o.conversationId)) {
        const online = [...world.agents.values()].filter((a) => a.status !== 'offline').length;
        const recent = completedDurations.slice(-Math.max(1, online));
        const avg = recent.length > 0 ? recent.reduce((s, d) => s + d, 0) / recent.length : 6 * MIN;
        const p = o.push.position;
        firstEstimate.set(o.conversationId, { kefu: o.push.estimatedWaitMs, rocketChat: ((p - 1) / Math.max(1, online) + 1) * avg, at: o.at });
      }
    },
  });

  function onEvent(e: ConversationEvent): void {
    if (e.name === 'conversation.queued') queuedAt.set(e.conversationId, e.at);
    if (e.name === 'conversation.assigned') {
      assigned++;
      waits.push(e.waitedMs);
      waitsById.set(e.conversationId, e.waitedMs);
      const id = e.conversationId;
      const agentId = e.agentId;
      pending.push(() => world.toConversation(id, { type: 'accept', agentId }));
      desk(agentId).start(id, logNormal(5 * MIN, 0.6), e.at);
    }
  }

  /** Processor sharing per agent: the chats in progress and the attention each still needs. */
  const desks = new Map<string, { start(id: string, work: number, now: number): void; stop(id: string, now: number): void }>();
  function desk(agentId: string) {
    let d = desks.get(agentId);
    if (d) return d;
    const chats = new Map<string, { remaining: number; started: number; work: number }>();
    let since = 0;
    let version = 0;
    const speed = (): number => 1 / (1 + options.juggling * (chats.size - 1));
    const progress = (now: number): void => {
      const done = (now - since) * (chats.size > 0 ? speed() : 0);
      for (const c of chats.values()) c.remaining -= done;
      since = now;
    };
    const reschedule = (now: number): void => {
      const v = ++version;
      if (chats.size === 0) return;
      const [nextId, next] = [...chats.entries()].reduce((a, b) => (b[1].remaining < a[1].remaining ? b : a));
      at(now + Math.max(0, next.remaining) / speed(), () => {
        if (v !== version) return; // the set of chats changed since: a newer schedule exists
        const c = world.conversations.get(nextId);
        const finished = chats.get(nextId)!;
        progress(world.now);
        chats.delete(nextId);
        reschedule(world.now);
        if (c?.status === 'assigned' && c.agentId === agentId) {
          completedDurations.push(world.now - finished.started);
          world.toConversation(nextId, { type: 'close', by: { kind: 'agent', agentId }, summary: null });
          signOutIfDone(agentId);
        }
      });
    };
    d = {
      start(id, work, now) {
        progress(now);
        chats.set(id, { remaining: work, started: now, work });
        reschedule(now);
      },
      stop(id, now) {
        if (!chats.has(id)) return;
        progress(now);
        chats.delete(id);
        reschedule(now);
      },
    };
    desks.set(agentId, d);
    return d;
  }

  const endOfShift = new Set<string>();
  function signOutIfDone(agentId: string): void {
    const a = world.agents.get(agentId)!;
    if (endOfShift.has(agentId) && load(a) === 0 && a.status !== 'offline') world.toAgent(agentId, { type: 'set-status', status: 'offline' });
  }
  const flush = (): void => {
    while (pending.length > 0) pending.shift()!();
  };

  // Agents and their shifts.
  const shifts: [string, number, number][] = [
    ...Array.from({ length: options.agentsEarly }, (_, i): [string, number, number] => [`early-${i}`, DAY_START, 16 * HOUR]),
    ...Array.from({ length: options.agentsLate }, (_, i): [string, number, number] => [`late-${i}`, 12 * HOUR, DAY_END]),
  ];
  for (const [i, [id, start, end]] of shifts.entries()) {
    world.addAgent(id, skillsOf(i), options.capacities[i % options.capacities.length]!);
    at(start + random() * 5 * MIN, () => world.toAgent(id, { type: 'connect', connectionId: 'desk' }));
    at(end, () => {
      endOfShift.add(id);
      world.toAgent(id, { type: 'set-status', status: 'busy' });
      signOutIfDone(id);
    });
  }

  // Arrivals per group: thinning of a Poisson process at the group's peak intensity.
  let arrivals = 0;
  for (const group of GROUPS) {
    const peak = 2.1; // above the maximum of intensity()
    let meanIntensity = 0;
    for (let t = DAY_START; t < DAY_END; t += MIN) meanIntensity += intensity(group.peakHour, t) / ((DAY_END - DAY_START) / MIN);
    const peakRatePerMs = ((options.arrivalsPerDay * group.share) / (DAY_END - DAY_START)) * (peak / meanIntensity);
    for (let t = DAY_START + exp(1 / peakRatePerMs); t < DAY_END; t += exp(1 / peakRatePerMs)) {
      if (random() * peak > intensity(group.peakHour, t)) continue;
      const id = `c${arrivals++}`;
      const vip = random() < 0.05;
      const patience = exp(6 * MIN);
      at(t, () => {
        world.open(id, { visitorId: `v-${id}`, displayName: null, identified: false, vip, lastAgentId: null }, { skillGroupId: group.id, requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true });
      });
      at(t + patience, () => {
        if (world.conversations.get(id)?.status === 'queued') {
          abandoned++;
          world.toConversation(id, { type: 'close', by: { kind: 'visitor' }, summary: null });
        }
      });
    }
  }

  if (plain) {
    for (let t = DAY_START; t < DAY_END + 2 * HOUR; t += PLAIN_SWEEP_MS) for (const g of GROUPS) at(t, () => world.toQueue(g.id, { type: 'tick' }));
  }

  // Utilisation samples, once a minute.
  let usedSum = 0;
  let capacitySum = 0;
  for (let t = DAY_START; t < DAY_END; t += MIN) {
    at(t, () => {
      for (const a of world.agents.values()) {
        if (a.status === 'offline') continue;
        usedSum += load(a);
        capacitySum += a.maxConversations;
      }
    });
  }

  // The event loop: simulation events and the world's own timers, in time order.
  const heap = new Heap<SimEvent>(before, events.splice(0));
  for (;;) {
    const next = heap.peek();
    const timer = world.nextTimerAt();
    if (!next && timer === null) break;
    if (timer !== null && (!next || timer < next.at)) {
      world.advanceTo(timer);
    } else {
      heap.pop();
      world.advanceTo(next!.at);
      next!.run();
    }
    flush();
    for (const e of events.splice(0)) heap.push(e); // scheduled meanwhile (chat completions)
  }

  let kefuError = 0;
  let rcError = 0;
  let samples = 0;
  for (const [id, estimate] of firstEstimate) {
    const c = world.conversations.get(id);
    const wait = waitsById.get(id);
    if (!c || wait === undefined || wait === 0) continue; // estimates seen only by visitors who waited
    const actual = wait - (estimate.at - (queuedAt.get(id) ?? estimate.at));
    kefuError += Math.abs(estimate.kefu - actual);
    rcError += Math.abs(estimate.rocketChat - actual);
    samples++;
  }

  return {
    policy: options.policy,
    arrivals,
    assigned,
    abandoned,
    waits,
    utilisation: capacitySum === 0 ? 0 : usedSum / capacitySum,
    estimateErrorMs: { kefu: samples ? kefuError / samples : 0, rocketChat: samples ? rcError / samples : 0, samples },
  };
}

const before = (a: SimEvent, b: SimEvent): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);
