/**
 * Routing through the cluster: `npm run bench:cluster-routing [-- --visitors 10000 --agents 50 --rate 1000 --seconds 10]`
 *
 * Three actor nodes as real processes (cluster mode: NATS, Redis leases, MariaDB) on this machine,
 * two phases:
 *
 * 1. Burst: N visitors queue in one skill group while its agents are offline; then every agent
 *    connects at once, and the benchmark measures how long the line takes to drain (queue → agent
 *    reservation → conversation assignment → commit) and checks that no agent ends over capacity.
 * 2. Sustained: agents of a second skill group (500 × 20 slots: room for every arrival) are ready;
 *    visitors arrive at a steady rate; each visitor's assignment latency is the time from asking for a human (the
 *    `start` command sent) to the `conversation.assigned` event arriving here, after the commit.
 *
 * Baseline printed beside them: the pure router deciding the same assignments in one process
 * (`planOffers`), i.e. the cost of routing without the distribution.
 *
 * `PROFILE_DIR=/tmp/prof` writes a CPU profile of each node; `NODE_OUTPUT=1` shows their logs.
 */
import { parseArgs } from 'node:util';
import { ServiceBroker } from 'moleculer';
import type { AgentSnapshot } from '../actors/agent/state.ts';
import { planOffers } from '../actors/queue/policies/plan.ts';
import { ActorClient } from '../cluster/actor-runtime.ts';
import { openDatabase } from '../cluster/database.ts';
import { checkHeartbeatsEverySecond } from '../cluster/failure-detection.ts';
import { LocalCluster } from '../cluster/local-cluster.ts';
import { localInfraEnv, localInfraUp, scratchMysqlDatabase, dropScratchData } from '../cluster/local-infra.ts';
import { freePorts, scrape } from '../tests/support.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({
  options: {
    visitors: { type: 'string', default: '10000' },
    agents: { type: 'string', default: '50' },
    'steady-agents': { type: 'string', default: '500' },
    'steady-slots': { type: 'string', default: '20' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    'max-seconds': { type: 'string', default: '180' },
  },
});
const visitors = Number(values.visitors);
const agentCount = Number(values.agents);
const capacity = Math.ceil(visitors / agentCount);
const steadyAgentCount = Number(values['steady-agents']);
const steadySlots = Number(values['steady-slots']);
const rate = Number(values.rate);
const sustainedSeconds = Number(values.seconds);
const maxSeconds = Number(values['max-seconds']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  localInfraUp();
  const infra = localInfraEnv();
  const run = `route-${Date.now().toString(36)}`;
  const scratch = await scratchMysqlDatabase('kefu_bench');
  const profile: Record<string, string> = process.env.PROFILE_DIR ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.PROFILE_DIR}` } : {};
  const cluster = new LocalCluster({ name: run, infra, output: process.env.NODE_OUTPUT ? undefined : null, env: { KEFU_LOG_LEVEL: 'warn', KEFU_MYSQL_URL: scratch.url, ...profile } });
  process.on('exit', () => cluster.killAllNow());
  const base = await freePorts(3);
  await Promise.all(['actors-1', 'actors-2', 'actors-3'].map((id, i) => cluster.waitReady(cluster.start({ id, roles: 'actors,workers', port: base + i }))));

  // The observer hears every assignment (conversation events are broadcast to listening nodes).
  const assignedAt = new Map<string, number>();
  const observer = new ServiceBroker({ namespace: run, nodeID: `${run}-bench`, transporter: { type: 'NATS', options: { url: infra.KEFU_TRANSPORTER } }, logger: false, heartbeatInterval: 1, heartbeatTimeout: 3 });
  observer.createService({
    name: 'bench-assignments',
    events: {
      'conversation.assigned'(ctx: { params: { conversationId: string } }) {
        if (!assignedAt.has(ctx.params.conversationId)) assignedAt.set(ctx.params.conversationId, performance.now());
      },
    },
  });
  await observer.start();
  checkHeartbeatsEverySecond(observer);
  const actors = new ActorClient(observer, { attempts: 50, backoffMs: 50 });
  const db = await openDatabase({ dialect: 'mysql', url: scratch.url });
  /** Snapshot writes so far, by actor kind (each write adds one to its row's version). */
  const writesByKind = async (): Promise<Map<string, number>> =>
    new Map(
      (await db.orm.em.getConnection().execute<{ kind: string; n: number }[]>('select kind, sum(version) as n from kefu_actor_state group by kind')).map((r: { kind: string; n: number }) => [r.kind, Number(r.n)]),
    );
  const count = async (sql: string): Promise<number> => Number((await db.orm.em.getConnection().execute<{ n: number }[]>(sql))[0]!.n);
  const start = (id: string, group: string) =>
    actors.send('conversation', id, {
      type: 'start',
      tenantId: 'bench',
      channelId: 'web',
      // Bench agents never accept; keep their assignments instead of re-queueing after no answer.
      settings: { agentNoAnswerMs: 3_600_000 },
      visitor: { visitorId: `v-${id}`, displayName: null, identified: false, vip: false, lastAgentId: null },
      open: { skillGroupId: group, requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true },
    });
  const createAgents = async (group: string, n: number, slots: number): Promise<string[]> => {
    await actors.send('queue', group, { type: 'create', tenantId: 'bench' });
    const ids = Array.from({ length: n }, (_, i) => `a${i}-${group}`);
    await Promise.all(ids.map((a) => actors.send('agent', a, { type: 'create', tenantId: 'bench', skillGroups: [group], maxConversations: slots })));
    return ids;
  };

  try {
    while (['conversation', 'agent', 'queue'].some((k) => actors.members(k).length < 3)) await sleep(100);

    // 1. Burst: a line of `visitors` while everyone is offline, then all agents connect.
    const burstGroup = `burst-${run}`;
    const burstAgents = await createAgents(burstGroup, agentCount, capacity);
    const t0 = performance.now();
    for (let i = 0; i < visitors; i += 250) {
      await Promise.all(Array.from({ length: Math.min(250, visitors - i) }, (_, j) => start(`b${i + j}-${run}`, burstGroup)));
    }
    const queuedSeconds = (performance.now() - t0) / 1000;
    console.log(`Cluster routing (3 actor nodes, MariaDB, Redis, NATS)`);
    console.log(`  burst: ${visitors} visitors started in ${queuedSeconds.toFixed(1)} s (${Math.round(visitors / queuedSeconds)}/s) while ${agentCount} agents × ${capacity} slots are offline`);

    const t1 = performance.now();
    await Promise.all(burstAgents.map((a) => actors.send('agent', a, { type: 'connect', connectionId: 'desk' })));
    let left = visitors;
    while (left > 0 && performance.now() - t1 < maxSeconds * 1000) {
      await sleep(100);
      left = await count(`select count(*) as n from kefu_actor_state where kind = 'conversation' and actor_id like 'b%' and state not like '%"status":"assigned"%'`);
    }
    const drainSeconds = (performance.now() - t1) / 1000;
    const over = await count(`select count(*) as n from kefu_actor_state where kind = 'agent' and json_length(json_extract(state, '$.conversations')) > ${capacity}`);
    console.log(`  burst: drained ${visitors - left} of ${visitors} in ${drainSeconds.toFixed(1)} s after the agents connected: ${Math.round((visitors - left) / drainSeconds)} assignments/s (target: 10,000 in ≤ 15 s); agents over capacity: ${over}`);

    // 2. Sustained: visitors arrive at `rate` per second while agents have room.
    const steadyGroup = `steady-${run}`;
    const arrivals = rate * sustainedSeconds;
    const steadyAgents = await createAgents(steadyGroup, steadyAgentCount, steadySlots);
    const joining = performance.now();
    await Promise.all(steadyAgents.map((a) => actors.send('agent', a, { type: 'connect', connectionId: 'desk' })));
    // The queue has heard every agent once a command sent after their reports comes back (FIFO mailbox).
    for (let i = 0; i < 2; i++) {
      await sleep(500);
      await actors.send('queue', steadyGroup, { type: 'route' });
    }
    const joinedSeconds = (performance.now() - joining - 1000) / 1000;
    const writesBefore = await writesByKind();
    const commitsBefore = await snapshotCommits(base);
    const sentAt = new Map<string, number>();
    const sends: Promise<unknown>[] = [];
    const t2 = performance.now();
    for (let i = 0; i < arrivals; i++) {
      const due = t2 + (i * 1000) / rate;
      if (due > performance.now()) await sleep(due - performance.now());
      const id = `s${i}-${run}`;
      sentAt.set(id, performance.now());
      sends.push(start(id, steadyGroup));
    }
    await Promise.all(sends);
    const deadline = performance.now() + maxSeconds * 1000;
    while ([...sentAt.keys()].some((id) => !assignedAt.has(id)) && performance.now() < deadline) await sleep(100);
    const commits = (await snapshotCommits(base)).map((c, i) => ({
      batches: c.batches - commitsBefore[i]!.batches,
      rows: c.rows - commitsBefore[i]!.rows,
      seconds: c.seconds - commitsBefore[i]!.seconds,
      loopDelayP99: c.loopDelayP99,
    }));
    const latencies = [...sentAt].filter(([id]) => assignedAt.has(id)).map(([id, at]) => assignedAt.get(id)! - at);
    const lastAssigned = Math.max(...[...sentAt.keys()].map((id) => assignedAt.get(id) ?? 0));
    const steadyOver = await count(
      `select count(*) as n from kefu_actor_state where kind = 'agent' and actor_id like 'a%steady%' and json_length(json_extract(state, '$.conversations')) > ${steadySlots}`,
    );
    console.log(`  sustained: ${steadyAgentCount} agents × ${steadySlots} slots signed in and were heard by their queue in ${joinedSeconds.toFixed(1)} s`);
    console.log(
      `  sustained: ${latencies.length} of ${arrivals} visitors arriving at ${rate}/s assigned, ${Math.round(latencies.length / ((lastAssigned - t2) / 1000))} assignments/s; ` +
        `assignment latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms (target ≥ 1,000/s, p99 ≤ 50 ms); agents over capacity: ${steadyOver}`,
    );

    const writes = await writesByKind();
    console.log(`  sustained: snapshot writes per assignment ${[...writes].map(([kind, n]) => `${kind} ${((n - (writesBefore.get(kind) ?? 0)) / Math.max(1, latencies.length)).toFixed(2)}`).join(', ')}`);
    const ms = (c: { batches: number; seconds: number }) => ((c.seconds / Math.max(1, c.batches)) * 1000).toFixed(1);
    const rows = (c: { batches: number; rows: number }) => (c.rows / Math.max(1, c.batches)).toFixed(1);
    console.log(`  sustained: snapshot commits per node ${commits.map((c) => `${c.batches} (mean ${ms(c)} ms, ${rows(c)} rows)`).join(', ')}`);
    console.log(`  sustained: event-loop delay p99 per node ${commits.map((c) => `${(c.loopDelayP99 * 1000).toFixed(0)} ms`).join(', ')}`);

    // Baseline: the same burst decided by the pure router in this process.
    const snapshots: AgentSnapshot[] = burstAgents.map((a) => ({ agentId: a, status: 'ready', load: 0, maxConversations: capacity, freeSlots: capacity, lastAssignedAt: null, skillGroupCount: 1 }));
    const waiting = Array.from({ length: visitors }, (_, i) => ({ conversationId: `c${i}`, priority: 0, arrival: i, enqueuedAt: 0, waitingSince: 0, preferredAgentId: null, preferredUntil: 0, avoidAgentIds: [], offeredTo: null, offeredAt: null, shownPosition: null }));
    const p0 = performance.now();
    const planned = planOffers(waiting, snapshots, 'idle-first', 1).length;
    console.log(`  baseline: the pure router plans the burst's ${planned} assignments at ${Math.round(planned / ((performance.now() - p0) / 1000)).toLocaleString('en-US')}/s in one process`);
  } finally {
    await observer.stop();
    await cluster.stop();
    await db.close();
    await scratch.drop();
    await dropScratchData(run);
  }
}

/**
 * Each node's snapshot group commits so far (kefu_actor_snapshot_batch_*): how many, their rows and
 * their time; and its event-loop delay p99 since the previous scrape (prom-client resets it at each).
 */
async function snapshotCommits(base: number): Promise<{ batches: number; rows: number; seconds: number; loopDelayP99: number }[]> {
  return Promise.all(
    [0, 1, 2].map(async (i) => {
      const m = await scrape(base + i);
      return {
        batches: m.sum('kefu_actor_snapshot_batch_rows_count'),
        rows: m.sum('kefu_actor_snapshot_batch_rows_sum'),
        seconds: m.sum('kefu_actor_snapshot_batch_seconds_sum'),
        loopDelayP99: m.sum('nodejs_eventloop_lag_p99_seconds'),
      };
    }),
  );
}

await main();
