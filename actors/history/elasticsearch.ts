/**
 * History search in cluster mode: an Elasticsearch index of the message log (`kefu-messages-v1`),
 * written by the indexer (workers/indexer.ts) and searched here.
 *
 * Analysis: the `search` field holds the text folded in JS (search-text.ts `foldedText`: no case,
 * no accents) and is analysed by the `standard` analyzer, whose Unicode tokenizer makes every CJK
 * character a token of its own. A query term is a `match_phrase`, so the rules are those of the
 * embedded FTS5 search: CJK runs match as adjacent characters in order, Latin words whole. The
 * `standard` analyzer is built into every distribution (no plugin, not even analysis-common), so
 * the same mapping runs on the minimal development build and on production clusters. Limits: no
 * stemming, no synonyms, no dictionary segmentation (a one-character CJK query matches widely).
 *
 * Fencing: a document's id is `<conversationId>:<seq>` and its version the owner's epoch
 * (`external_gte`), so a stale owner's record never replaces a newer one; a claim deletes what lower
 * epochs wrote after its `lastSeq`. Scope: each document carries the tenant and the department path
 * of the conversation's skill group when it was indexed, and the search keeps to the caller's tenant
 * and subtree (or what they served); the other filters, and the final word on scope, come from the
 * conversation records in MySQL (History's SQL conditions), applied to the candidates.
 */
import type { Client } from '@elastic/elasticsearch';
import type { EntityManager } from '@mikro-orm/core';
import type { Database } from '../../cluster/database.ts';
import type { LoggedMessage } from '../../cluster/message-log.ts';
import { senderId } from '../../cluster/message-log.sql.ts';
import { recordOfRow } from '../conversation/conversation-record.repository.ts';
import { DomainError } from '../kernel/domain-error.ts';
import { FROM_RECORDS, recordConditions, type HistoryFilter, type MessageSearch, type Scope, type SearchHit } from './history.ts';
import { foldedText, highlightRanges } from './search-text.ts';

export const MESSAGES_INDEX = 'kefu-messages-v1';

/** A message as the index holds it. */
export type MessageDoc = LoggedMessage & {
  readonly epoch: number;
  /** The folded text that is searched (`text` is kept as written, for the hits). */
  readonly search: string;
  readonly senderId: string;
  /** Of the conversation's skill group when the message was indexed ('' when unknown). */
  readonly skillGroupId: string;
  readonly departmentPath: string;
  /** The conversation's agent when the message was indexed ('' for none). */
  readonly agentId: string;
};

/** Where a message's conversation is served, as a search filters on it ('' for what is unknown). */
export type Placement = { readonly skillGroupId: string; readonly departmentPath: string; readonly agentId: string };

export const UNPLACED: Placement = { skillGroupId: '', departmentPath: '', agentId: '' };

/** A message's document id: at most one document per (conversation, seq). */
export const docId = (conversationId: string, seq: number): string => `${conversationId}:${seq}`;

/** A message as the index holds it. */
export const messageDoc = (m: LoggedMessage & { readonly epoch: number }, place: Placement): MessageDoc => ({ ...m, search: foldedText(m.text), senderId: senderId(m.from), ...place });

/**
 * Indexes documents in one `_bulk` request, each under `<conversationId>:<seq>` with the epoch as
 * its external version; throws unless each was taken (a version conflict — a newer owner's document
 * already there — counts as taken: it stays, as it should). `requireAlias`: refuse to create an index.
 */
export async function bulkIndex(es: Client, index: string, docs: readonly MessageDoc[], options: { requireAlias: boolean }): Promise<void> {
  if (docs.length === 0) return;
  const operations = docs.flatMap((doc) => [{ index: { _index: index, _id: docId(doc.conversationId, doc.seq), version: doc.epoch, version_type: 'external_gte' as const } }, doc]);
  const result = await es.bulk({ operations, ...(options.requireAlias ? { require_alias: true } : {}) });
  const failed = result.errors ? result.items.filter((i) => i.index?.error && i.index.status !== 409) : [];
  if (failed.length > 0) throw new Error(`Elasticsearch refused ${failed.length} document(s): ${failed[0]!.index!.error!.reason ?? failed[0]!.index!.error!.type}`);
}

const MAPPINGS = {
  dynamic: 'strict',
  properties: {
    tenantId: { type: 'keyword' },
    conversationId: { type: 'keyword' },
    seq: { type: 'integer' },
    epoch: { type: 'long' },
    clientMsgId: { type: 'keyword', index: false },
    from: { type: 'object', enabled: false },
    senderId: { type: 'keyword' },
    visibility: { type: 'keyword' },
    text: { type: 'text', index: false },
    file: { type: 'object', enabled: false },
    search: { type: 'text', analyzer: 'standard' },
    at: { type: 'date', format: 'epoch_millis' },
    skillGroupId: { type: 'keyword' },
    departmentPath: { type: 'keyword' },
    agentId: { type: 'keyword' },
  },
} as const;

/** A new, empty concrete index with the mapping above, not yet behind the alias: `<alias>-<suffix>`. */
export async function createMessageIndex(es: Client, prefix: string, suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`): Promise<string> {
  const index = `${prefix}${MESSAGES_INDEX}-${suffix}`;
  await es.indices.create({ index, settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '500ms' }, mappings: MAPPINGS });
  return index;
}

/**
 * The index is reached through an alias (`<prefix>kefu-messages-v1`): writes require it
 * (`require_alias`), so a write can never create an index with a guessed mapping, and `kefu reindex`
 * builds a new index and swaps the alias over at once. Makes the alias and its first index if there
 * is none. The first index has a fixed name (`…-v1-1`), so nodes starting together create it once
 * and point the alias at the same index.
 */
export async function ensureMessageIndex(es: Client, prefix: string): Promise<string> {
  const alias = `${prefix}${MESSAGES_INDEX}`;
  if (await es.indices.existsAlias({ name: alias })) return alias;
  // `exists` also answers true for an alias, which another node starting alongside may have
  // just made: only a name that is still not an alias afterwards is a real index in the way.
  if ((await es.indices.exists({ index: alias })) && !(await es.indices.existsAlias({ name: alias }))) throw new Error(`${alias} is an index, not the alias Kefu expects: run \`kefu reindex\` to rebuild it behind the alias`);
  const first = `${alias}-1`;
  await createMessageIndex(es, prefix, '1').catch(async (error: unknown) => {
    if (!(await es.indices.exists({ index: first }))) throw error; // not just another node's creation
  });
  await es.indices.updateAliases({ actions: [{ add: { index: first, alias } }] });
  return alias;
}

type Page = { limit: number; before?: { at: number; conversationId: string; seq: number } };

/** Rounds of candidates a search looks through before it answers with what it found. */
const MAX_ROUNDS = 5;

export class ElasticsearchMessageSearch implements MessageSearch {
  readonly #es: Client;
  readonly #index: string;
  readonly #em: EntityManager;

  constructor(es: Client, database: Database, options: { indexPrefix: string }) {
    this.#es = es;
    this.#index = `${options.indexPrefix}${MESSAGES_INDEX}`;
    this.#em = database.orm.em.fork();
  }

  async search(scope: Scope, terms: readonly string[], filter: HistoryFilter, page: Page): Promise<SearchHit[]> {
    const filters: object[] = [{ term: { tenantId: scope.tenantId } }];
    if (scope.subtree !== '/') {
      filters.push({ bool: { should: [{ prefix: { departmentPath: scope.subtree } }, { term: { agentId: scope.agentId } }, { term: { senderId: scope.agentId } }], minimum_should_match: 1 } });
    }
    if (filter.agentId) filters.push({ term: { agentId: filter.agentId } });
    if (filter.skillGroupId) filters.push({ term: { skillGroupId: filter.skillGroupId } });
    const query = { bool: { filter: filters, must: terms.map((t) => ({ match_phrase: { search: foldedText(t) } })) } };
    const hits: SearchHit[] = [];
    let after: [number, string, number] | undefined = page.before ? [page.before.at, page.before.conversationId, page.before.seq] : undefined;
    for (let round = 0; round < MAX_ROUNDS && hits.length < page.limit; round++) {
      const size = Math.min(500, page.limit * 4);
      const found = await this.#es
        .search<MessageDoc>({
          index: this.#index,
          query,
          size,
          sort: [{ at: 'desc' }, { conversationId: 'desc' }, { seq: 'desc' }],
          ...(after ? { search_after: after } : {}),
          track_total_hits: false,
        })
        .catch((error: unknown) => {
          throw new DomainError('UNAVAILABLE', `history search is not available right now (${error instanceof Error ? error.message : String(error)})`);
        });
      const docs = found.hits.hits.map((h) => h._source!).filter(Boolean);
      if (docs.length === 0) break;
      // The records decide: the caller's scope and every other filter.
      const records = await this.#records(scope, filter, [...new Set(docs.map((d) => d.conversationId))]);
      for (const d of docs) {
        const conversation = records.get(d.conversationId);
        if (!conversation || hits.length >= page.limit) continue;
        const { epoch: _e, search: _s, senderId: _i, skillGroupId: _g, departmentPath: _p, agentId: _a, ...message } = d;
        hits.push({ message, highlights: highlightRanges(message.text, terms), conversation });
      }
      const last = docs[docs.length - 1]!;
      after = [last.at, last.conversationId, last.seq];
      if (docs.length < size) break;
    }
    return hits;
  }

  async #records(scope: Scope, filter: HistoryFilter, ids: readonly string[]) {
    const c = recordConditions(scope, filter);
    const rows = await this.#em
      .getConnection()
      .execute(
        `select r.* from ${FROM_RECORDS} where ${c.sql} and r.conversation_id in (${ids.map(() => '?').join(', ')})`,
        [...c.params, ...ids],
        'all',
      );
    return new Map((rows as Parameters<typeof recordOfRow>[0][]).map((r) => [r.conversation_id, recordOfRow(r)]));
  }
}
