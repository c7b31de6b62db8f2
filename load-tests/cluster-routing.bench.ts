/**
 * Routing through the cluster: `npm run bench:cluster-routing [-- --visitors 10000 --agents 50]`
 *
 * Three actor nodes as real processes (cluster mode: NATS, Redis leases, MariaDB) on this machine.
 * N visitors queue in one skill group while its agents are offline; then every agent connects at
 * once, and the benchmark measures how long the queue takes to drain (assignments per second
 * through queue → agent reservation → conversation assignment → commit), and checks that no agent
 * ends over capacity. Baseline printed beside it: the pure router deciding the same assignments in
 * one process (`planOffers`), i.e. the cost of routing without the distribution.
 */
import { parseArgs } from 'node:util';
import { ServiceBroker } from 'moleculer';
import type { AgentSnapshot } from '../actors/agent/state.ts';
import { planOffers } from '../actors/queue/policies/plan.ts';
import { ActorClient } from '../cluster/actor-runtime.ts';
import { openDatabase } from '../cluster/database.ts';
import { checkHeartbeatsEverySecond } from '../cluster/failure-detection.ts';
import { LocalCluster } from '../cluster/local-cluster.ts';
import { localInfraEnv, localInfraUp, scratchMysqlDatabase } from '../cluster/local-infra.ts';

const { values } = parseArgs({ options: { visitors: { type: 'string', default: '10000' }, agents: { type: 'string', default: '50' }, 'max-seconds': { type: 'string', default: '180' } } });
const visitors = Number(values.visitors);
const agentCount = Number(values.agents);
const capacity = Math.ceil(visitors / agentCount);
const maxSeconds = Number(values['max-seconds']);

async function main(): Promise<void> {
  localInfraUp();
  const infra = localInfraEnv();
  const run = `route-${Date.now().toString(36)}`;
  const scratch = await scratchMysqlDatabase('kefu_bench');
  const cluster = new LocalCluster({ name: run, infra, output: null, env: { KEFU_LOG_LEVEL: 'warn', KEFU_MYSQL_URL: scratch.url } });
  process.on('exit', () => cluster.killAllNow());
  const base = 21_000 + Math.floor(Math.random() * 20_000);
  await Promise.all(['actors-1', 'actors-2', 'actors-3'].map((id, i) => cluster.waitReady(cluster.start({ id, roles: 'actors,workers', port: base + i }))));
  const observer = new ServiceBroker({ namespace: run, nodeID: `${run}-bench`, transporter: { type: 'NATS', options: { url: infra.KEFU_TRANSPORTER } }, logger: false, heartbeatInterval: 1, heartbeatTimeout: 3 });
  await observer.start();
  checkHeartbeatsEverySecond(observer);
  const actors = new ActorClient(observer, { attempts: 50, backoffMs: 50, requestTimeoutMs: 30_000 });
  const db = await openDatabase({ dialect: 'mysql', url: scratch.url });
  const count = async (sql: string): Promise<number> => Number((await db.orm.em.getConnection().execute<{ n: number }[]>(sql))[0]!.n);
  try {
    while (['conversation', 'agent', 'queue'].some((k) => actors.members(k).length < 3)) await new Promise((r) => setTimeout(r, 100));
    const group = `g-${run}`;
    await actors.send('queue', group, { type: 'create', tenantId: 'bench' });
    const agents = Array.from({ length: agentCount }, (_, i) => `a${i}-${run}`);
    await Promise.all(agents.map((a) => actors.send('agent', a, { type: 'create', tenantId: 'bench', skillGroups: [group], maxConversations: capacity })));

    const open = { skillGroupId: group, requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true };
    const t0 = performance.now();
    for (let i = 0; i < visitors; i += 250) {
      await Promise.all(
        Array.from({ length: Math.min(250, visitors - i) }, (_, j) => {
          const id = `c${i + j}-${run}`;
          const visitor = { visitorId: `v-${id}`, displayName: null, identified: false, vip: false, lastAgentId: null };
          return actors.send('conversation', id, { type: 'start', tenantId: 'bench', channelId: 'web', visitor, open });
        }),
      );
    }
    const queuedSeconds = (performance.now() - t0) / 1000;
    console.log(`Cluster routing (3 actor nodes, MariaDB, Redis, NATS): ${visitors} visitors queued in ${queuedSeconds.toFixed(1)} s (${Math.round(visitors / queuedSeconds)} conversations started/s); ${agentCount} agents × ${capacity} slots`);

    const t1 = performance.now();
    await Promise.all(agents.map((a) => actors.send('agent', a, { type: 'connect', connectionId: 'desk' })));
    let left = visitors;
    let lastPrint = t1;
    while (left > 0 && performance.now() - t1 < maxSeconds * 1000) {
      await new Promise((r) => setTimeout(r, 250));
      left = await count(`select count(*) as n from kefu_actor_state where kind = 'conversation' and state not like '%"status":"assigned"%'`);
      if (performance.now() - lastPrint > 10_000) {
        lastPrint = performance.now();
        console.log(`  … ${visitors - left} assigned after ${((lastPrint - t1) / 1000).toFixed(0)} s`);
      }
    }
    const drainSeconds = (performance.now() - t1) / 1000;
    const assigned = visitors - left;
    const over = await count(`select count(*) as n from kefu_actor_state where kind = 'agent' and json_length(json_extract(state, '$.conversations')) > ${capacity}`);

    const snapshots: AgentSnapshot[] = agents.map((a) => ({ agentId: a, status: 'ready', load: 0, maxConversations: capacity, freeSlots: capacity, lastAssignedAt: null, skillGroupCount: 1 }));
    const waiting = Array.from({ length: visitors }, (_, i) => ({ conversationId: `c${i}`, priority: 0, arrival: i, enqueuedAt: 0, waitingSince: 0, preferredAgentId: null, preferredUntil: 0, avoidAgentIds: [], offeredTo: null, shownPosition: null }));
    const p0 = performance.now();
    const planned = planOffers(waiting, snapshots, 'idle-first', 1).length;
    const pureRate = planned / ((performance.now() - p0) / 1000);

    console.log(`  drained ${assigned} of ${visitors} in ${drainSeconds.toFixed(1)} s: ${Math.round(assigned / drainSeconds)} assignments/s through the cluster (target ≥ 1,000/s; 10,000 in ≤ 15 s)`);
    console.log(`  baseline: the pure router plans the same ${planned} assignments at ${Math.round(pureRate).toLocaleString('en-US')}/s in one process`);
    console.log(`  agents over capacity: ${over}`);
  } finally {
    await observer.stop();
    await cluster.stop();
    await db.close();
    await scratch.drop();
  }
}

await main();
