/**
 * Conversation records in the node's database (`kefu_conversation_record`): lifecycle events folded
 * into their rows (record.ts) in batches — read the rows, fold, one multi-row upsert — and read
 * back one at a time. The persister calls `apply` inside its own transaction; embedded mode calls
 * it as events are published.
 */
import type { EntityManager } from '@mikro-orm/core';
import type { Database } from '../../cluster/database.ts';
import { foldEvent, type ConversationRecord, type LoggedConversationEvent } from './record.ts';

type Row = {
  conversation_id: string;
  tenant_id: string;
  channel_id: string;
  visitor_id: string;
  visitor_name: string;
  created_at: number | string;
  skill_group_id: string;
  skill_group_at: number | string;
  agent_id: string;
  agent_at: number | string;
  status: string;
  status_at: number | string;
  first_reply_at: number | string;
  closed_at: number | string;
  close_reason: string;
  closed_by: string;
  summary: string;
  offline_reason: string;
  message_left: string;
  score: number;
  comment: string;
  rated_at: number | string;
  /** JSON array of the tags. */
  tags: string;
  tags_at: number | string;
};

const COLUMNS = [
  'conversation_id',
  'tenant_id',
  'channel_id',
  'visitor_id',
  'visitor_name',
  'created_at',
  'skill_group_id',
  'skill_group_at',
  'agent_id',
  'agent_at',
  'status',
  'status_at',
  'first_reply_at',
  'closed_at',
  'close_reason',
  'closed_by',
  'summary',
  'offline_reason',
  'message_left',
  'score',
  'comment',
  'rated_at',
  'tags',
  'tags_at',
] as const;

const orNull = (s: string): string | null => (s === '' ? null : s);
const orZero = (n: number | string): number | null => (Number(n) === 0 ? null : Number(n));

export function recordOfRow(r: Row): ConversationRecord {
  return {
    conversationId: r.conversation_id,
    tenantId: r.tenant_id,
    channelId: r.channel_id,
    visitorId: r.visitor_id,
    visitorName: orNull(r.visitor_name),
    createdAt: Number(r.created_at),
    skillGroupId: orNull(r.skill_group_id),
    skillGroupAt: Number(r.skill_group_at),
    agentId: orNull(r.agent_id),
    agentAt: Number(r.agent_at),
    status: r.status === 'closed' ? 'closed' : 'open',
    statusAt: Number(r.status_at),
    firstReplyAt: orZero(r.first_reply_at),
    closedAt: orZero(r.closed_at),
    closeReason: orNull(r.close_reason),
    closedBy: orNull(r.closed_by),
    summary: orNull(r.summary),
    offlineReason: orNull(r.offline_reason),
    messageLeft: orNull(r.message_left),
    score: r.score === 0 ? null : r.score,
    comment: orNull(r.comment),
    ratedAt: Number(r.rated_at),
    tags: JSON.parse(r.tags || '[]') as string[],
    tagsAt: Number(r.tags_at),
  };
}

const valuesOf = (r: ConversationRecord): unknown[] => [
  r.conversationId,
  r.tenantId,
  r.channelId,
  r.visitorId,
  (r.visitorName ?? '').slice(0, 200),
  r.createdAt,
  r.skillGroupId ?? '',
  r.skillGroupAt,
  r.agentId ?? '',
  r.agentAt,
  r.status,
  r.statusAt,
  r.firstReplyAt ?? 0,
  r.closedAt ?? 0,
  r.closeReason ?? '',
  r.closedBy ?? '',
  r.summary ?? '',
  r.offlineReason ?? '',
  r.messageLeft ?? '',
  r.score ?? 0,
  r.comment ?? '',
  r.ratedAt,
  JSON.stringify(r.tags),
  r.tagsAt,
];

export class ConversationRecords {
  readonly #em: EntityManager;
  readonly #dialect: Database['dialect'];

  constructor(database: Database) {
    this.#em = database.orm.em.fork();
    this.#dialect = database.dialect;
  }

  /** Folds the events into their records; inside `trx` when given, else in a transaction of its own. */
  async apply(events: readonly LoggedConversationEvent[], trx?: unknown): Promise<void> {
    if (events.length === 0) return;
    const conn = this.#em.getConnection();
    const run = async (tx: unknown): Promise<void> => {
      const ids = [...new Set(events.map((e) => e.conversationId))];
      const lock = this.#dialect === 'mysql' ? ' for update' : '';
      const rows = await conn.execute<Row[]>(`select * from kefu_conversation_record where conversation_id in (${ids.map(() => '?').join(', ')})${lock}`, ids, 'all', tx as never);
      const records = new Map<string, ConversationRecord>(rows.map((r: Row) => [r.conversation_id, recordOfRow(r)]));
      for (const e of events) records.set(e.conversationId, foldEvent(records.get(e.conversationId) ?? null, e));
      const changed = [...records.values()];
      const placeholders = changed.map(() => `(${COLUMNS.map(() => '?').join(', ')})`).join(', ');
      const updated = COLUMNS.slice(1);
      const upsert =
        this.#dialect === 'sqlite'
          ? `on conflict (conversation_id) do update set ${updated.map((c) => `${c} = excluded.${c}`).join(', ')}`
          : `on duplicate key update ${updated.map((c) => `${c} = values(${c})`).join(', ')}`;
      await conn.execute(`insert into kefu_conversation_record (${COLUMNS.join(', ')}) values ${placeholders} ${upsert}`, changed.flatMap(valuesOf), 'run', tx as never);
    };
    if (trx) await run(trx);
    else await conn.transactional((tx) => run(tx));
  }

  async find(tenantId: string, conversationId: string): Promise<ConversationRecord | null> {
    const rows = await this.#em.getConnection().execute<Row[]>('select * from kefu_conversation_record where tenant_id = ? and conversation_id = ?', [tenantId, conversationId], 'all');
    return rows[0] ? recordOfRow(rows[0]) : null;
  }
}
