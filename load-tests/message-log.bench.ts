/**
 * Durable messages end to end in cluster mode: `npm run bench:message-log [-- --visitors 600 --agents 12 --seconds 10 --rate 2000]`
 *
 * The local cluster (`cluster:local`: one gateway node, two actor+worker nodes) over the real NATS,
 * Redis, MariaDB, Kafka and Elasticsearch, everything on this machine. Visitors and agents are
 * WebSocket clients speaking the public protocols. Phases:
 *
 * 1. Baseline, measured in the same run: the raw kafkajs idempotent producer, `acks=all`, batches
 *    of 100 records of the same size, 4 batches in flight — the ceiling of the broker on this machine.
 * 2. Saturation: every visitor sends 9 messages/s (under the 10 frames/s a visitor connection may
 *    send), open loop; printed: acknowledged messages/s (each one in Kafka) and delivered to the
 *    agent/s, and the ratio to the baseline.
 * 3. Fixed rate (`--rate`, default 2,000/s, spread over the visitors): ack latency (frame sent →
 *    `ack`) and delivery latency (→ the agent's `message`) p50/p90/p99, and for a sample of
 *    messages how long after their ack they were in MySQL (persister) and searchable in
 *    Elasticsearch (indexer).
 */
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { openDatabase } from '../cluster/database.ts';
import { localInfraEnv, localInfraUp } from '../cluster/local-infra.ts';
import { docId, MESSAGES_INDEX } from '../actors/history/elasticsearch.ts';
import { AgentClient } from '../tests/agent-client.ts';
import { ApiClient, expectStatus } from '../tests/api-client.ts';
import { firstAdmin, launchCluster } from '../tests/cluster-run.ts';
import { VisitorClient } from '../tests/visitor-client.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({
  options: {
    visitors: { type: 'string', default: '600' },
    agents: { type: 'string', default: '12' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '2000' },
  },
});
const visitorCount = Number(values.visitors);
const agentCount = Number(values.agents);
const seconds = Number(values.seconds);
const fixedRate = Number(values.rate);
const slots = Math.ceil(visitorCount / agentCount);
const TEXT = '您好，我的订单 A-20261202 还没有发货，请帮我查一下物流信息。Hello, my order has not shipped yet.';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function rawProducerCeiling(run: string): Promise<number> {
  const infra = localInfraEnv();
  const kafka = new Kafka({ clientId: `${run}-baseline`, brokers: infra.KEFU_KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `${run}.baseline`;
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 12 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  const value = JSON.stringify({ v: 1, type: 'message', epoch: Date.now(), tenantId: 'default', conversationId: 'x'.repeat(22), seq: 1, clientMsgId: 'c-123456', from: { kind: 'visitor' }, visibility: 'public', text: TEXT, at: Date.now() });
  let sent = 0;
  const until = performance.now() + seconds * 1_000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async (_, lane) => {
      for (let b = 0; performance.now() < until; b++) {
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: Array.from({ length: 100 }, (_, i) => ({ key: `conv-${lane}-${b}-${i % 50}`, value })) }] });
        sent += 100;
      }
    }),
  );
  const rate = (sent * 1_000) / (performance.now() - started);
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  return rate;
}

type Pending = { sentAt: number; ackedAt?: number; seq?: number };

async function main(): Promise<void> {
  localInfraUp();
  process.env.KEFU_VISITOR_CONNECTIONS_PER_IP = String(visitorCount + 100);
  process.env.KEFU_LOG_LEVEL = 'warn';
  const run = `logbench-${Date.now().toString(36)}`;
  console.log(`Durable messages end to end: ${visitorCount} visitors, ${agentCount} agents, ${seconds} s per phase, on ${(await import('node:os')).availableParallelism()} cores with everything local.`);
  const baseline = await rawProducerCeiling(run);
  console.log(`  baseline: raw kafkajs producer, acks=all, batches of 100, 4 in flight: ${fmt(baseline)} records/s`);

  const cluster = await launchCluster({ nodes: 2, gateways: 1, prefix: 'logbench' });
  const clients: { close(): void }[] = [];
  try {
    const base = `http://127.0.0.1:${cluster.port}`;
    const password = 'bench password 1';
    const { admin, agentRole } = await firstAdmin(cluster, base, password);

    // Agents, each with room for its share of the visitors, every assignment accepted at once.
    const deliveredAt = new Map<string, number>();
    const agents: AgentClient[] = [];
    for (let a = 0; a < agentCount; a++) {
      const email = `agent${a}@example.com`;
      expectStatus(await admin.post('/api/v1/accounts', { email, displayName: `Agent ${a}`, password, departmentId: 'default', roleIds: [agentRole], skillGroupIds: ['default'], maxConversations: Math.min(100, slots) }), 201);
      const api = await new ApiClient(base).login(email, password);
      const agent = await AgentClient.connect(`ws://127.0.0.1:${cluster.port}/ws/agent`, { cookie: api.cookie });
      clients.push(agent);
      await agent.hello({ status: 'ready' });
      agent.ws.on('message', () => {
        const f = agent.frames[agent.frames.length - 1] as { type: string; status?: string; conversationId?: string; clientMsgId?: string | null; from?: { kind: string } };
        if (f.type === 'conversation' && f.status === 'assigned') agent.send({ type: 'accept', conversationId: f.conversationId });
        else if (f.type === 'message' && f.from?.kind === 'visitor' && f.clientMsgId) deliveredAt.set(f.clientMsgId, performance.now());
        if (agent.frames.length > 1_000) agent.frames.length = 0;
      });
      agents.push(agent);
    }

    const pending = new Map<string, Pending>();
    const visitors: { client: VisitorClient }[] = [];
    for (let v = 0; v < visitorCount; v++) {
      const client = await VisitorClient.connect(`ws://127.0.0.1:${cluster.port}/ws/visitor/web`);
      clients.push(client);
      await client.hello();
      client.send({ type: 'start' });
      await client.next('status', (s) => s.status === 'assigned', { ms: 60_000 });
      client.ws.on('message', () => {
        const f = client.frames[client.frames.length - 1] as { type: string; clientMsgId?: string; seq?: number };
        if (f.type === 'ack' && f.clientMsgId) {
          const p = pending.get(f.clientMsgId);
          if (p && p.ackedAt === undefined) {
            p.ackedAt = performance.now();
            p.seq = f.seq!;
          }
        }
        if (client.frames.length > 1_000) client.frames.length = 0;
      });
      visitors.push({ client });
    }
    console.log(`  ${visitorCount} conversations open and accepted`);

    let counter = 0;
    /** Open loop: every visitor sends `perVisitor` messages/s for `secs` seconds; waits for the acks (≤ 30 s more). */
    const phase = async (perVisitor: number, secs: number, label: string): Promise<Pending[]> => {
      const mine: [string, Pending][] = [];
      const interval = 1_000 / perVisitor;
      const started = performance.now();
      await Promise.all(
        visitors.map(async ({ client }, v) => {
          await sleep((v / visitors.length) * interval);
          for (let next = performance.now(); performance.now() - started < secs * 1_000; next += interval) {
            const clientMsgId = `${label}-${++counter}`;
            const p: Pending = { sentAt: performance.now() };
            pending.set(clientMsgId, p);
            mine.push([clientMsgId, p]);
            client.send({ type: 'message', clientMsgId, text: TEXT });
            await sleep(Math.max(0, next + interval - performance.now()));
          }
        }),
      );
      const deadline = performance.now() + 30_000;
      while (mine.some(([, p]) => p.ackedAt === undefined) && performance.now() < deadline) await sleep(50);
      return mine.map(([id, p]) => ({ ...p, id }) as Pending & { id: string });
    };

    // 2. Saturation.
    const saturated = (await phase(9, seconds, 'sat')) as (Pending & { id: string })[];
    const acked = saturated.filter((p) => p.ackedAt !== undefined);
    const firstSent = Math.min(...saturated.map((p) => p.sentAt));
    const lastAck = Math.max(...acked.map((p) => p.ackedAt!));
    const lastDelivery = Math.max(...acked.map((p) => deliveredAt.get(p.id) ?? 0));
    const ackRate = (acked.length * 1_000) / (lastAck - firstSent);
    const delivered = acked.filter((p) => deliveredAt.has(p.id)).length;
    console.log(`  saturation (offered ${fmt(visitorCount * 9)}/s): ${fmt(ackRate)} durable messages/s acknowledged, ${fmt((delivered * 1_000) / (lastDelivery - firstSent))}/s delivered to agents; ${fmt(saturated.length - acked.length)} unacknowledged after 30 s`);
    console.log(`  ratio to the raw producer: ${((ackRate / baseline) * 100).toFixed(0)} % (target ≥ 50 %, and ≥ 5,000/s)`);
    await sleep(3_000);

    // 3. Fixed rate: latencies, and how soon MySQL and Elasticsearch have the messages.
    const perVisitor = fixedRate / visitorCount;
    const db = await openDatabase({ dialect: 'mysql', url: cluster.mysqlUrl });
    const es = localInfraEnv().KEFU_ELASTICSEARCH_URL;
    const index = `${cluster.name}-${MESSAGES_INDEX}`;
    const sample = new Map<string, { ackedAt?: number; docId?: string; inMysql?: number; inEs?: number }>();
    let sampling = true;
    let samplingDeadline = Infinity;
    const sampler = (async () => {
      while (sampling || [...sample.values()].some((s) => s.inMysql === undefined || s.inEs === undefined)) {
        for (const [id, p] of pending) if (id.startsWith('fixed-') && Number(id.slice(6)) % 20 === 0 && !sample.has(id) && p.ackedAt !== undefined) sample.set(id, { ackedAt: p.ackedAt });
        const waitingSql = [...sample].filter(([, s]) => s.inMysql === undefined).map(([id]) => id);
        if (waitingSql.length > 0) {
          const rows = await db.orm.em
            .fork()
            .getConnection()
            .execute<{ client_msg_id: string; conversation_id: string; seq: number }[]>(`select client_msg_id, conversation_id, seq from kefu_message where client_msg_id in (${waitingSql.map(() => '?').join(',')})`, waitingSql, 'all');
          const now = performance.now();
          for (const r of rows) Object.assign(sample.get(r.client_msg_id)!, { inMysql: now, docId: docId(r.conversation_id, Number(r.seq)) });
        }
        const waitingEs = [...sample].filter(([, s]) => s.inEs === undefined && s.docId !== undefined);
        if (waitingEs.length > 0) {
          const r = await fetch(`${es}/${index}/_mget`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ids: waitingEs.map(([, s]) => s.docId) }) });
          const now = performance.now();
          if (r.ok) {
            const docs = ((await r.json()) as { docs: { found: boolean }[] }).docs;
            docs.forEach((d, i) => {
              if (d.found) waitingEs[i]![1].inEs = now; // searchable after the next refresh (≤ 500 ms)
            });
          }
        }
        await sleep(25);
        if (!sampling && performance.now() > samplingDeadline) break;
      }
    })();
    const fixed = (await phase(perVisitor, seconds, 'fixed')) as (Pending & { id: string })[];
    sampling = false;
    samplingDeadline = performance.now() + 30_000;
    await sampler;
    await db.close();
    const ackLatencies = fixed.filter((p) => p.ackedAt !== undefined).map((p) => p.ackedAt! - p.sentAt);
    const deliveryLatencies = fixed.filter((p) => deliveredAt.has(p.id)).map((p) => deliveredAt.get(p.id)! - p.sentAt);
    const toMysql = [...sample.values()].filter((s) => s.inMysql !== undefined).map((s) => s.inMysql! - s.ackedAt!);
    const toEs = [...sample.values()].filter((s) => s.inEs !== undefined).map((s) => s.inEs! - s.ackedAt! + 500);
    const p = (xs: number[]) => `p50 ${ms(percentile(xs, 50))}  p90 ${ms(percentile(xs, 90))}  p99 ${ms(percentile(xs, 99))}`;
    console.log(`  at ${fmt(fixedRate)}/s (${fixed.length} messages): ack ${p(ackLatencies)}   (target p99 ≤ 50 ms)`);
    console.log(`                          delivered to the agent ${p(deliveryLatencies)}`);
    console.log(`  after the ack, in MySQL: ${p(toMysql)} (${toMysql.length} sampled; target p99 ≤ 1 s)`);
    console.log(`  after the ack, searchable in Elasticsearch (indexed + the 500 ms refresh): ${p(toEs)} (target p99 ≤ 2 s)`);
  } finally {
    for (const c of clients) c.close();
    await cluster.stop();
  }
}

await main();
process.exit(0);
