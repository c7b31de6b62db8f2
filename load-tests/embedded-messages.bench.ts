/**
 * Durable messages in embedded mode: `npm run bench:embedded-messages [-- --conversations 500 --seconds 10 --concurrency 400]`
 *
 * One embedded node (SQLite, `synchronous=FULL`, WAL): N conversations accepted by agents, then
 * visitors' messages posted through the actor runtime as fast as they are acknowledged (each ack
 * after the message, its search index entry and the conversation's snapshot were committed; group
 * commit). Baseline in the same run, on the same disk: raw better-sqlite3 inserts of rows of the
 * same size committed in transactions of 1 and of 100 (what the group commit can at best reach).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Sqlite from 'better-sqlite3';
import { loadConfig } from '../cluster/config.ts';
import { startNode } from '../cluster/node.ts';

const { values } = parseArgs({ options: { conversations: { type: 'string', default: '500' }, seconds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '400' } } });
const conversations = Number(values.conversations);
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const TEXT = '您好，我的订单 A-20261202 还没有发货，请帮我查一下物流信息。Hello, my order has not shipped yet.';
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function rawBaseline(dir: string, perTransaction: number): number {
  const db = new Sqlite(join(dir, `raw-${perTransaction}.sqlite`));
  db.pragma('journal_mode = wal');
  db.pragma('synchronous = full');
  db.exec('create table m (c text, s integer, body text, primary key (c, s))');
  const insert = db.prepare('insert into m values (?, ?, ?)');
  const commit = db.transaction((from: number) => {
    for (let i = from; i < from + perTransaction; i++) insert.run(`c${i % 500}`, i, TEXT);
  });
  let rows = 0;
  const started = performance.now();
  while (performance.now() - started < 3_000) {
    commit(rows);
    rows += perTransaction;
  }
  const rate = (rows * 1_000) / (performance.now() - started);
  db.close();
  return rate;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-embedded-bench-'));
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write; // the setup banner
  const node = await startNode(loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: join(dir, 'node'), KEFU_LOG_LEVEL: 'error', KEFU_NODE_ID: 'bench' }));
  process.stdout.write = write;
  try {
    const one = rawBaseline(dir, 1);
    const hundred = rawBaseline(dir, 100);
    console.log(`Durable messages in embedded mode (SQLite synchronous=FULL), ${conversations} conversations, ${concurrency} in flight, ${seconds} s:`);
    console.log(`  baseline, raw better-sqlite3 on this disk: ${fmt(one)} rows/s one per transaction, ${fmt(hundred)} rows/s 100 per transaction`);

    const agents = Math.ceil(conversations / 50);
    for (let a = 0; a < agents; a++) {
      await node.actors.send('agent', `bench-agent-${a}`, { type: 'create', tenantId: 'default', displayName: `Agent ${a}`, skillGroups: ['default'], maxConversations: 50 });
      await node.actors.send('agent', `bench-agent-${a}`, { type: 'connect', connectionId: `desk-${a}`, status: 'ready' });
    }
    const ids = Array.from({ length: conversations }, (_, i) => `bench-c${i}`);
    for (const id of ids) {
      await node.actors.send('conversation', id, {
        type: 'start',
        tenantId: 'default',
        channelId: 'web',
        visitor: { visitorId: `v-${id}`, displayName: null, identified: false, vip: false, lastAgentId: null },
        open: { skillGroupId: 'default', requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true },
      });
    }
    let acked = 0;
    let n = 0;
    const latencies: number[] = [];
    const until = performance.now() + seconds * 1_000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async (_, lane) => {
        while (performance.now() < until) {
          const id = ids[(lane + n) % ids.length]!;
          const clientMsgId = `m${++n}`;
          const t = performance.now();
          const r = await node.actors.send('conversation', id, { type: 'post-message', from: { kind: 'visitor' }, clientMsgId, text: TEXT });
          if (!r.ok) throw new Error(`${id}: ${r.rejected} ${r.message}`);
          latencies.push(performance.now() - t);
          acked++;
        }
      }),
    );
    const rate = (acked * 1_000) / (performance.now() - started);
    latencies.sort((a, b) => a - b);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]!.toFixed(1);
    console.log(`  Kefu embedded: ${fmt(rate)} durable messages/s acknowledged (target ≥ 10,000/s); ack p50 ${p(0.5)} ms, p99 ${p(0.99)} ms`);
    console.log(`  ratio to 100-row transactions: ${((rate / hundred) * 100).toFixed(0)} %`);
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
