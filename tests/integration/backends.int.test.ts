/**
 * A real round trip through each backend of cluster mode, on the services cluster/infra started:
 * Redis, Kafka (idempotent producer, acks=all), Elasticsearch — through the same connections a
 * Kefu node opens (cluster/backends.ts).
 */
import { connectBackends, BackendUnreachableError, type Backends } from '../../cluster/backends.ts';
import { localInfraEnv } from '../../cluster/local-infra.ts';
import { freePorts, uniqueName, waitFor } from '../support.ts';

let backends: Backends;
const infra = localInfraEnv();
const settings = {
  mysqlUrl: infra.KEFU_MYSQL_URL,
  redisUrl: infra.KEFU_REDIS_URL,
  kafkaBrokers: infra.KEFU_KAFKA_BROKERS.split(','),
  kafkaTopicPrefix: '',
  kafkaPartitions: 1,
  elasticsearchUrl: infra.KEFU_ELASTICSEARCH_URL,
  elasticsearchIndexPrefix: '',
  transporter: infra.KEFU_TRANSPORTER,
};

beforeAll(async () => {
  backends = await connectBackends(settings, { clientId: uniqueName('kefu-test'), timeoutMs: 30_000 });
});
afterAll(async () => {
  await backends.close();
});

test('the readiness check passes against live backends', async () => {
  await expect(backends.check()).resolves.toBeUndefined();
});

test('Redis: a value with an expiry is written and read back', async () => {
  const key = uniqueName('kefu-test:roundtrip');
  expect(await backends.redis.set(key, '坐席 ready', 'PX', 60_000)).toBe('OK');
  expect(await backends.redis.get(key)).toBe('坐席 ready');
  const ttl = await backends.redis.pttl(key);
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(60_000);
  await backends.redis.del(key);
});

test('Kafka: an idempotent acks=all producer writes; a consumer group reads it back in order per key', async () => {
  const topic = uniqueName('kefu-test-roundtrip');
  const admin = backends.kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const producer = backends.kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
    await producer.connect();
    const sent: { key: string; value: string }[] = [];
    for (let i = 0; i < 60; i++) sent.push({ key: `conversation-${i % 5}`, value: `message ${i} 你好` });
    const acks = await producer.send({ topic, acks: -1, messages: sent });
    expect(acks.every((a) => a.errorCode === 0)).toBe(true);
    await producer.disconnect();

    const received: { key: string; value: string }[] = [];
    const consumer = backends.kafka.consumer({ groupId: uniqueName('kefu-test-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({ key: message.key!.toString(), value: message.value!.toString() });
      },
    });
    await waitFor(`60 messages on ${topic}`, async () => (received.length >= 60 ? true : undefined), 60_000);
    await consumer.disconnect();

    expect(received).toHaveLength(60);
    for (let k = 0; k < 5; k++) {
      const key = `conversation-${k}`;
      expect(received.filter((m) => m.key === key).map((m) => m.value)).toEqual(sent.filter((m) => m.key === key).map((m) => m.value));
    }
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test('Elasticsearch: documents indexed in bulk are found by English and Chinese words', async () => {
  const index = uniqueName('kefu-test-history');
  const es = backends.elasticsearch;
  await es.indices.create({
    index,
    mappings: { properties: { tenantId: { type: 'keyword' }, text: { type: 'text' } } },
  });
  try {
    const bulk = await es.bulk({
      refresh: 'wait_for',
      operations: [
        { index: { _index: index, _id: '1' } },
        { tenantId: 't1', text: 'Where is my refund?' },
        { index: { _index: index, _id: '2' } },
        { tenantId: 't1', text: '我的退款什么时候到账？' },
        { index: { _index: index, _id: '3' } },
        { tenantId: 't2', text: '退款 refund for another tenant' },
      ],
    });
    expect(bulk.errors).toBe(false);
    const search = async (words: string): Promise<string[]> => {
      const res = await es.search<{ text: string }>({
        index,
        query: { bool: { must: [{ match_phrase: { text: words } }], filter: [{ term: { tenantId: 't1' } }] } },
      });
      return res.hits.hits.map((h) => h._id!).sort();
    };
    expect(await search('refund')).toEqual(['1']);
    expect(await search('退款')).toEqual(['2']);
  } finally {
    await es.indices.delete({ index });
  }
});

test('an unreachable backend fails the start with an error naming its variable', async () => {
  const port = await freePorts(1);
  const error = await connectBackends({ ...settings, redisUrl: `redis://127.0.0.1:${port}` }, { clientId: 'x', timeoutMs: 500 }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BackendUnreachableError);
  expect((error as BackendUnreachableError).variable).toBe('KEFU_REDIS_URL');
  expect((error as Error).message).toMatch(new RegExp(`^KEFU_REDIS_URL: redis://127\\.0\\.0\\.1:${port} is not reachable`));
});
