/**
 * History search latency over a large history: `npm run bench:history-search [-- --messages 1000000 --rate 50 --seconds 20]`
 *
 * Loads N messages (50 per conversation, Chinese and English text from a vocabulary, ten skill
 * groups in a department tree) into both search backends — Elasticsearch (cluster mode, with
 * conversation records in a scratch MariaDB database) and SQLite FTS5 (embedded mode) — then runs
 * searches open loop at a fixed rate, as random callers (a super admin, or an agent whose subtree
 * is a part of the tree), with one or two random words. Printed per backend: p50/p90/p99 of
 * `History.search` (what the API answers with: scope, filters and the records included), and as
 * the baseline measured in the same run the raw Elasticsearch `_search` of the same query without
 * the records. Both backends are warmed up (unmeasured searches) first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { ConversationRecords } from '../actors/conversation/conversation-record.repository.ts';
import type { LoggedConversationEvent } from '../actors/conversation/record.ts';
import type { Principal } from '../actors/directory/policies/access.ts';
import { bulkIndex, ElasticsearchMessageSearch, ensureMessageIndex, messageDoc, type MessageDoc } from '../actors/history/elasticsearch.ts';
import { Fts5MessageSearch, History } from '../actors/history/history.ts';
import { foldedText } from '../actors/history/search-text.ts';
import { migrateDatabase, openDatabase, type Database } from '../cluster/database.ts';
import { localInfraEnv, localInfraUp, scratchMysqlDatabase } from '../cluster/local-infra.ts';
import { appendStatement, searchIndexStatement } from '../cluster/message-log.sql.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '1000000' }, rate: { type: 'string', default: '50' }, seconds: { type: 'string', default: '20' } } });
const total = Number(values.messages);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const PER_CONVERSATION = 50;
const conversations = Math.ceil(total / PER_CONVERSATION);
const WORDS = ['退款', '发货', '物流', '订单', '优惠券', '发票', '破损', '换货', '地址', '客服', '会员', '积分', 'refund', 'shipping', 'invoice', 'coupon', 'broken', 'address', 'member', 'points', 'delivery', 'order'];
const FILLER = ['您好', '请问', '谢谢', '好的', '稍等', 'please', 'thanks', 'hello', 'today', 'tomorrow', '明天', '今天'];

/** A deterministic pseudo-random generator, so every run loads the same history. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1_664_525 + 1_013_904_223) >>> 0) / 2 ** 32);
}
const rnd = random(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

// Ten skill groups in a small tree below the root: /root/g0/, /root/g0/g1/, /root/g2/ …
const GROUPS = Array.from({ length: 10 }, (_, i) => `bench-g${i}`);
const pathOf = (i: number): string => (i % 2 === 1 ? `/root/${GROUPS[i - 1]}/${GROUPS[i]}/` : `/root/${GROUPS[i]}/`);

async function departments(db: Database): Promise<void> {
  const conn = db.orm.em.fork().getConnection();
  const now = new Date();
  for (const [i, id] of GROUPS.entries()) {
    const parent = i % 2 === 1 ? GROUPS[i - 1]! : 'root';
    await conn.execute('insert into kefu_department (id, tenant_id, parent_id, path, name, is_skill_group, settings, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)', [id, 'default', parent, pathOf(i), id, 1, '{}', now, now]);
  }
}

async function records(db: Database): Promise<void> {
  const store = new ConversationRecords(db);
  for (let from = 0; from < conversations; from += 500) {
    const events: LoggedConversationEvent[] = [];
    for (let c = from; c < Math.min(conversations, from + 500); c++) {
      const group = c % GROUPS.length;
      events.push({ name: 'conversation.created', tenantId: 'default', conversationId: `conv${c}`, at: c, channelId: 'web', skillGroupId: GROUPS[group]!, visitor: { visitorId: `v${c}`, displayName: null, identified: false, vip: false, lastAgentId: null } });
      events.push({ name: 'conversation.assigned', tenantId: 'default', conversationId: `conv${c}`, at: c + 1, agentId: `agent${c % 40}`, skillGroupId: GROUPS[group]!, waitedMs: 0 });
    }
    await store.apply(events);
  }
}

/** The messages, in batches of `size`. */
function* messagesOf(size: number): Generator<MessageDoc[]> {
  const gen = random(7);
  let batch: MessageDoc[] = [];
  for (let m = 0; m < total; m++) {
    const c = Math.floor(m / PER_CONVERSATION);
    const group = c % GROUPS.length;
    const text = Array.from({ length: 6 }, () => (gen() < 0.3 ? WORDS[Math.floor(gen() * WORDS.length)]! : FILLER[Math.floor(gen() * FILLER.length)]!)).join(' ');
    const placement = { skillGroupId: GROUPS[group]!, departmentPath: pathOf(group), agentId: `agent${c % 40}` };
    batch.push(messageDoc({ tenantId: 'default', conversationId: `conv${c}`, seq: (m % PER_CONVERSATION) + 1, clientMsgId: `m${m}`, from: { kind: 'visitor' }, visibility: 'public', text, at: 1_700_000_000_000 + m, epoch: 1 }, placement));
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

const callers = (): Principal => {
  const superAdmin = rnd() < 0.3;
  const group = Math.floor(rnd() * GROUPS.length);
  return { tenantId: 'default', accountId: `agent${Math.floor(rnd() * 40)}`, superAdmin, departmentPath: superAdmin ? '/root/' : pathOf(group), permissions: new Set(['history.read']), via: 'session' };
};
const query = (): string => (rnd() < 0.5 ? pick(WORDS) : `${pick(WORDS)} ${pick(WORDS)}`);

/** Open loop: `rate` calls per second for `seconds`; the latency of each. */
async function openLoop(call: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  const running: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = start + (i * 1_000) / rate;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    running.push(
      (async () => {
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      })(),
    );
  }
  await Promise.all(running);
  return latencies;
}

const p = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(1)} ms  p90 ${percentile(xs, 90).toFixed(1)} ms  p99 ${percentile(xs, 99).toFixed(1)} ms`;

async function main(): Promise<void> {
  localInfraUp(['mariadb', 'elasticsearch']);
  const infra = localInfraEnv();
  console.log(`History search over ${total.toLocaleString('en-US')} messages (${conversations.toLocaleString('en-US')} conversations), ${rate} searches/s for ${seconds} s:`);

  // Cluster mode: Elasticsearch + the records in MariaDB.
  const scratch = await scratchMysqlDatabase('kefu_bench');
  const prefix = `bench-${Date.now().toString(36)}-`;
  const es = new Client({ node: infra.KEFU_ELASTICSEARCH_URL, requestTimeout: 120_000 });
  const mysql = await openDatabase({ dialect: 'mysql', url: scratch.url });
  try {
    await migrateDatabase(mysql);
    await departments(mysql);
    await records(mysql);
    const index = await ensureMessageIndex(es, prefix);
    await es.indices.putSettings({ index, settings: { refresh_interval: '-1' } });
    let loadStart = performance.now();
    for (const batch of messagesOf(5_000)) await bulkIndex(es, index, batch, { requireAlias: true });
    await es.indices.putSettings({ index, settings: { refresh_interval: '500ms' } });
    await es.indices.refresh({ index });
    await es.indices.forcemerge({ index, max_num_segments: 1 });
    console.log(`  Elasticsearch loaded in ${((performance.now() - loadStart) / 1000).toFixed(0)} s`);
    const history = new History(mysql, new ElasticsearchMessageSearch(es, mysql, { indexPrefix: prefix }));
    // Warm-up (not measured): caches and JIT on both sides.
    for (let i = 0; i < 200; i++) await history.search(callers(), query(), {}, { limit: 20 });
    const raw = await openLoop(() => es.search({ index, size: 20, query: { bool: { filter: [{ term: { tenantId: 'default' } }], must: query().split(' ').map((t) => ({ match_phrase: { search: foldedText(t) } })) } }, sort: [{ at: 'desc' }, { conversationId: 'desc' }, { seq: 'desc' }] }));
    console.log(`  baseline, raw Elasticsearch _search (tenant filter, no records): ${p(raw)}`);
    const cluster = await openLoop(() => history.search(callers(), query(), {}, { limit: 20 }));
    console.log(`  cluster mode, History.search on Elasticsearch + MariaDB records: ${p(cluster)}   (target p99 ≤ 100 ms)`);

    // Embedded mode: SQLite FTS5, same history.
    const dir = mkdtempSync(join(tmpdir(), 'kefu-search-bench-'));
    const sqlite = await openDatabase({ dialect: 'sqlite', file: join(dir, 'kefu.sqlite') });
    try {
      await migrateDatabase(sqlite);
      await departments(sqlite);
      await records(sqlite);
      loadStart = performance.now();
      const conn = sqlite.orm.em.fork().getConnection();
      for (const batch of messagesOf(500)) {
        await conn.transactional(async (trx) => {
          for (const s of [appendStatement('sqlite', batch), searchIndexStatement(batch)]) await conn.execute(s.sql, s.params, 'run', trx);
        });
      }
      console.log(`  SQLite FTS5 loaded in ${((performance.now() - loadStart) / 1000).toFixed(0)} s`);
      const embedded = new History(sqlite, new Fts5MessageSearch(sqlite));
      for (let i = 0; i < 50; i++) await embedded.search(callers(), query(), {}, { limit: 20 });
      const fts = await openLoop(() => embedded.search(callers(), query(), {}, { limit: 20 }));
      console.log(`  embedded mode, History.search on SQLite FTS5: ${p(fts)}`);
    } finally {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    // The alias's index (and any other of this run).
    const indices = Object.keys(await es.indices.get({ index: `${prefix}*` }));
    if (indices.length > 0) await es.indices.delete({ index: indices });
    await es.close();
    await mysql.close();
    await scratch.drop();
  }
}

await main();
