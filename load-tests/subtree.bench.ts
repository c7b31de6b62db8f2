/**
 * Subtree list benchmark on the real MariaDB: `npm run bench:subtree [-- --rows 1000000]`
 *
 * Lists stay flat as the org grows because "a department and everything below it" is one range of
 * the (tenant, department path) index, read in its own order. An org of 1,100 departments (one
 * department with 1,000 descendants, and 100 others beside it) holds accounts — the rows with a
 * department today; contacts will be listed by the same query. Pages of 100 (first pages and keyset
 * pages from random points) are timed through the directory's account list, first with 10,000
 * rows (the baseline, same run, same org), then with `rows`. Target (issue 7): p99 ≤ 50 ms at
 * 1,000,000 rows.
 */
import { parseArgs } from 'node:util';
import { Directory } from '../actors/directory/directory.ts';
import { PasswordHasher } from '../actors/directory/passwords.ts';
import type { Caller } from '../actors/directory/context.ts';
import { ensureTenant } from '../actors/directory/tenant.repository.ts';
import { migrateDatabase, openDatabase, type Database } from '../cluster/database.ts';
import { localInfraUp, scratchMysqlDatabase } from '../cluster/local-infra.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, queries: { type: 'string', default: '300' } } });
const ROWS = Number(values.rows);
const QUERIES = Number(values.queries);
const BASELINE_ROWS = 10_000;
const BATCH = 5_000;

type Org = { big: { id: string; path: string }; bigSubtree: { id: string; path: string }[]; others: { id: string; path: string }[]; leaf: { id: string; path: string } };

async function buildOrg(db: Database): Promise<Org> {
  const conn = db.orm.em.getConnection();
  const now = new Date();
  const depts: { id: string; parent: string; path: string }[] = [];
  const add = (id: string, parent: { id: string; path: string }) => {
    const d = { id, parent: parent.id, path: `${parent.path}${id}/` };
    depts.push(d);
    return d;
  };
  const root = { id: 'root', path: '/root/' };
  const big = add('big', root);
  const bigSubtree = [big];
  for (let i = 0; i < 10; i++) {
    const child = add(`b${i}`, big);
    bigSubtree.push(child);
    for (let j = 0; j < 99; j++) bigSubtree.push(add(`b${i}x${j}`, child));
  }
  const others = Array.from({ length: 100 }, (_, i) => add(`o${i}`, root));
  const values = depts.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(',');
  await conn.execute(
    `insert into kefu_department (id, tenant_id, parent_id, path, name, is_skill_group, settings, created_at, updated_at) values ${values}`,
    depts.flatMap((d) => [d.id, 'default', d.parent, d.path, d.id, 0, '{}', now, now]),
  );
  return { big, bigSubtree, others, leaf: bigSubtree.at(-1)! };
}

/** Accounts up to `total`, 60 % in the big department's subtree, the rest beside it. */
async function fillAccounts(db: Database, org: Org, from: number, total: number): Promise<void> {
  const conn = db.orm.em.getConnection();
  const now = new Date();
  for (let start = from; start < total; start += BATCH) {
    const n = Math.min(BATCH, total - start);
    const params: unknown[] = [];
    for (let k = 0; k < n; k++) {
      const i = start + k;
      const d = i % 10 < 6 ? org.bigSubtree[i % org.bigSubtree.length]! : org.others[i % org.others.length]!;
      const id = i.toString(16).padStart(16, '0');
      params.push(id, 'default', d.id, d.path, `user${i}@example.com`, `none:${id}`, `User ${i}`, 'x', 0, 1, 5, '[]', '[]', 0, 0, 0, now, now);
    }
    await conn.execute(
      `insert into kefu_account (id, tenant_id, department_id, department_path, email, mobile, display_name, password_hash, is_super_admin, is_agent, max_conversations, role_ids, skill_group_ids, disabled, failed_logins, lockouts, created_at, updated_at) values ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(',')}`,
      params,
    );
  }
  await conn.execute('analyze table kefu_account');
  // Measure reads in a steady state, not while InnoDB is still writing the bulk load's dirty pages
  // out (bounded: at most a minute).
  for (let i = 0; i < 60; i++) {
    const [row] = await conn.execute<{ Value: string }[]>("show global status like 'Innodb_buffer_pool_pages_dirty'");
    if (Number(row?.Value ?? 0) < 100) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

async function measure(directory: Directory, caller: Caller, org: Org, rows: number): Promise<Record<string, number[]>> {
  const time = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const out: Record<string, number[]> = {
    'first page, 1,000-descendant department': [],
    'keyset page from a random point in it': [],
    'first page, a leaf department': [],
    'first page, the department sorting last': [],
  };
  const lastSorting = org.others.reduce((a, b) => (a.path > b.path ? a : b));
  for (let q = 0; q < QUERIES; q++) {
    out['first page, 1,000-descendant department']!.push(await time(() => directory.accounts.list(caller, { departmentId: org.big.id, limit: 100 })));
    // A random account of the big subtree (rows i with i % 10 < 6, see fillAccounts).
    const after = (Math.floor((Math.random() * rows) / 10) * 10 + Math.floor(Math.random() * 6)).toString(16).padStart(16, '0');
    out['keyset page from a random point in it']!.push(await time(() => directory.accounts.list(caller, { departmentId: org.big.id, after, limit: 100 })));
    out['first page, a leaf department']!.push(await time(() => directory.accounts.list(caller, { departmentId: org.leaf.id, limit: 100 })));
    out['first page, the department sorting last']!.push(await time(() => directory.accounts.list(caller, { departmentId: lastSorting.id, limit: 100 })));
  }
  return out;
}

async function main(): Promise<void> {
  localInfraUp(['mariadb']);
  const scratch = await scratchMysqlDatabase('kefu_bench');
  const db = await openDatabase({ dialect: 'mysql', url: scratch.url });
  try {
    await migrateDatabase(db);
    await ensureTenant(db.orm.em.fork(), { id: 'default', name: 'Bench' }, new Date());
    const org = await buildOrg(db);
    const directory = new Directory({ em: () => db.orm.em.fork(), dialect: db.dialect, now: () => new Date(), hasher: new PasswordHasher({ concurrency: 1, queue: 1 }), skillGroupChanged: async () => {}, agentChanged: async () => {}, visitorBlocked: () => {} });
    const caller: Caller = { name: 'bench', ip: '', principal: { tenantId: 'default', accountId: 'bench', superAdmin: false, departmentPath: '/root/', permissions: new Set(['accounts.read']), via: 'session' } };

    await fillAccounts(db, org, 0, BASELINE_ROWS);
    const small = await measure(directory, caller, org, BASELINE_ROWS);
    const t = performance.now();
    await fillAccounts(db, org, BASELINE_ROWS, ROWS);
    console.log(`subtree list benchmark (MariaDB, 1,100 departments; ${QUERIES} pages of 100 per case; ${ROWS.toLocaleString('en')} rows inserted in ${((performance.now() - t) / 1000).toFixed(0)} s)`);
    const large = await measure(directory, caller, org, ROWS);
    for (const name of Object.keys(small)) {
      const s50 = percentile(small[name]!, 50), s99 = percentile(small[name]!, 99);
      const l50 = percentile(large[name]!, 50), l99 = percentile(large[name]!, 99);
      console.log(`  ${name.padEnd(41)} ${BASELINE_ROWS.toLocaleString('en')} rows p50 ${s50.toFixed(1)} ms p99 ${s99.toFixed(1)} ms | ${ROWS.toLocaleString('en')} rows p50 ${l50.toFixed(1)} ms p99 ${l99.toFixed(1)} ms (${(l99 / s99).toFixed(2)}× p99; target ≤ 50 ms: ${l99 <= 50 ? 'met' : 'NOT met'})`);
    }
  } finally {
    await db.close();
    await scratch.drop();
  }
}

await main();
