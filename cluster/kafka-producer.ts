/**
 * A micro-batching Kafka producer: kafkajs has no `linger.ms`, so sends are collected here — for
 * `lingerMs`, or until `maxBatch` messages are waiting — and written with one `sendBatch`
 * (idempotent producer, `acks=all`). At most `maxInFlight` batches are in flight; while they are,
 * new sends keep collecting, so batches grow with the load instead of the number of requests.
 *
 * A send resolves when the broker confirmed its batch and rejects with LogUnavailableError when it
 * did not within `timeoutMs` (broker down, partition without leader), or at once when more than
 * `maxQueued` messages are already waiting (the broker cannot keep up: refuse rather than pile up).
 * A rejected send may still have been written (a retry the client gave up on): consumers are
 * idempotent, and the caller acknowledged nothing.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { LogUnavailableError } from './message-log.ts';
import type { LogMetrics } from './metrics.ts';

export type ProducerOptions = {
  /** How long a send waits for others to share its batch (0: until the current event-loop turn ends). */
  lingerMs?: number;
  maxBatch?: number;
  maxInFlight?: number;
  timeoutMs?: number;
  maxQueued?: number;
};

type Waiting = { topic: string; messages: Message[]; resolve: () => void; reject: (e: unknown) => void };

export class BatchingProducer {
  readonly #producer: Producer;
  readonly #lingerMs: number;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #timeoutMs: number;
  readonly #maxQueued: number;
  readonly #metrics: LogMetrics | null;
  #waiting: Waiting[] = [];
  #queued = 0;
  #inFlight = 0;
  #timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  #stopped = false;

  constructor(kafka: Kafka, options: ProducerOptions & { metrics?: LogMetrics } = {}) {
    this.#lingerMs = options.lingerMs ?? 2;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#maxInFlight = options.maxInFlight ?? 2;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#maxQueued = options.maxQueued ?? 20_000;
    this.#metrics = options.metrics ?? null;
    // Retries are bounded so that a send fails within its timeout instead of retrying for ever
    // (kafkajs's default for the idempotent producer); the idempotent sequence numbers still keep
    // retries inside one request from duplicating or reordering records.
    this.#producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
  }

  start(): Promise<void> {
    return this.#producer.connect();
  }

  /** Refuses new sends, fails the waiting ones, and disconnects once the batches in flight settled. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queued = 0;
    this.#fail(this.#waiting.splice(0), new Error('the producer stopped'));
    while (this.#inFlight > 0) await new Promise((r) => setTimeout(r, 10));
    await this.#producer.disconnect();
  }

  send(topic: string, messages: Message[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    if (this.#stopped) return Promise.reject(new LogUnavailableError(new Error('the producer stopped')));
    if (this.#queued + messages.length > this.#maxQueued) return Promise.reject(new LogUnavailableError(new Error(`${this.#queued} messages are already waiting for the broker`)));
    return new Promise((resolve, reject) => {
      this.#waiting.push({ topic, messages, resolve, reject });
      this.#queued += messages.length;
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#inFlight >= this.#maxInFlight || this.#waiting.length === 0) return;
    if (this.#queued >= this.#maxBatch) return this.#flush();
    if (this.#timer) return;
    const flush = () => {
      this.#timer = null;
      this.#flush();
    };
    this.#timer = this.#lingerMs > 0 ? setTimeout(flush, this.#lingerMs) : setImmediate(flush);
  }

  #flush(): void {
    if (this.#timer) {
      if (this.#lingerMs > 0) clearTimeout(this.#timer as NodeJS.Timeout);
      else clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = null;
    }
    const batch: Waiting[] = [];
    let count = 0;
    while (this.#waiting.length > 0 && (count === 0 || count + this.#waiting[0]!.messages.length <= this.#maxBatch)) {
      const next = this.#waiting.shift()!;
      batch.push(next);
      count += next.messages.length;
    }
    if (batch.length === 0) return;
    this.#queued -= count;
    this.#inFlight++;
    void this.#write(batch, count).finally(() => {
      this.#inFlight--;
      this.#schedule();
    });
  }

  async #write(batch: readonly Waiting[], count: number): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const w of batch) {
      const list = byTopic.get(w.topic);
      if (list) list.push(...w.messages);
      else byTopic.set(w.topic, [...w.messages]);
    }
    this.#metrics?.batchEntries.observe(count);
    const stopTimer = this.#metrics?.produceSeconds.startTimer();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#producer.sendBatch({ acks: -1, timeout: this.#timeoutMs, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no confirmation within ${this.#timeoutMs} ms`)), this.#timeoutMs);
        }),
      ]);
      stopTimer?.();
      for (const w of batch) w.resolve();
    } catch (error) {
      this.#metrics?.produceFailures.inc();
      this.#fail(batch, error);
    } finally {
      clearTimeout(timer);
    }
  }

  #fail(batch: readonly Waiting[], cause: unknown): void {
    for (const w of batch) w.reject(cause instanceof LogUnavailableError ? cause : new LogUnavailableError(cause));
  }
}
