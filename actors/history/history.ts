/**
 * History: past and current conversations as records (actors/conversation/record.ts), their
 * transcripts, and search over their messages — always restricted to the caller's tenant and
 * department subtree (a conversation belongs to the department of its skill group), or to the
 * conversations the caller served. Records and transcripts come from the node's database in both
 * run modes; message search from a `MessageSearch` port (SQLite FTS5 embedded, below;
 * Elasticsearch in cluster mode, elasticsearch.ts).
 *
 * The caller must hold `history.read` (checked by the route before this runs).
 */
import type { EntityManager } from '@mikro-orm/core';
import type { Database } from '../../cluster/database.ts';
import { MESSAGE_COLUMNS, messageOfRow, SqlMessageLog, type MessageRow } from '../../cluster/message-log.sql.ts';
import type { LoggedMessage } from '../../cluster/message-log.ts';
import { recordOfRow } from '../conversation/conversation-record.repository.ts';
import type { ConversationRecord } from '../conversation/record.ts';
import type { Principal } from '../directory/policies/access.ts';
import { visibleSubtree } from '../directory/policies/access.ts';
import { notFound } from '../directory/context.ts';
import { fts5Match, highlightRanges, queryTerms } from './search-text.ts';

export type HistoryFilter = {
  /** Created in [from, to) (epoch ms). */
  readonly from?: number;
  readonly to?: number;
  readonly agentId?: string;
  readonly skillGroupId?: string;
  readonly channelId?: string;
  readonly visitorId?: string;
  readonly status?: 'open' | 'closed';
  /** The visitor's satisfaction score (1–5). */
  readonly score?: number;
  /** Tagged with this (any case; actors/conversation/tags.ts). */
  readonly tag?: string;
  /** Of the visitors bound to this contact. */
  readonly contactId?: string;
};

/** A page of records, newest first; `before` is the last record of the previous page. */
export type RecordPage = { readonly limit: number; readonly before?: { readonly createdAt: number; readonly conversationId: string } };

export type SearchHit = {
  readonly message: LoggedMessage;
  /** [start, end) ranges of the text that matched, for the client to mark. */
  readonly highlights: readonly [number, number][];
  readonly conversation: ConversationRecord;
};

/** Where the message text search runs: the conditions on records come as SQL over `r` (the record) and `d` (its skill group). */
export type MessageSearch = {
  search(scope: Scope, terms: readonly string[], filter: HistoryFilter, page: { limit: number; before?: { at: number; conversationId: string; seq: number } }): Promise<SearchHit[]>;
};

/** Whose conversations a caller sees: those of a department subtree ('/': the whole tenant), and those they served. */
export type Scope = { readonly tenantId: string; readonly subtree: string; readonly agentId: string };

const scopeOf = (principal: Principal): Scope => ({ tenantId: principal.tenantId, subtree: visibleSubtree(principal), agentId: principal.accountId });

/** The SQL conditions on a record `r` joined with its skill group `d` (a left join: '' when never routed). */
export function recordConditions(scope: Scope, filter: HistoryFilter): { sql: string; params: unknown[] } {
  const where: string[] = ['r.tenant_id = ?'];
  const params: unknown[] = [scope.tenantId];
  if (scope.subtree !== '/') {
    // Department paths are ids and slashes: nothing in them is special to LIKE.
    where.push('(d.path like ? or r.agent_id = ?)');
    params.push(`${scope.subtree}%`, scope.agentId);
  }
  const equal = (column: string, value: unknown) => {
    if (value === undefined) return;
    where.push(`r.${column} = ?`);
    params.push(value);
  };
  equal('agent_id', filter.agentId);
  equal('skill_group_id', filter.skillGroupId);
  equal('channel_id', filter.channelId);
  equal('visitor_id', filter.visitorId);
  equal('status', filter.status);
  equal('score', filter.score);
  if (filter.tag !== undefined) {
    // The stored list is JSON of tags holding no quotes or LIKE wildcards (tags.ts), so the quoted
    // tag matches exactly one whole tag; LIKE ignores case (SQLite: ASCII letters only).
    where.push('r.tags like ?');
    params.push(`%${JSON.stringify(filter.tag)}%`);
  }
  if (filter.contactId !== undefined) {
    where.push('r.visitor_id in (select b.visitor_id from kefu_contact_visitor b where b.tenant_id = r.tenant_id and b.contact_id = ?)');
    params.push(filter.contactId);
  }
  if (filter.from !== undefined) {
    where.push('r.created_at >= ?');
    params.push(filter.from);
  }
  if (filter.to !== undefined) {
    where.push('r.created_at < ?');
    params.push(filter.to);
  }
  return { sql: where.join(' and '), params };
}

/** Records `r` with their skill group `d`: what recordConditions speaks of. */
export const FROM_RECORDS = 'kefu_conversation_record r left join kefu_department d on d.tenant_id = r.tenant_id and d.id = r.skill_group_id';

export class History {
  readonly #em: EntityManager;
  readonly #messages: SqlMessageLog;
  readonly #search: MessageSearch;

  constructor(database: Database, search: MessageSearch) {
    this.#em = database.orm.em.fork();
    this.#messages = new SqlMessageLog(database);
    this.#search = search;
  }

  async list(principal: Principal, filter: HistoryFilter, page: RecordPage): Promise<ConversationRecord[]> {
    const c = recordConditions(scopeOf(principal), filter);
    const before = page.before ? ' and (r.created_at < ? or (r.created_at = ? and r.conversation_id < ?))' : '';
    const params = [...c.params, ...(page.before ? [page.before.createdAt, page.before.createdAt, page.before.conversationId] : []), page.limit];
    const rows = await this.#em
      .getConnection()
      .execute(`select r.* from ${FROM_RECORDS} where ${c.sql}${before} order by r.created_at desc, r.conversation_id desc limit ?`, params, 'all');
    return (rows as Parameters<typeof recordOfRow>[0][]).map(recordOfRow);
  }

  /** One conversation's record; NOT_FOUND when it does not exist or is out of the caller's reach (the two look the same). */
  async conversation(principal: Principal, conversationId: string): Promise<ConversationRecord> {
    const c = recordConditions(scopeOf(principal), {});
    const rows = await this.#em.getConnection().execute(`select r.* from ${FROM_RECORDS} where ${c.sql} and r.conversation_id = ?`, [...c.params, conversationId], 'all');
    const row = (rows as Parameters<typeof recordOfRow>[0][])[0];
    if (!row) throw notFound('conversation');
    return recordOfRow(row);
  }

  /** A page of a conversation's transcript (whispers included: history is the agents' side). */
  async transcript(principal: Principal, conversationId: string, page: { afterSeq: number; limit: number }): Promise<LoggedMessage[]> {
    await this.conversation(principal, conversationId);
    return this.#messages.read(conversationId, page.afterSeq, { limit: page.limit, publicOnly: false, through: Number.MAX_SAFE_INTEGER });
  }

  /** Messages matching every term of `query`, newest first, with their conversations; [] for a query with nothing to match. */
  async search(principal: Principal, query: string, filter: HistoryFilter, page: { limit: number; before?: { at: number; conversationId: string; seq: number } }): Promise<SearchHit[]> {
    const terms = queryTerms(query);
    if (terms.length === 0) return [];
    return this.#search.search(scopeOf(principal), terms, filter, page);
  }
}

/** A hit's row: its conversation's record and the message's own columns (the two share only the ids, which are equal). */
type SearchRow = Parameters<typeof recordOfRow>[0] & MessageRow;

/**
 * Embedded search: SQLite FTS5 over the message log (kefu_message_fts, written with each message).
 * Hits come newest first in commit order (rowid), which is the order of `at` as the owner assigned it.
 */
export class Fts5MessageSearch implements MessageSearch {
  readonly #em: EntityManager;

  constructor(database: Database) {
    if (database.dialect !== 'sqlite') throw new Error('FTS5 search is the embedded (SQLite) implementation');
    this.#em = database.orm.em.fork();
  }

  async search(scope: Scope, terms: readonly string[], filter: HistoryFilter, page: { limit: number; before?: { at: number; conversationId: string; seq: number } }): Promise<SearchHit[]> {
    const c = recordConditions(scope, filter);
    // Newest first in commit order: the index's rowids follow it, so FTS5 hands the matches over in
    // that order and the search stops at the page's end instead of sorting every match.
    const before = page.before ? ' and f.rowid < (select rowid from kefu_message where conversation_id = ? and seq = ?)' : '';
    const b = page.before;
    const rows = (await this.#em.getConnection().execute(
      `select r.*, ${MESSAGE_COLUMNS.split(', ').map((c) => `m.${c}`).join(', ')}
       from kefu_message_fts f
       join kefu_message m on m.rowid = f.rowid
       join kefu_conversation_record r on r.conversation_id = m.conversation_id
       left join kefu_department d on d.tenant_id = r.tenant_id and d.id = r.skill_group_id
       where kefu_message_fts match ? and m.tenant_id = ? and ${c.sql}${before}
       order by f.rowid desc limit ?`,
      [fts5Match(terms), scope.tenantId, ...c.params, ...(b ? [b.conversationId, b.seq] : []), page.limit],
      'all',
    )) as SearchRow[];
    return rows.map((row) => {
      const message = messageOfRow(row);
      return { message, highlights: highlightRanges(message.text, terms), conversation: recordOfRow(row) };
    });
  }
}
