/**
 * The Kafka message log of cluster mode (cluster/message-log.kafka.ts, workers/persister.ts), as
 * processes over the real Kafka, MariaDB, NATS and Redis: one gateway and two actor/worker nodes.
 *
 * - Every acknowledged message is a record of `<cluster>.kefu.messages.v1` carrying its owner's
 *   epoch, and is stored exactly once in MySQL by the persister, `seq` without gaps; a visitor who
 *   resumes from 0 is replayed all of it from there.
 * - The conversations' lifecycle events reach `kefu.conversations.v1` and the persister folds
 *   them into `kefu_conversation_record`.
 * - With the broker down, a message is refused with a temporary error and never acknowledged; sent
 *   again with the same client id once the broker is back, it is acknowledged and stored once.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { AgentClient } from '../agent-client.ts';
import { ApiClient, expectStatus } from '../api-client.ts';
import { firstAdmin, launchCluster, logClusterErrors, type ClusterRun } from '../cluster-run.ts';
import { VisitorClient } from '../visitor-client.ts';
import { waitFor } from '../support.ts';
import { INFRA_SCRIPT, localInfraEnv, localInfraUp } from '../../cluster/local-infra.ts';
import { openDatabase, type Database } from '../../cluster/database.ts';
import { ConversationRecords } from '../../actors/conversation/conversation-record.repository.ts';
import { MESSAGES_TOPIC, parseRecord, type MessageLogRecord } from '../../cluster/message-log.kafka.ts';

const PASSWORD = 'message log secret';
const KEFU_BIN = fileURLToPath(new URL('../../bin/kefu.ts', import.meta.url));
let cluster: ClusterRun | undefined;
let db: Database | undefined;
const open: { close(): void }[] = [];

afterAll(async () => {
  logClusterErrors(cluster);
  for (const c of open) c.close();
  localInfraUp(['kafka']); // in case a test stopped it and failed before starting it again
  await db?.close();
  await cluster?.stop();
});

type Row = { conversation_id: string; seq: number; client_msg_id: string; text: string; epoch: number | string };
const storedRows = async (): Promise<Row[]> =>
  db!.orm.em.getConnection().execute<Row[]>('select conversation_id, seq, client_msg_id, text, epoch from kefu_message order by conversation_id, seq', [], 'all');

/** Every record of the cluster's message topic, read from the beginning by a consumer group of its own. */
async function topicRecords(name: string, atLeast: number): Promise<MessageLogRecord[]> {
  const kafka = new Kafka({ clientId: 'kefu-test', brokers: localInfraEnv().KEFU_KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${name}.test-reader`, maxWaitTimeInMs: 100 });
  const records: MessageLogRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: `${name}.${MESSAGES_TOPIC}`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const r = parseRecord(message.value);
        if (r) records.push(r);
      },
    });
    await waitFor(`${atLeast} records in the topic`, async () => (records.length >= atLeast ? true : undefined), 60_000);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

let visitors: { client: VisitorClient; token: string; conversationId: string }[] = [];
let searchAs: ApiClient | undefined;

test('every acknowledged message is in Kafka with its owner’s epoch and stored once in MySQL; a resume replays it from there', async () => {
  cluster = await launchCluster({ nodes: 2, gateways: 1, prefix: 'kefu-log' });
  db = await openDatabase({ dialect: 'mysql', url: cluster.mysqlUrl });
  const base = `http://127.0.0.1:${cluster.port}`;
  const { admin, agentRole } = await firstAdmin(cluster, base, PASSWORD);
  expectStatus(await admin.post('/api/v1/accounts', { email: 'li.na@example.com', displayName: '李娜', password: PASSWORD, departmentId: 'default', roleIds: [agentRole], skillGroupIds: ['default'] }), 201);
  const li = await new ApiClient(base).login('li.na@example.com', PASSWORD);
  const agent = await AgentClient.connect(`ws://127.0.0.1:${cluster.port}/ws/agent`, { cookie: li.cookie });
  open.push(agent);
  await agent.hello({ status: 'ready' });

  visitors = [];
  for (let v = 0; v < 3; v++) {
    const client = await VisitorClient.connect(`ws://127.0.0.1:${cluster.port}/ws/visitor/web`);
    open.push(client);
    const welcome = await client.hello();
    client.send({ type: 'start' });
    const assigned = await agent.next('conversation', (c) => c.status === 'assigned' && !visitors.some((x) => x.conversationId === c.conversationId), { ms: 30_000 });
    agent.send({ type: 'accept', conversationId: assigned.conversationId });
    await client.next('status', (s) => s.status === 'assigned', { ms: 20_000 });
    visitors.push({ client, token: welcome.token, conversationId: assigned.conversationId });
  }

  // 3 conversations × (20 visitor messages, 5 answers), sent concurrently.
  const acked = new Map<string, { conversationId: string; seq: number }>();
  await Promise.all(
    visitors.map(async ({ client, conversationId }, v) => {
      for (let i = 1; i <= 20; i++) client.send({ type: 'message', clientMsgId: `v${v}-${i}`, text: `访客 ${v} 消息 ${i} <script>x</script>` });
      for (let i = 1; i <= 5; i++) agent.send({ type: 'message', conversationId, clientMsgId: `a${v}-${i}`, text: `回复 ${v}-${i}` });
      for (let i = 1; i <= 20; i++) acked.set(`v${v}-${i}`, { conversationId, seq: (await client.next('ack', (a) => a.clientMsgId === `v${v}-${i}`, { ms: 30_000 })).seq });
      for (let i = 1; i <= 5; i++) acked.set(`a${v}-${i}`, { conversationId, seq: (await agent.next('ack', (a) => a.clientMsgId === `a${v}-${i}`, { ms: 30_000 })).seq });
    }),
  );
  expect(acked.size).toBe(75);

  // Stored by the persister: each acknowledged message once, at its acknowledged seq, seqs without gaps.
  await waitFor('the persister to store every acknowledged message', async () => {
    const ids = new Set((await storedRows()).map((r) => r.client_msg_id));
    return [...acked.keys()].every((id) => ids.has(id)) ? true : undefined;
  }, 30_000);
  const rows = await storedRows();
  for (const [clientMsgId, { conversationId, seq }] of acked) {
    expect(rows.filter((r) => r.client_msg_id === clientMsgId).map((r) => [r.conversation_id, r.seq])).toEqual([[conversationId, seq]]);
  }
  for (const { conversationId } of visitors) {
    const seqs = rows.filter((r) => r.conversation_id === conversationId).map((r) => Number(r.seq));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  }

  // In Kafka: every acknowledged message, under a positive epoch, the one stored with it.
  const records = await topicRecords(cluster.name, acked.size);
  for (const [clientMsgId, { conversationId, seq }] of acked) {
    const found = records.filter((r) => r.type === 'message' && r.clientMsgId === clientMsgId);
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found.every((r) => r.conversationId === conversationId && r.type === 'message' && r.seq === seq && r.epoch > 0)).toBe(true);
    expect(rows.find((r) => r.client_msg_id === clientMsgId)!.epoch.toString()).toBe(found[found.length - 1]!.epoch.toString());
  }

  // The lifecycle events reached kefu.conversations.v1, and the persister folded them into the records history lists.
  const history = new ConversationRecords(db);
  for (const { conversationId } of visitors) {
    await waitFor('the conversation record', async () => ((await history.find('default', conversationId))?.firstReplyAt ? true : undefined), 30_000);
    expect(await history.find('default', conversationId)).toMatchObject({ status: 'open', skillGroupId: 'default', agentId: expect.stringMatching(/.+/), channelId: expect.stringMatching(/.+/) });
  }

  // History search on Elasticsearch: the indexer made them searchable, Chinese and markup as text.
  await waitFor('the indexer to make the messages searchable', async () => {
    const hits = expectStatus(await admin.get(`/api/v1/history/search?q=${encodeURIComponent('访客 0 消息')}&limit=200`), 200) as unknown[];
    return hits.length === 20 ? true : undefined;
  }, 30_000);
  const hits = expectStatus(await admin.get(`/api/v1/history/search?q=${encodeURIComponent('消息 7 <script>')}`), 200) as { conversationId: string; message: { text: string }; highlights: [number, number][] }[];
  expect(hits.map((h) => h.message.text).sort()).toEqual(['访客 0 消息 7 <script>x</script>', '访客 1 消息 7 <script>x</script>', '访客 2 消息 7 <script>x</script>']);
  expect(hits.every((h) => visitors.some((v) => v.conversationId === h.conversationId))).toBe(true);
  expect(hits[0]!.highlights.map(([a, b]) => hits[0]!.message.text.slice(a, b))).toEqual(['消息', '7', 'script', 'script']);
  expect(expectStatus(await admin.get(`/api/v1/history/search?q=${encodeURIComponent('消7')}`), 200)).toEqual([]); // adjacent, in order
  expect(expectStatus(await li.get(`/api/v1/history/search?q=${encodeURIComponent('回复 1-3')}`), 200)).toHaveLength(1); // an agent, in their department
  // Elasticsearch syntax and hostile strings are text to find: a normal answer, never an error.
  for (const q of ['"', '*:*', 'a AND (b OR', '/.*/', '\\', '{"query":{"match_all":{}}}', 'tenantId:*', '~1 ^2', '<img src=x onerror=alert(1)>', "'; drop table kefu_message; --"]) {
    const answer = await admin.get(`/api/v1/history/search?q=${encodeURIComponent(q)}`);
    expect({ q, status: answer.status }).toEqual({ q, status: 200 });
  }
  expect(expectStatus(await admin.get(`/api/v1/history/search?q=${encodeURIComponent('*:*')}`), 200)).toEqual([]);
  searchAs = admin;

  // A visitor resuming from 0 on a new connection is replayed every public message, in order, once.
  const first = visitors[0]!;
  const again = await VisitorClient.connect(`ws://127.0.0.1:${cluster.port}/ws/visitor/web`);
  open.push(again);
  const welcome = await again.hello({ token: first.token, lastSeq: 0 });
  expect(welcome.conversationId).toBe(first.conversationId);
  await waitFor('the replay', async () => (again.messages().length >= welcome.lastSeq ? true : undefined), 20_000);
  expect(again.messages().map((m) => m.seq)).toEqual(Array.from({ length: welcome.lastSeq }, (_, i) => i + 1));
  expect(again.messages().filter((m) => (m.clientMsgId ?? '').startsWith('v0-')).map((m) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `访客 0 消息 ${i + 1} <script>x</script>`));
}, 300_000);

test('with the broker down a message is refused, never acknowledged; sent again once it is back, it is stored once', async () => {
  const { client, conversationId } = visitors[1]!;
  execFileSync(INFRA_SCRIPT, ['down', 'kafka'], { stdio: 'ignore' });
  try {
    const from = client.frames.length;
    client.send({ type: 'message', clientMsgId: 'during-outage', text: '断网时发送' });
    const refused = await client.next('error', (e) => e.clientMsgId === 'during-outage', { from, ms: 60_000 });
    expect(refused).toMatchObject({ code: 'UNAVAILABLE', temporary: true });
    expect(client.frames.slice(from).some((f) => f.type === 'ack')).toBe(false);
  } finally {
    localInfraUp(['kafka']);
  }
  // The client keeps the message and sends it again with the same id until it is acknowledged.
  let ack: { seq: number } | undefined;
  await waitFor('the resent message to be acknowledged', async () => {
    const from = client.frames.length;
    client.send({ type: 'message', clientMsgId: 'during-outage', text: '断网时发送' });
    const answer = await client.nextWhere((f): f is Extract<typeof f, { type: 'ack' | 'error' }> => (f.type === 'ack' || f.type === 'error') && f.clientMsgId === 'during-outage', { from, ms: 30_000 });
    if (answer.type === 'ack') ack = answer;
    return ack ? true : undefined;
  }, 120_000);
  await waitFor('the persister to store it', async () => ((await storedRows()).some((r) => r.client_msg_id === 'during-outage') ? true : undefined), 60_000);
  const stored = (await storedRows()).filter((r) => r.client_msg_id === 'during-outage');
  expect(stored.map((r) => [r.conversation_id, Number(r.seq), r.text])).toEqual([[conversationId, ack!.seq, '断网时发送']]);
}, 300_000);

test('the broker stopped and started again under load: every acknowledged message is stored, the others are acknowledged once resent', async () => {
  const infra = promisify(execFile);
  const acked = new Map<string, { conversationId: string; seq: number }>();
  let refused = 0;
  let sending = true;
  // Three visitors keep writing, 10 messages/s together, through the outage (the infra script runs
  // asynchronously, so the writing goes on while Kafka stops and starts).
  const writers = visitors.map(async ({ client, conversationId }, v) => {
    const pending = new Set<string>();
    client.ws.on('message', () => {
      const f = client.frames[client.frames.length - 1]!;
      if (f.type === 'ack' && f.clientMsgId?.startsWith(`load-${v}-`)) {
        acked.set(f.clientMsgId, { conversationId, seq: f.seq });
        pending.delete(f.clientMsgId);
      }
      if (f.type === 'error' && f.clientMsgId?.startsWith(`load-${v}-`) && f.code === 'UNAVAILABLE' && f.temporary) refused++;
    });
    for (let n = 0; sending; n++) {
      const clientMsgId = `load-${v}-${n}`;
      pending.add(clientMsgId);
      client.send({ type: 'message', clientMsgId, text: `负载消息 ${v}-${n}` });
      await new Promise((r) => setTimeout(r, 300));
    }
    // What was not acknowledged is sent again with the same id, as a client does, until it is.
    await waitFor(`visitor ${v}'s unacknowledged messages to be acknowledged after resending`, async () => {
      for (const id of pending) client.send({ type: 'message', clientMsgId: id, text: `负载消息 ${id.slice(5)}` });
      await new Promise((r) => setTimeout(r, 1_000));
      return pending.size === 0 ? true : undefined;
    }, 120_000);
  });
  await new Promise((r) => setTimeout(r, 2_000));
  await infra(INFRA_SCRIPT, ['down', 'kafka']);
  await new Promise((r) => setTimeout(r, 3_000));
  await infra(INFRA_SCRIPT, ['up', 'kafka']);
  await new Promise((r) => setTimeout(r, 3_000));
  sending = false;
  await Promise.all(writers);
  expect(refused).toBeGreaterThan(0); // the outage was felt: messages were refused meanwhile

  // Everything acknowledged was written: the persister, which reads only Kafka, stores each once at its seq.
  await waitFor('the persister to store every acknowledged message', async () => {
    const ids = new Set((await storedRows()).map((r) => r.client_msg_id));
    return [...acked.keys()].every((id) => ids.has(id)) ? true : undefined;
  }, 60_000);
  const rows = await storedRows();
  for (const [clientMsgId, { conversationId, seq }] of acked) {
    expect(rows.filter((r) => r.client_msg_id === clientMsgId).map((r) => [r.conversation_id, Number(r.seq)])).toEqual([[conversationId, seq]]);
  }
  for (const { conversationId } of visitors) {
    const seqs = rows.filter((r) => r.conversation_id === conversationId).map((r) => Number(r.seq));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  }
}, 300_000);

test('with Elasticsearch down, search answers a temporary error and the indexer catches up afterwards', async () => {
  const { client } = visitors[2]!;
  execFileSync(INFRA_SCRIPT, ['down', 'elasticsearch'], { stdio: 'ignore' });
  try {
    const refused = await searchAs!.get(`/api/v1/history/search?q=${encodeURIComponent('访客')}`);
    expect(refused).toMatchObject({ status: 503, body: { code: 'UNAVAILABLE', temporary: true } });
    // Chatting goes on; the indexer's lag grows meanwhile.
    client.send({ type: 'message', clientMsgId: 'while-es-down', text: '搜索引擎停机时的消息 outage' });
    await client.next('ack', (a) => a.clientMsgId === 'while-es-down', { ms: 30_000 });
  } finally {
    localInfraUp(['elasticsearch']);
  }
  await waitFor('the message to become searchable', async () => {
    const answer = await searchAs!.get(`/api/v1/history/search?q=${encodeURIComponent('停机时 outage')}`);
    return answer.status === 200 && (answer.body as unknown[]).length === 1 ? true : undefined;
  }, 120_000);
}, 300_000);


test('kefu reindex rebuilds the Elasticsearch index from MySQL', async () => {
  const stored = (await storedRows()).length;
  const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [KEFU_BIN, 'reindex'], {
      env: { ...process.env, ...localInfraEnv(), KEFU_MODE: 'cluster', KEFU_MYSQL_URL: cluster!.mysqlUrl, KEFU_ELASTICSEARCH_INDEX_PREFIX: `${cluster!.name}-`, KEFU_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('close', (code) => resolve({ code, output }));
  });
  expect(run.output).toContain(`Reindexed ${stored.toLocaleString('en-US')} messages`);
  expect(run.code).toBe(0);
  const hits = expectStatus(await searchAs!.get(`/api/v1/history/search?q=${encodeURIComponent('访客 0 消息')}&limit=200`), 200) as unknown[];
  expect(hits).toHaveLength(20);
}, 120_000);
