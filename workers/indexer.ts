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
 * document. When Elasticsearch is down the batch fails and kafkajs retries it with backoff: lag grows,
 * nothing is skipped, and it catches up when Elasticsearch is back.
 */
import type { Client } from '@elastic/elasticsearch';
import type { EntityManager } from '@mikro-orm/core';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'moleculer';
import type { Database } from '../cluster/database.ts';
import { CONSUMER_LIVENESS, MESSAGES_TOPIC, parseRecord, type MessageLogRecord } from '../cluster/message-log.kafka.ts';
import type { LogMetrics } from '../cluster/metrics.ts';
import { docId, ensureMessageIndex, type MessageDoc } from '../actors/history/elasticsearch.ts';
import { foldedText } from '../actors/history/search-text.ts';
import { planPersist, type ConversationLogPosition } from './persist-plan.ts';

const MAX_BULK = 1_000;
const RECORD_WAIT_MS = 30_000;

type Placement = { skillGroupId: string; departmentPath: string; agentId: string };

export class Indexer {
  readonly #consumer: Consumer;
  readonly #es: Client;
  readonly #em: EntityManager;
  readonly #topic: string;
  readonly #indexPrefix: string;
  readonly #metrics: LogMetrics | null;
  readonly #logger: Logger;
  readonly #lag = new Map<number, number>();
  /** The highest epoch this worker saw per conversation (bounded: cleared when large). */
  readonly #epochs = new Map<string, number>();
  /** Conversations whose record the persister has not stored yet, since when (the batch is retried meanwhile). */
  readonly #unplaced = new Map<string, number>();
  #index = '';

  constructor(options: { kafka: Kafka; es: Client; database: Database; topicPrefix: string; indexPrefix: string; metrics?: LogMetrics; logger: Logger }) {
    this.#topic = `${options.topicPrefix}${MESSAGES_TOPIC}`;
    this.#consumer = options.kafka.consumer({ groupId: `${options.topicPrefix}kefu-indexer`, maxWaitTimeInMs: 100, allowAutoTopicCreation: false, ...CONSUMER_LIVENESS });
    this.#es = options.es;
    this.#em = options.database.orm.em.fork();
    this.#indexPrefix = options.indexPrefix;
    this.#metrics = options.metrics ?? null;
    this.#logger = options.logger;
  }

  async start(): Promise<void> {
    this.#index = await ensureMessageIndex(this.#es, this.#indexPrefix);
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topic: this.#topic, fromBeginning: true });
    await this.#consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.#batch(payload) });
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }

  async #batch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    for (let from = 0; from < batch.messages.length && isRunning() && !isStale(); from += MAX_BULK) {
      const slice = batch.messages.slice(from, from + MAX_BULK);
      const records = slice.map((m) => parseRecord(m.value)).filter((r): r is MessageLogRecord => r !== null);
      const stopTimer = this.#metrics?.consumerBatchSeconds.startTimer({ kind: 'indexer' });
      try {
        await this.#indexRecords(records);
      } catch (error) {
        this.#metrics?.consumerFailures.inc({ kind: 'indexer' });
        this.#logger.warn(`indexing ${records.length} message(s) failed (retried):`, error instanceof Error ? error.message : error);
        throw error;
      }
      stopTimer?.();
      const last = slice[slice.length - 1]!.offset;
      await this.#consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      this.#metrics?.consumed.inc({ kind: 'indexer' }, records.length);
      await heartbeat();
    }
    this.#lag.set(batch.partition, Number(batch.offsetLag()));
    this.#metrics?.consumerLag.set({ kind: 'indexer' }, [...this.#lag.values()].reduce((a, b) => a + b, 0));
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
    if (plan.messages.length === 0) return;
    const operations = plan.messages.flatMap((m) => {
      const place = placements.get(m.conversationId) ?? { skillGroupId: '', departmentPath: '', agentId: '' };
      const doc: MessageDoc = { ...m, search: foldedText(m.text), senderId: m.from.kind === 'agent' ? m.from.agentId : m.from.kind === 'supervisor' ? m.from.supervisorId : '', ...place };
      return [{ index: { _index: this.#index, _id: docId(m.conversationId, m.seq), version: m.epoch, version_type: 'external_gte' as const } }, doc];
    });
    const result = await this.#es.bulk({ operations, refresh: false, require_alias: true });
    if (result.errors) {
      // A version conflict is a newer owner's document already there: it stays, as it should.
      const failed = result.items.filter((i) => i.index?.error && i.index.status !== 409);
      if (failed.length > 0) throw new Error(`Elasticsearch refused ${failed.length} document(s): ${failed[0]!.index!.error!.reason ?? failed[0]!.index!.error!.type}`);
    }
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
