/**
 * The log's consumers under failure, as processes over the real Kafka, MariaDB, Elasticsearch, NATS
 * and Redis: two actor nodes, two worker nodes (persister + indexer). Thousands of messages across
 * hundreds of conversations are acknowledged while the worker nodes are killed with SIGKILL and
 * started again; afterwards every acknowledged message is in MySQL exactly once and in
 * Elasticsearch exactly once, at its acknowledged seq, and each conversation's seqs run 1, 2, 3 …
 */
import { ServiceBroker } from 'moleculer';
import { ActorClient } from '../../cluster/actor-runtime.ts';
import { openDatabase, type Database } from '../../cluster/database.ts';
import { checkHeartbeatsEverySecond } from '../../cluster/failure-detection.ts';
import { LocalCluster } from '../../cluster/local-cluster.ts';
import { dropScratchData, localInfraEnv, scratchMysqlDatabase } from '../../cluster/local-infra.ts';
import { MESSAGES_INDEX } from '../../actors/history/elasticsearch.ts';
import { freePorts, uniqueName, waitFor } from '../support.ts';

const CONVERSATIONS = 200;
const MESSAGES_PER_CONVERSATION = 15;
const IN_FLIGHT = 40;

let cluster: LocalCluster | undefined;
let observer: ServiceBroker | undefined;
let scratch: { url: string; drop(): Promise<void> } | undefined;
let db: Database | undefined;
const name = uniqueName('kefu-workers');

afterAll(async () => {
  await observer?.stop();
  await cluster?.stop();
  await db?.close();
  await scratch?.drop();
  await dropScratchData(name);
});

test('persister and indexer killed and restarted during a run: every acknowledged message stored once and indexed once', async () => {
  const infra = localInfraEnv();
  scratch = await scratchMysqlDatabase('kefu_test');
  cluster = new LocalCluster({ name, infra, output: null, env: { KEFU_LOG_LEVEL: 'warn', KEFU_MYSQL_URL: scratch.url } });
  const base = await freePorts(4);
  const specs = [
    { id: 'actors-1', roles: 'actors', port: base },
    { id: 'actors-2', roles: 'actors', port: base + 1 },
    { id: 'workers-1', roles: 'workers', port: base + 2 },
    { id: 'workers-2', roles: 'workers', port: base + 3 },
  ];
  await Promise.all(specs.map((s) => cluster!.waitReady(cluster!.start(s))));
  const restart = async (id: string) => {
    await cluster!.exited(id);
    await cluster!.waitReady(cluster!.start(specs.find((s) => s.id === id)!));
  };

  observer = new ServiceBroker({ namespace: name, nodeID: `${name}-test`, transporter: { type: 'NATS', options: { url: infra.KEFU_TRANSPORTER } }, logger: false, heartbeatInterval: 1, heartbeatTimeout: 3 });
  await observer.start();
  checkHeartbeatsEverySecond(observer);
  const actors = new ActorClient(observer, { attempts: 200, backoffMs: 25 });
  await waitFor('both actor nodes hosting conversations', async () => (actors.members('conversation').length === 2 ? true : undefined), 60_000);
  const group = `sales-${name}`;
  await actors.send('queue', group, { type: 'create', tenantId: 'default' });
  const conversations = Array.from({ length: CONVERSATIONS }, (_, i) => `c${i}-${name}`);
  for (const id of conversations) {
    const visitor = { visitorId: `v-${id}`, displayName: null, identified: false, vip: false, lastAgentId: null };
    const r = await actors.send('conversation', id, { type: 'start', tenantId: 'default', channelId: 'web', visitor, open: { skillGroupId: group, requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true } });
    expect(r.ok).toBe(true);
  }

  // Visitors write while the workers die: kill -9 one worker node a third in, the other two thirds in (restarting the first).
  const acked = new Map<string, { conversationId: string; seq: number }>();
  const work = conversations.flatMap((id) => Array.from({ length: MESSAGES_PER_CONVERSATION }, (_, n) => ({ id, clientMsgId: `${id}-m${n}`, text: `第${n}条 message ${n} of ${id}` })));
  // One conversation's messages in order (as one visitor sends them); conversations interleaved.
  const byConversation = Map.groupBy(work, (w) => w.id);
  const queues = [...byConversation.values()];
  const total = work.length;
  const chaos: Promise<void>[] = [];
  let sent = 0;
  const send = async (): Promise<void> => {
    for (let queue = queues.pop(); queue; queue = queues.pop()) {
      for (const w of queue) {
        const r = await actors.send<unknown, { type: string; seq?: number; clientMsgId?: string }>('conversation', w.id, { type: 'post-message', from: { kind: 'visitor' }, clientMsgId: w.clientMsgId, text: w.text });
        if (!r.ok) throw new Error(`${w.id}: ${r.rejected}`);
        acked.set(w.clientMsgId, { conversationId: w.id, seq: r.effects.find((e) => e.type === 'ack')!.seq! });
        sent++;
        if (sent === Math.floor(total / 3)) {
          cluster!.signal('workers-1', 'SIGKILL');
        }
        if (sent === Math.floor((2 * total) / 3)) {
          cluster!.signal('workers-2', 'SIGKILL');
          chaos.push(restart('workers-1'));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, send));
  chaos.push(restart('workers-2'));
  await Promise.all(chaos);
  expect(acked.size).toBe(total);

  // MySQL: each acknowledged message once, at its seq; every conversation 1..n without gaps.
  db = await openDatabase({ dialect: 'mysql', url: scratch.url });
  const rows = async () =>
    db!.orm.em.fork().getConnection().execute<{ conversation_id: string; seq: number; client_msg_id: string }[]>('select conversation_id, seq, client_msg_id from kefu_message', [], 'all');
  await waitFor('the persister to store every acknowledged message', async () => ((await rows()).length >= total ? true : undefined), 120_000);
  const stored = await rows();
  expect(stored).toHaveLength(total);
  const storedById = new Map(stored.map((r: { conversation_id: string; seq: number; client_msg_id: string }) => [r.client_msg_id, r]));
  for (const [clientMsgId, { conversationId, seq }] of acked) expect(storedById.get(clientMsgId)).toEqual({ conversation_id: conversationId, seq, client_msg_id: clientMsgId });
  for (const id of conversations) {
    const seqs = stored.filter((r: { conversation_id: string }) => r.conversation_id === id).map((r: { seq: number }) => Number(r.seq)).sort((a: number, b: number) => a - b);
    expect(seqs).toEqual(Array.from({ length: MESSAGES_PER_CONVERSATION }, (_, i) => i + 1));
  }

  // Elasticsearch: the same, once each.
  const index = `${name}-${MESSAGES_INDEX}`;
  const docs = async (): Promise<{ _id: string; _source: { clientMsgId: string; conversationId: string; seq: number } }[]> => {
    await fetch(`${infra.KEFU_ELASTICSEARCH_URL}/${index}/_refresh`, { method: 'POST' });
    const r = await fetch(`${infra.KEFU_ELASTICSEARCH_URL}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 10_000, query: { match_all: {} } }) });
    return r.ok ? ((await r.json()) as { hits: { hits: { _id: string; _source: { clientMsgId: string; conversationId: string; seq: number } }[] } }).hits.hits : [];
  };
  await waitFor('the indexer to index every acknowledged message', async () => ((await docs()).length >= total ? true : undefined), 120_000);
  const indexed = await docs();
  expect(indexed).toHaveLength(total);
  const indexedById = new Map(indexed.map((d) => [d._source.clientMsgId, d]));
  expect(indexedById.size).toBe(total);
  for (const [clientMsgId, { conversationId, seq }] of acked) {
    expect(indexedById.get(clientMsgId)).toMatchObject({ _id: `${conversationId}:${seq}`, _source: { conversationId, seq } });
  }
}, 600_000);
