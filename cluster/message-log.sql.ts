/**
 * The message log in the node's database (table `kefu_message`, entity in
 * actors/conversation/message.entity.ts).
 *
 * Embedded mode: written in ActorStore's snapshot transaction (`appendStatement`, and the FTS5
 * search index with `searchIndexStatement`), so a message exists — and is searchable — exactly when
 * the conversation snapshot that assigned its `seq` was committed under a current epoch; a fenced
 * write rolls back with its snapshot.
 *
 * Cluster mode: written by the persister from the Kafka log (workers/persister.ts), a moment after
 * the owner acknowledged. Readers are told the last committed `seq` (`through`) and wait — briefly
 * — until `kefu_conversation_log` says the persister stored that far (`awaitPersister`).
 */
import type { EntityManager } from '@mikro-orm/core';
import type { SharedFile } from '../actors/conversation/protocol.ts';
import type { Actor } from '../actors/conversation/state.ts';
import { indexedText } from '../actors/history/search-text.ts';
import type { Database } from './database.ts';
import { LogBehindError, type LoggedMessage, type MessageLog, type ReadOptions } from './message-log.ts';

/** A `kefu_message` row as SQL returns it (the columns a message is read back from). */
export type MessageRow = {
  tenant_id: string;
  conversation_id: string;
  seq: number;
  client_msg_id: string;
  sender_kind: string;
  sender_id: string;
  visibility: string;
  text: string;
  attachment: string;
  at: number | string;
};

const COLUMNS = ['conversation_id', 'seq', 'tenant_id', 'client_msg_id', 'sender_kind', 'sender_id', 'visibility', 'text', 'attachment', 'at', 'epoch'] as const;

/** The `sender_id` column of a sender: the agent's or supervisor's account id, '' for the others. */
export const senderId = (from: Actor): string => (from.kind === 'agent' ? from.agentId : from.kind === 'supervisor' ? from.supervisorId : '');

/** The columns every reader of `kefu_message` selects (a join may prefix them with its alias). */
export const MESSAGE_COLUMNS = 'tenant_id, conversation_id, seq, client_msg_id, sender_kind, sender_id, visibility, text, attachment, at';

/** A message read back from its row. */
export function messageOfRow(r: MessageRow): LoggedMessage {
  return {
    tenantId: r.tenant_id,
    conversationId: r.conversation_id,
    seq: Number(r.seq),
    clientMsgId: r.client_msg_id,
    from: sender(r.sender_kind, r.sender_id),
    visibility: r.visibility === 'internal' ? 'internal' : 'public',
    text: r.text,
    at: Number(r.at),
    ...(r.attachment ? { file: JSON.parse(r.attachment) as SharedFile } : {}),
  };
}

function sender(kind: string, id: string): Actor {
  switch (kind) {
    case 'agent':
      return { kind, agentId: id };
    case 'supervisor':
      return { kind, supervisorId: id };
    case 'visitor':
    case 'bot':
    case 'system':
      return { kind };
    default:
      throw new Error(`kefu_message: unknown sender kind ${JSON.stringify(kind)}`);
  }
}

/**
 * The insert of a batch of messages (one statement). A row already there for the same `seq` can
 * only be this writer's own earlier attempt whose commit outcome it never learnt (a dropped
 * connection): it is overwritten, so a retry never fails on its own duplicate.
 */
export function appendStatement(dialect: Database['dialect'], messages: readonly (LoggedMessage & { epoch: number })[]): { sql: string; params: unknown[] } {
  const values = messages.map(() => `(${COLUMNS.map(() => '?').join(', ')})`).join(', ');
  const insert = `insert into kefu_message (${COLUMNS.join(', ')}) values ${values}`;
  const updated = COLUMNS.slice(2);
  const sql =
    dialect === 'sqlite'
      ? `${insert} on conflict (conversation_id, seq) do update set ${updated.map((c) => `${c} = excluded.${c}`).join(', ')}`
      : `${insert} on duplicate key update ${updated.map((c) => `${c} = values(${c})`).join(', ')}`;
  const params = messages.flatMap((m) => [m.conversationId, m.seq, m.tenantId, m.clientMsgId, m.from.kind, senderId(m.from), m.visibility, m.text, m.file ? JSON.stringify(m.file) : '', m.at, m.epoch]);
  return { sql, params };
}

/** How a cluster-mode reader waits for the persister: polls every `pollMs`, gives up after `maxWaitMs` (LogBehindError). */
export type AwaitPersister = { readonly pollMs: number; readonly maxWaitMs: number };

/**
 * Embedded mode: the search index entries of messages just written by `appendStatement` (in the same
 * transaction), keyed by their `kefu_message` rowid; a repeated write replaces its entry.
 */
export function searchIndexStatement(messages: readonly LoggedMessage[]): { sql: string; params: unknown[] } {
  const values = messages.map(() => '(?, ?, ?)').join(', ');
  return {
    sql: `with v (conversation_id, seq, body) as (values ${values})
          insert or replace into kefu_message_fts (rowid, body)
          select m.rowid, v.body from v join kefu_message m on m.conversation_id = v.conversation_id and m.seq = v.seq`,
    params: messages.flatMap((m) => [m.conversationId, m.seq, indexedText(m.text)]),
  };
}

export class SqlMessageLog implements MessageLog {
  readonly #em: EntityManager;
  readonly #awaitPersister: AwaitPersister | null;

  constructor(database: Database, options: { awaitPersister?: AwaitPersister | null } = {}) {
    this.#em = database.orm.em.fork();
    this.#awaitPersister = options.awaitPersister ?? null;
  }

  async read(conversationId: string, afterSeq: number, options: ReadOptions): Promise<LoggedMessage[]> {
    if (afterSeq >= options.through) return [];
    if (this.#awaitPersister) await this.#stored(conversationId, options.through, this.#awaitPersister);
    const rows = await this.#em
      .getConnection()
      .execute<MessageRow[]>(
        `select ${MESSAGE_COLUMNS} from kefu_message
         where conversation_id = ? and seq > ? and seq <= ?${options.publicOnly ? " and visibility = 'public'" : ''} order by seq limit ?`,
        [conversationId, afterSeq, options.through, options.limit],
        'all',
      );
    return rows.map(messageOfRow);
  }

  /**
   * The client ids of a conversation's messages after `afterSeq` through `throughSeq`, as far as
   * the table holds them now (no waiting for the persister): what a conversation activated from its
   * snapshot de-duplicates resends by (ClientMsgIdLog).
   */
  async clientMsgIds(conversationId: string, afterSeq: number, throughSeq: number): Promise<{ seq: number; clientMsgId: string; from: Actor }[]> {
    type Row = Pick<MessageRow, 'seq' | 'client_msg_id' | 'sender_kind' | 'sender_id'>;
    const rows = await this.#em
      .getConnection()
      .execute<Row[]>(
        'select seq, client_msg_id, sender_kind, sender_id from kefu_message where conversation_id = ? and seq > ? and seq <= ? order by seq',
        [conversationId, afterSeq, throughSeq],
        'all',
      );
    return rows.map((r: Row) => ({ seq: Number(r.seq), clientMsgId: r.client_msg_id, from: sender(r.sender_kind, r.sender_id) }));
  }

  /** Resolves once the persister stored the conversation's messages up to `through`. */
  async #stored(conversationId: string, through: number, wait: AwaitPersister): Promise<void> {
    const deadline = performance.now() + wait.maxWaitMs;
    for (;;) {
      const rows = await this.#em
        .getConnection()
        .execute<{ last_seq: number }[]>('select last_seq from kefu_conversation_log where conversation_id = ?', [conversationId], 'all');
      const stored = rows[0]?.last_seq ?? 0;
      if (stored >= through) return;
      if (performance.now() + wait.pollMs > deadline) throw new LogBehindError(conversationId, through, stored);
      await new Promise((r) => setTimeout(r, wait.pollMs));
    }
  }
}
