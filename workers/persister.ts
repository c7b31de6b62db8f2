/**
 * The persister: a stateless worker (role `workers`, cluster mode) that stores the Kafka logs in
 * MySQL/MariaDB — from `kefu.messages.v1` the tables transcripts and resumes are read from
 * (`kefu_message`, and `kefu_conversation_log`: how far each conversation is stored), from
 * `kefu.conversations.v1` the conversation records history lists and filters by
 * (`kefu_conversation_record`).
 *
 * One consumer group over both topics; every node with the role joins it, and Kafka spreads the
 * partitions over them (a conversation lives in one partition of each topic, so one persister at a
 * time writes it). A batch of records is written in one transaction — for messages the fencing
 * rules of workers/persist-plan.ts, then multi-row statements (never MikroORM's identity map: this
 * is bulk work) — and its offset is committed only after that transaction committed (workers/log-consumer.ts). A persister
 * killed at any point therefore re-reads records it may already have written; writing them again
 * changes nothing (messages are keyed by conversation id + seq and planned the same way; events
 * fold idempotently).
 */
import type { EntityManager } from '@mikro-orm/core';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'moleculer';
import type { Database } from '../cluster/database.ts';
import { CONVERSATIONS_TOPIC, parseConversationEvent } from '../cluster/event-log.kafka.ts';
import { MESSAGES_TOPIC, parseRecord, type MessageLogRecord } from '../cluster/message-log.kafka.ts';
import { ConversationRecords } from '../actors/conversation/conversation-record.repository.ts';
import type { LoggedConversationEvent } from '../actors/conversation/record.ts';
import { appendStatement } from '../cluster/message-log.sql.ts';
import type { LogMetrics } from '../cluster/metrics.ts';
import { LogConsumer } from './log-consumer.ts';
import { planPersist, type ConversationLogPosition } from './persist-plan.ts';

/** Records per transaction: MySQL's packet limit and lock time stay small, batches stay large. */
const MAX_TRANSACTION_RECORDS = 1_000;

export class Persister {
  readonly #consumer: LogConsumer;
  readonly #em: EntityManager;
  readonly #records: ConversationRecords;

  constructor(options: { kafka: Kafka; database: Database; topicPrefix: string; metrics?: LogMetrics; logger: Logger }) {
    if (options.database.dialect !== 'mysql') throw new Error('the persister stores the Kafka log in MySQL/MariaDB (cluster mode)');
    const messages = `${options.topicPrefix}${MESSAGES_TOPIC}`;
    this.#records = new ConversationRecords(options.database);
    this.#em = options.database.orm.em.fork();
    this.#consumer = new LogConsumer({
      kafka: options.kafka,
      groupId: `${options.topicPrefix}kefu-persister`,
      topics: [messages, `${options.topicPrefix}${CONVERSATIONS_TOPIC}`],
      kind: 'persister',
      sliceSize: MAX_TRANSACTION_RECORDS,
      handle: (topic, values) => (topic === messages ? this.#storeMessages(values.map(parseRecord)) : this.#storeEvents(values.map(parseConversationEvent))),
      ...(options.metrics ? { metrics: options.metrics } : {}),
      logger: options.logger,
    });
  }

  start(): Promise<void> {
    return this.#consumer.start();
  }

  stop(): Promise<void> {
    return this.#consumer.stop();
  }

  /** Conversation events folded into their records, in one transaction; the count of valid ones. */
  async #storeEvents(parsed: readonly (LoggedConversationEvent | null)[]): Promise<number> {
    const events = parsed.filter((e): e is LoggedConversationEvent => e !== null);
    await this.#records.apply(events);
    return events.length;
  }

  /** One transaction: read the positions (locked), plan, truncate, write the messages and positions; the count of valid records. */
  async #storeMessages(parsed: readonly (MessageLogRecord | null)[]): Promise<number> {
    const records = parsed.filter((r): r is MessageLogRecord => r !== null);
    if (records.length === 0) return 0;
    const conn = this.#em.getConnection();
    const ids = [...new Set(records.map((r) => r.conversationId))];
    await conn.transactional(async (trx) => {
      const rows = await conn.execute<{ conversation_id: string; tenant_id: string; epoch: number | string; last_seq: number }[]>(
        `select conversation_id, tenant_id, epoch, last_seq from kefu_conversation_log where conversation_id in (${ids.map(() => '?').join(', ')}) for update`,
        ids,
        'all',
        trx,
      );
      const known = new Map<string, ConversationLogPosition>(rows.map((r: (typeof rows)[number]) => [r.conversation_id, { tenantId: r.tenant_id, epoch: Number(r.epoch), lastSeq: Number(r.last_seq) }]));
      const plan = planPersist(known, records);
      for (const t of plan.truncations) {
        await conn.execute('delete from kefu_message where conversation_id = ? and seq > ? and epoch < ?', [t.conversationId, t.afterSeq, t.belowEpoch], 'run', trx);
      }
      for (let from = 0; from < plan.messages.length; from += 500) {
        const { sql, params } = appendStatement('mysql', plan.messages.slice(from, from + 500));
        await conn.execute(sql, params, 'run', trx);
      }
      const positions = [...plan.positions];
      if (positions.length === 0) return; // only stale records
      const now = new Date();
      await conn.execute(
        `insert into kefu_conversation_log (conversation_id, tenant_id, epoch, last_seq, updated_at) values ${positions.map(() => '(?, ?, ?, ?, ?)').join(', ')}
         on duplicate key update epoch = values(epoch), last_seq = values(last_seq), updated_at = values(updated_at)`,
        positions.flatMap(([id, p]) => [id, p.tenantId, p.epoch, p.lastSeq, now]),
        'run',
        trx,
      );
    });
    return records.length;
  }
}
