/**
 * The log workers' consumer (workers/log-consumer.ts) on the real Kafka started by cluster/infra:
 * a failure kafkajs gives up on (its consumer stops for good) must not stop the worker.
 */
import { Kafka, KafkaJSNonRetriableError, logLevel } from 'kafkajs';
import type { Logger } from 'moleculer';
import { localInfraEnv } from '../../cluster/local-infra.ts';
import { LogConsumer } from '../../workers/log-consumer.ts';
import { uniqueName, waitFor } from '../support.ts';

const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {} } as unknown as Logger;

test('a slice failing with an error kafkajs does not retry (its consumer crashes without restarting) is taken again by a new consumer', async () => {
  const kafka = new Kafka({ clientId: uniqueName('kefu-test'), brokers: localInfraEnv().KEFU_KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  const topic = uniqueName('kefu-test.log-consumer');
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true });
  await Promise.all([admin.connect(), producer.connect()]);
  const taken: string[] = [];
  let calls = 0;
  const consumer = new LogConsumer({
    kafka,
    groupId: `${topic}.worker`,
    topics: [topic],
    kind: 'persister',
    sliceSize: 10,
    restartAfterMs: 100,
    logger: quiet,
    handle: async (_topic, values) => {
      if (calls++ === 0) throw new KafkaJSNonRetriableError('the database refused this slice (a non-retriable failure)');
      taken.push(...values.map((v) => v!.toString()));
      return values.length;
    },
  });
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.send({ topic, acks: -1, messages: ['消息 1', '消息 2', '消息 3'].map((value) => ({ value })) });
    await consumer.start();
    await waitFor('every record taken after the crash', async () => (taken.length >= 3 ? true : undefined), 60_000);
    // At least once, in order: a slice whose offset commit lost a rebalance is handed over again.
    expect(taken.slice(0, 3)).toEqual(['消息 1', '消息 2', '消息 3']);
    expect(new Set(taken)).toEqual(new Set(['消息 1', '消息 2', '消息 3']));
    expect(calls).toBeGreaterThanOrEqual(2);
  } finally {
    await consumer.stop();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }
}, 90_000);
