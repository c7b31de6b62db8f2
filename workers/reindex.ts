/**
 * `kefu reindex`: rebuilds the history search index from the message log in the database — the
 * Elasticsearch index in cluster mode (a new index filled from MySQL in bulk, then put behind the
 * alias in one step: searches keep working on the old one meanwhile), the FTS5 index in embedded
 * mode. Messages are read in (conversation, seq) order, 1,000 at a time, so memory stays flat
 * however large the log is. The indexer keeps adding new messages meanwhile; external versions
 * (the epoch) make the two agree.
 */
import type { Client } from '@elastic/elasticsearch';
import type { Database } from '../cluster/database.ts';
import { MESSAGE_COLUMNS, messageOfRow, type MessageRow } from '../cluster/message-log.sql.ts';
import { bulkIndex, createMessageIndex, MESSAGES_INDEX, messageDoc, type MessageDoc } from '../actors/history/elasticsearch.ts';
import { indexedText } from '../actors/history/search-text.ts';

const BATCH = 1_000;

/** A message with what the search index stores beside it: the epoch and its conversation's placement. */
type Row = MessageRow & { rowid?: number; epoch: number | string; skill_group_id: string | null; agent_id: string | null; path: string | null };

export type Progress = (done: number, total: number) => void;

/** A progress bar line: `[#########···········]  45%  45,000 / 100,000 messages  12,345/s`. */
export function progressLine(done: number, total: number, elapsedMs: number, width = 30): string {
  const fraction = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(fraction * width);
  const rate = elapsedMs > 0 ? Math.round((done * 1_000) / elapsedMs) : 0;
  const n = (x: number) => x.toLocaleString('en-US');
  return `[${'#'.repeat(filled)}${'·'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${n(done)} / ${n(total)} messages  ${n(rate)}/s`;
}

/** The log's messages in (conversation, seq) order, `BATCH` at a time — all of them, or those accepted since `since` (epoch ms). */
async function* messages(db: Database, options: { withRowid: boolean; since?: number }): AsyncGenerator<Row[]> {
  const conn = db.orm.em.fork().getConnection();
  const columns = MESSAGE_COLUMNS.split(', ').map((c) => `m.${c}`).join(', ');
  const since = options.since === undefined ? '' : 'm.at >= ? and ';
  let after: [string, number] = ['', 0];
  for (;;) {
    const rows = await conn.execute<Row[]>(
      `select ${options.withRowid ? 'm.rowid as rowid, ' : ''}${columns}, m.epoch, r.skill_group_id, r.agent_id, d.path
       from kefu_message m
       left join kefu_conversation_record r on r.conversation_id = m.conversation_id
       left join kefu_department d on d.tenant_id = r.tenant_id and d.id = r.skill_group_id
       where ${since}(m.conversation_id > ? or (m.conversation_id = ? and m.seq > ?))
       order by m.conversation_id, m.seq limit ?`,
      [...(options.since === undefined ? [] : [options.since]), after[0], after[0], after[1], BATCH],
      'all',
    );
    if (rows.length === 0) return;
    yield rows;
    const last = rows[rows.length - 1]!;
    after = [last.conversation_id, Number(last.seq)];
  }
}

async function total(db: Database): Promise<number> {
  const [row] = await db.orm.em.fork().getConnection().execute<{ n: number | string }[]>('select count(*) as n from kefu_message', [], 'all');
  return Number(row?.n ?? 0);
}

const docOf = (r: Row): MessageDoc => messageDoc({ ...messageOfRow(r), epoch: Number(r.epoch) }, { skillGroupId: r.skill_group_id ?? '', departmentPath: r.path ?? '', agentId: r.agent_id ?? '' });

/** Messages a rebuild's scan may have passed before the indexer wrote them: re-sent after the swap. */
const CATCH_UP_MS = 60_000;

/**
 * Cluster mode: builds a new Elasticsearch index from MySQL, then swaps the alias over to it in one
 * step (searches use the old index until then), sends again the messages of the last minute before
 * the scan began (the indexer wrote them to the old index meanwhile), and deletes the old index.
 * Returns the messages indexed.
 */
export async function reindexElasticsearch(db: Database, es: Client, indexPrefix: string, progress: Progress): Promise<number> {
  const alias = `${indexPrefix}${MESSAGES_INDEX}`;
  const all = await total(db);
  const scanStarted = Date.now();
  const fresh = await createMessageIndex(es, indexPrefix);
  let done = 0;
  progress(0, all);
  for await (const rows of messages(db, { withRowid: false })) {
    await bulkIndex(es, fresh, rows.map(docOf), { requireAlias: false });
    done += rows.length;
    progress(done, Math.max(all, done));
  }
  const old = (await es.indices.existsAlias({ name: alias })) ? Object.keys(await es.indices.getAlias({ name: alias })) : [];
  // An index (not an alias) of that name is from before the alias existed: it goes.
  if (old.length === 0 && (await es.indices.exists({ index: alias }))) await es.indices.delete({ index: alias });
  await es.indices.updateAliases({ actions: [...old.map((index) => ({ remove: { index, alias } })), { add: { index: fresh, alias } }] });
  for await (const rows of messages(db, { withRowid: false, since: scanStarted - CATCH_UP_MS })) await bulkIndex(es, alias, rows.map(docOf), { requireAlias: true });
  for (const index of old) await es.indices.delete({ index, ignore_unavailable: true });
  await es.indices.refresh({ index: alias });
  return done;
}

/** Embedded mode: rebuilds the FTS5 index from the message table. Returns the messages indexed. */
export async function reindexFts5(db: Database, progress: Progress): Promise<number> {
  const conn = db.orm.em.fork().getConnection();
  const all = await total(db);
  await conn.execute('delete from kefu_message_fts');
  let done = 0;
  progress(0, all);
  for await (const rows of messages(db, { withRowid: true })) {
    await conn.execute(`insert or replace into kefu_message_fts (rowid, body) values ${rows.map(() => '(?, ?)').join(', ')}`, rows.flatMap((r) => [r.rowid, indexedText(r.text)]));
    done += rows.length;
    progress(done, Math.max(all, done));
  }
  return done;
}
