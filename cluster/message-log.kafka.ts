/**
 * The message log of cluster mode on Kafka: topic `kefu.messages.v1`, keyed by conversation id (so
 * one conversation's records keep their order in one partition), JSON values with `v: 1`
 * (documented in docs/asyncapi.yaml).
 *
 * Appends go through the node's micro-batching idempotent producer with `acks=all` (kafka-producer.ts); an
 * append resolves only when the broker confirmed it, and rejects with LogUnavailableError when it
 * could not (broker down, timeout) — the owner then acknowledges nothing.
 *
 * Fencing: every record carries its owner's epoch. The owner appends only within its lease and
 * acknowledges only what the broker confirmed within it (actor-host.ts); a new owner first appends a
 * `claim` with the last `seq` it knows. Consumers (the persister, integrators) therefore apply two
 * rules, implemented once in `persist-plan.ts`:
 *   1. a record whose epoch is lower than the highest epoch already seen for its conversation is
 *      stale (a paused former owner's late write) and is ignored;
 *   2. a claim removes what lower epochs wrote after its `lastSeq` (written by a former owner whose
 *      lease ran out before it could acknowledge).
 */
import type { Admin } from 'kafkajs';
import { z } from 'zod';
import { AGENTS_TOPIC, CONVERSATIONS_TOPIC } from './event-log.kafka.ts';
import type { BatchingProducer } from './kafka-producer.ts';
import type { ExternalMessageLog, LogEntry, LogOwner } from './message-log.ts';

export const MESSAGES_TOPIC = 'kefu.messages.v1';

/**
 * Consumer group liveness for the log's workers: a worker node that dies loses its partitions after
 * 6 s (the broker's smallest session timeout by default), not kafkajs's 30 s — readers wait for the
 * persister, so its partitions must not stall for long.
 */
export const CONSUMER_LIVENESS = { sessionTimeout: 6_000, heartbeatInterval: 1_000 } as const;


/**
 * Creates the topics of the message and event logs that do not exist yet (any node may; the
 * first one wins), with the configured partitions and the broker's replication default.
 */
export async function ensureLogTopics(admin: Admin, options: { topicPrefix: string; partitions: number }): Promise<void> {
  const wanted = [MESSAGES_TOPIC, CONVERSATIONS_TOPIC, AGENTS_TOPIC].map((t) => `${options.topicPrefix}${t}`);
  const missing = (existing: string[]) => wanted.filter((t) => !existing.includes(t));
  const toCreate = missing(await admin.listTopics());
  if (toCreate.length === 0) return;
  try {
    await admin.createTopics({ waitForLeaders: true, topics: toCreate.map((topic) => ({ topic, numPartitions: options.partitions })) });
  } catch (error) {
    // Another node created them meanwhile.
    if (missing(await admin.listTopics()).length > 0) throw error;
  }
}

const count = z.number().int().min(0);
const ids = z.string().min(1).max(191);
const sender = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('visitor') }),
  z.strictObject({ kind: z.literal('bot') }),
  z.strictObject({ kind: z.literal('system') }),
  z.strictObject({ kind: z.literal('agent'), agentId: z.string().min(1).describe('the agent’s account id') }),
  z.strictObject({ kind: z.literal('supervisor'), supervisorId: z.string().min(1).describe('the supervisor’s account id') }),
]);
const owner = {
  v: z.literal(1),
  epoch: count.describe('The fencing epoch of the conversation’s owner that appended the record (see the fencing rules).'),
  tenantId: z.string().min(1).max(64),
  conversationId: ids.describe('Also the record key: one conversation’s records are in one partition, in order.'),
  at: count.describe('Epoch milliseconds.'),
};

/** The value of a `kefu.messages.v1` record (JSON), as docs/asyncapi.yaml documents it. */
export const messageLogRecord = z.discriminatedUnion('type', [
  z
    .strictObject({
      ...owner,
      type: z.literal('message'),
      seq: z.number().int().min(1).describe('Position in the conversation: 1, 2, 3 … without gaps.'),
      clientMsgId: z.string().max(64).describe('The sender’s idempotency key; empty for messages the system writes.'),
      from: sender,
      visibility: z.enum(['public', 'internal']).describe('`internal`: a supervisor’s whisper, never shown to the visitor.'),
      text: z.string(),
      file: z
        .strictObject({
          id: z.string(),
          name: z.string(),
          contentType: z.string(),
          size: count,
          preview: z.strictObject({ width: count, height: count }).optional().describe('The size of its image preview, when it has one.'),
        })
        .optional()
        .describe('A shared file (docs/files.md).'),
    })
    .describe('A message of a conversation.'),
  z
    .strictObject({ ...owner, type: z.literal('claim'), lastSeq: count.describe('The last message the new owner knows of.') })
    .describe('A new owner took the conversation over: records of lower epochs after `lastSeq` do not count.'),
]);
export type MessageLogRecord = z.infer<typeof messageLogRecord>;

export function recordOf(entry: LogEntry, owner: LogOwner): MessageLogRecord {
  return entry.type === 'message'
    ? { v: 1, type: 'message', epoch: owner.epoch, ...entry.message }
    : { v: 1, type: 'claim', epoch: owner.epoch, tenantId: entry.tenantId, conversationId: entry.conversationId, lastSeq: entry.lastSeq, at: entry.at };
}

/**
 * A record value read back from the topic, or null for one that is not a v1 record of this topic
 * (consumers skip and count those; they cannot have come from a Kefu owner).
 */
export function parseRecord(value: Buffer | string | null): MessageLogRecord | null {
  if (value === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch {
    return null;
  }
  const result = messageLogRecord.safeParse(parsed);
  return result.success ? result.data : null;
}

export class KafkaMessageLog implements ExternalMessageLog {
  readonly #producer: BatchingProducer;
  readonly #topic: string;

  constructor(producer: BatchingProducer, options: { topicPrefix: string }) {
    this.#producer = producer;
    this.#topic = `${options.topicPrefix}${MESSAGES_TOPIC}`;
  }

  append(entries: readonly LogEntry[], owner: LogOwner): Promise<void> {
    return this.#producer.send(
      this.#topic,
      entries.map((e) => {
        const record = recordOf(e, owner);
        return { key: record.conversationId, value: JSON.stringify(record) };
      }),
    );
  }
}
