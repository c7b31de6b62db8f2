/**
 * What the log's workers (persister, indexer) share: one consumer group over some topics, read
 * from the beginning; each batch handed to the worker in slices of at most `sliceSize` records; a
 * slice's offset committed only after the worker finished it (so a worker killed anywhere re-reads
 * what it may already have written, and writes it again idempotently); a slice that fails is
 * retried by kafkajs from the last committed offset, with backoff — nothing is skipped. It also
 * keeps the worker kind's metrics: batch time, records taken, failures, lag.
 *
 * kafkajs restarts its consumer after a failure it deems retriable, and after any other it stops
 * that consumer for good (a non-retriable protocol error such as a stale generation when offsets
 * are committed, or an error a slice threw). A worker must not fall silent: after such a crash a
 * new consumer of the same group takes over `restartAfterMs` later, from the last committed offset.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'moleculer';
import { CONSUMER_LIVENESS } from '../cluster/message-log.kafka.ts';
import type { LogMetrics } from '../cluster/metrics.ts';

/** Takes one slice of a topic's record values; resolves with how many were valid records of that topic (the others are skipped). */
export type SliceHandler = (topic: string, values: readonly (Buffer | null)[]) => Promise<number>;

/** After a crash kafkajs does not restart from, a new consumer starts this much later (ms). */
const RESTART_AFTER_MS = 5_000;

export class LogConsumer {
  readonly #kafka: Kafka;
  readonly #groupId: string;
  #consumer: Consumer;
  readonly #topics: readonly string[];
  readonly #kind: 'persister' | 'indexer';
  readonly #sliceSize: number;
  readonly #handle: SliceHandler;
  readonly #metrics: LogMetrics | null;
  readonly #logger: Logger;
  readonly #lag = new Map<string, number>();
  readonly #restartAfterMs: number;
  #restart: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(options: {
    kafka: Kafka;
    groupId: string;
    topics: readonly string[];
    kind: 'persister' | 'indexer';
    sliceSize: number;
    handle: SliceHandler;
    metrics?: LogMetrics;
    logger: Logger;
    restartAfterMs?: number;
  }) {
    this.#kafka = options.kafka;
    this.#groupId = options.groupId;
    this.#restartAfterMs = options.restartAfterMs ?? RESTART_AFTER_MS;
    this.#topics = options.topics;
    this.#kind = options.kind;
    this.#sliceSize = options.sliceSize;
    this.#handle = options.handle;
    this.#metrics = options.metrics ?? null;
    this.#logger = options.logger;
    this.#consumer = this.#newConsumer();
  }

  async start(): Promise<void> {
    // This kind's series exist from the start: no failures is 0, not "no data".
    const kind = { kind: this.#kind };
    this.#metrics?.consumerFailures.inc(kind, 0);
    this.#metrics?.consumed.inc(kind, 0);
    this.#metrics?.consumerLag.set(kind, 0);
    this.#metrics?.consumerBatchSeconds.zero(kind);
    await this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#restart) clearTimeout(this.#restart);
    await this.#consumer.disconnect();
  }

  #newConsumer(): Consumer {
    const consumer = this.#kafka.consumer({ groupId: this.#groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false, ...CONSUMER_LIVENESS });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // One replacement at a time, for the consumer in use only.
      if (payload.restart || this.#stopped || consumer !== this.#consumer || this.#restart) return;
      this.#logger.error(`${this.#kind}: the Kafka consumer stopped (${payload.error.name}: ${payload.error.message}); a new one starts in ${this.#restartAfterMs} ms`);
      this.#restartLater();
    });
    return consumer;
  }

  async #run(): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [...this.#topics], fromBeginning: true });
    await this.#consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.#batch(payload) });
  }

  /** A new consumer of the group, from its committed offsets; tried again later if it cannot start. */
  #restartLater(): void {
    this.#restart = setTimeout(() => {
      this.#restart = null;
      if (this.#stopped) return;
      this.#consumer = this.#newConsumer();
      this.#run().catch((error: unknown) => {
        this.#logger.error(`${this.#kind}: the new Kafka consumer could not start:`, error instanceof Error ? error.message : error);
        void this.#consumer.disconnect().catch(() => undefined);
        this.#restartLater();
      });
    }, this.#restartAfterMs);
    this.#restart.unref();
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
