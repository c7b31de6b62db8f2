/**
 * The indexer: a stateless worker (role `workers`, cluster mode) that bulk-indexes the Kafka message
 * log into Elasticsearch for history search (actors/history/elasticsearch.ts), in its own consumer
 * group — it lags or stops without holding up the persister, and the other way round.
 *
 * Per batch: parse, apply the log's fencing rules (workers/persist-plan.ts: stale epochs ignored —
 * the highest epoch seen comes from the persister's `kefu_conversation_log` and from what this
 * worker saw —, claims become delete-by-query), look up each conversation's skill group, its
 * department path and agent in MySQL (the scope a search filters on), then one `_bulk` request with
 * external versions (the epoch). Offsets are committed only after Elasticsearch accepted every
 * document (workers/log-consumer.ts). When Elasticsearch is down the batch fails and kafkajs retries it with backoff: lag grows,
 * nothing is skipped, and it catches up when Elasticsearch is back.
 */
import type { Client } from '@elastic/elasticsearch';
import type { EntityManager } from '@mikro-orm/core';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'moleculer';
import type { Database } from '../cluster/database.ts';
import { MESSAGES_TOPIC, parseRecord, type MessageLogRecord } from '../cluster/message-log.kafka.ts';
import type { LogMetrics } from '../cluster/metrics.ts';
import { bulkIndex, ensureMessageIndex, messageDoc, UNPLACED, type Placement } from '../actors/history/elasticsearch.ts';
import { LogConsumer } from './log-consumer.ts';
import { planPersist, type ConversationLogPosition } from './persist-plan.ts';

const MAX_BULK = 1_000;
const RECORD_WAIT_MS = 30_000;

export class Indexer {
  readonly #consumer: LogConsumer;
  readonly #es: Client;
  readonly #em: EntityManager;
  readonly #indexPrefix: string;
  readonly #logger: Logger;
  /** The highest epoch this worker saw per conversation (bounded: cleared when large). */
  readonly #epochs = new Map<string, number>();
  /** Conversations whose record the persister has not stored yet, since when (the batch is retried meanwhile). */
  readonly #unplaced = new Map<string, number>();
  #index = '';

  constructor(options: { kafka: Kafka; es: Client; database: Database; topicPrefix: string; indexPrefix: string; metrics?: LogMetrics; logger: Logger }) {
    this.#es = options.es;
    this.#em = options.database.orm.em.fork();
    this.#indexPrefix = options.indexPrefix;
    this.#logger = options.logger;
    this.#consumer = new LogConsumer({
      kafka: options.kafka,
      groupId: `${options.topicPrefix}kefu-indexer`,
      topics: [`${options.topicPrefix}${MESSAGES_TOPIC}`],
      kind: 'indexer',
      sliceSize: MAX_BULK,
      handle: async (_topic, values) => {
        const records = values.map(parseRecord).filter((r): r is MessageLogRecord => r !== null);
        await this.#indexRecords(records);
        return records.length;
      },
      ...(options.metrics ? { metrics: options.metrics } : {}),
      logger: options.logger,
    });
  }

  async start(): Promise<void> {
    this.#index = await ensureMessageIndex(this.#es, this.#indexPrefix);
    await this.#consumer.start();
  }

  stop(): Promise<void> {
    return this.#consumer.stop();
  }

  async #indexRecords(records: readonly MessageLogRecord[]): Promise<void> {
    if (records.length === 0) return;
    const ids = [...new Set(records.map((r) => r.conversationId))];
    const [known, placements] = await Promise.all([this.#knownEpochs(ids), this.#placements(ids)]);
    // A message's scope is its conversation's department: wait (by retrying the batch) for the
    // record, normally a few milliseconds behind; after 30 s index it without (found by super admins).
    const now = Date.now();
    const unplaced = ids.filter((id) => !placements.has(id));
    for (const id of ids) if (placements.has(id)) this.#unplaced.delete(id);
    for (const id of unplaced) if (!this.#unplaced.has(id)) this.#unplaced.set(id, now);
    if (unplaced.some((id) => now - this.#unplaced.get(id)! < RECORD_WAIT_MS)) throw new Error(`the records of ${unplaced.length} conversation(s) are not stored yet`);
    for (const id of unplaced) {
      this.#logger.warn(`conversation ${id} has no record after ${RECORD_WAIT_MS / 1000} s: its messages are indexed without a department`);
      this.#unplaced.delete(id);
    }
    const plan = planPersist(known, records);
    for (const t of plan.truncations) {
      await this.#es.deleteByQuery({
        index: this.#index,
        conflicts: 'proceed',
        refresh: true,
        query: { bool: { filter: [{ term: { conversationId: t.conversationId } }, { range: { seq: { gt: t.afterSeq } } }, { range: { epoch: { lt: t.belowEpoch } } }] } },
      });
    }
    if (this.#epochs.size > 100_000) this.#epochs.clear();
    for (const [id, p] of plan.positions) this.#epochs.set(id, p.epoch);
    await bulkIndex(
      this.#es,
      this.#index,
      plan.messages.map((m) => messageDoc(m, placements.get(m.conversationId) ?? UNPLACED)),
      { requireAlias: true },
    );
  }

  /** The highest epoch per conversation: what the persister recorded, or what this worker saw, whichever is higher. */
  async #knownEpochs(ids: readonly string[]): Promise<Map<string, ConversationLogPosition>> {
    const rows = await this.#em
      .getConnection()
      .execute<{ conversation_id: string; tenant_id: string; epoch: number | string }[]>(
        `select conversation_id, tenant_id, epoch from kefu_conversation_log where conversation_id in (${ids.map(() => '?').join(', ')})`,
        [...ids],
        'all',
      );
    const known = new Map<string, ConversationLogPosition>();
    for (const r of rows) known.set(r.conversation_id, { tenantId: r.tenant_id, epoch: Number(r.epoch), lastSeq: 0 });
    for (const id of ids) {
      const seen = this.#epochs.get(id);
      if (seen !== undefined && seen > (known.get(id)?.epoch ?? 0)) known.set(id, { tenantId: known.get(id)?.tenantId ?? '', epoch: seen, lastSeq: 0 });
    }
    return known;
  }

  /** Each conversation's skill group, its department path and agent, from the records the persister keeps. */
  async #placements(ids: readonly string[]): Promise<Map<string, Placement>> {
    const rows = await this.#em.getConnection().execute<{ conversation_id: string; skill_group_id: string; agent_id: string; path: string | null }[]>(
      `select r.conversation_id, r.skill_group_id, r.agent_id, d.path from kefu_conversation_record r
       left join kefu_department d on d.tenant_id = r.tenant_id and d.id = r.skill_group_id
       where r.conversation_id in (${ids.map(() => '?').join(', ')})`,
      [...ids],
      'all',
    );
    return new Map(rows.map((r: { conversation_id: string; skill_group_id: string; agent_id: string; path: string | null }) => [r.conversation_id, { skillGroupId: r.skill_group_id, departmentPath: r.path ?? '', agentId: r.agent_id }]));
  }
}
