/**
 * What the log's workers (persister, indexer) share: one consumer group over some topics, read
 * from the beginning; each batch handed to the worker in slices of at most `sliceSize` records; a
 * slice's offset committed only after the worker finished it (so a worker killed anywhere re-reads
 * what it may already have written, and writes it again idempotently); a slice that fails is
 * retried by kafkajs from the last committed offset, with backoff — nothing is skipped. It also
 * keeps the worker kind's metrics: batch time, records taken, failures, lag.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'moleculer';
import { CONSUMER_LIVENESS } from '../cluster/message-log.kafka.ts';
import type { LogMetrics } from '../cluster/metrics.ts';

/** Takes one slice of a topic's record values; resolves with how many were valid records of that topic (the others are skipped). */
export type SliceHandler = (topic: string, values: readonly (Buffer | null)[]) => Promise<number>;

export class LogConsumer {
  readonly #consumer: Consumer;
  readonly #topics: readonly string[];
  readonly #kind: 'persister' | 'indexer';
  readonly #sliceSize: number;
  readonly #handle: SliceHandler;
  readonly #metrics: LogMetrics | null;
  readonly #logger: Logger;
  readonly #lag = new Map<string, number>();

  constructor(options: { kafka: Kafka; groupId: string; topics: readonly string[]; kind: 'persister' | 'indexer'; sliceSize: number; handle: SliceHandler; metrics?: LogMetrics; logger: Logger }) {
    this.#consumer = options.kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false, ...CONSUMER_LIVENESS });
    this.#topics = options.topics;
    this.#kind = options.kind;
    this.#sliceSize = options.sliceSize;
    this.#handle = options.handle;
    this.#metrics = options.metrics ?? null;
    this.#logger = options.logger;
  }

  async start(): Promise<void> {
    // This kind's series exist from the start: no failures is 0, not "no data".
    const kind = { kind: this.#kind };
    this.#metrics?.consumerFailures.inc(kind, 0);
    this.#metrics?.consumed.inc(kind, 0);
    this.#metrics?.consumerLag.set(kind, 0);
    this.#metrics?.consumerBatchSeconds.zero(kind);
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [...this.#topics], fromBeginning: true });
    await this.#consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.#batch(payload) });
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }

  async #batch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const kind = { kind: this.#kind };
    for (let from = 0; from < batch.messages.length && isRunning() && !isStale(); from += this.#sliceSize) {
      const slice = batch.messages.slice(from, from + this.#sliceSize);
      const stopTimer = this.#metrics?.consumerBatchSeconds.startTimer(kind);
      let taken: number;
      try {
        taken = await this.#handle(batch.topic, slice.map((m) => m.value));
      } catch (error) {
        this.#metrics?.consumerFailures.inc(kind);
        this.#logger.warn(`${this.#kind}: ${slice.length} record(s) of ${batch.topic} failed (retried):`, error instanceof Error ? error.message : error);
        throw error;
      }
      stopTimer?.();
      if (taken < slice.length) this.#logger.warn(`${batch.topic}: skipped ${slice.length - taken} record(s) that are not v1 records of this topic`);
      const last = slice[slice.length - 1]!.offset;
      await this.#consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      this.#metrics?.consumed.inc(kind, taken);
      await heartbeat();
    }
    this.#lag.set(`${batch.topic}\0${batch.partition}`, Number(batch.offsetLag()));
    this.#metrics?.consumerLag.set(kind, [...this.#lag.values()].reduce((a, b) => a + b, 0));
  }
}
