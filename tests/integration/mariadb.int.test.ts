/** MikroORM on the real MariaDB started by cluster/infra: migrations, a round trip, utf8mb4. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SetupToken } from '../../actors/directory/setup-token.entity.ts';
import { DEFAULT_TENANT_ID } from '../../actors/directory/channel.repository.ts';
import { FIRST_ADMIN_STEP, ensureSetupToken } from '../../actors/directory/setup.ts';
import { MIGRATIONS_TABLE, migrateDatabase, openDatabase, type Database } from '../../cluster/database.ts';
import { scratchMysqlDatabase } from '../../cluster/local-infra.ts';

let scratch: { url: string; drop(): Promise<void> };
const opened: Database[] = [];

const open = async (): Promise<Database> => {
  const db = await openDatabase({ dialect: 'mysql', url: scratch.url });
  opened.push(db);
  return db;
};

beforeAll(async () => {
  scratch = await scratchMysqlDatabase('kefu_test');
});
afterAll(async () => {
  await Promise.all(opened.map((db) => db.close()));
  await scratch.drop();
});

test('nodes starting at once apply each migration exactly once', async () => {
  const dbs = await Promise.all([open(), open(), open()]);
  const applied = await Promise.all(dbs.map((db) => migrateDatabase(db)));
  expect(applied.flat()).toHaveLength(dbs[0]!.orm.config.get('migrations').migrationsList!.length);
  const rows = await dbs[0]!.orm.em.getConnection().execute<{ name: string }[]>(`select name from ${MIGRATIONS_TABLE} order by id`);
  expect(rows.map((r: { name: string }) => r.name)).toEqual(applied.flat());
});

test('a write through MikroORM reads back, with utf8mb4 text intact', async () => {
  const db = await open();
  await migrateDatabase(db);
  const nodeId = '客服节点-🚀';
  const state = await ensureSetupToken(db.orm.em.fork(), { tenantId: DEFAULT_TENANT_ID, now: new Date('2026-11-21T00:00:00Z'), nodeId, rotate: true });
  expect(state.status).toBe('issued');
  const row = await db.orm.em.fork().findOneOrFail(SetupToken, { step: FIRST_ADMIN_STEP });
  expect(row.issuedByNode).toBe(nodeId);
  expect(row.issuedAt.toISOString()).toBe('2026-11-21T00:00:00.000Z');
});

test.each(['mysql', 'sqlite'] as const)('the %s migrations produce exactly the schema the entities describe', async (dialect) => {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-schema-'));
  try {
    const db = dialect === 'mysql' ? await open() : await openDatabase({ dialect, file: join(dir, 'kefu.sqlite') });
    if (dialect === 'sqlite') opened.push(db);
    await migrateDatabase(db);
    const diff = await db.orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Tables → columns (with nullability) and indexes (unique or not, by their columns), as the database reports them. */
type Shape = Record<string, { columns: Record<string, boolean>; indexes: string[] }>;

async function mysqlShape(db: Database): Promise<Shape> {
  const conn = db.orm.em.getConnection();
  const columns = await conn.execute<{ t: string; c: string; n: string }[]>(
    'select table_name as t, column_name as c, is_nullable as n from information_schema.columns where table_schema = database()',
  );
  const indexes = await conn.execute<{ t: string; i: string; u: number; cols: string }[]>(
    "select table_name as t, index_name as i, min(non_unique) = 0 as u, group_concat(column_name order by seq_in_index) as cols from information_schema.statistics where table_schema = database() and index_name <> 'PRIMARY' group by table_name, index_name",
  );
  const shape: Shape = {};
  for (const r of columns) (shape[r.t] ??= { columns: {}, indexes: [] }).columns[r.c] = r.n === 'YES';
  for (const r of indexes) shape[r.t]!.indexes.push(`${Number(r.u) ? 'unique' : 'index'}(${r.cols})`);
  return shape;
}

async function sqliteShape(db: Database): Promise<Shape> {
  const conn = db.orm.em.getConnection();
  // The embedded search index (FTS5 and its shadow tables) has no MySQL counterpart: Elasticsearch is cluster mode's.
  const tables = await conn.execute<{ name: string }[]>("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kefu_message_fts%'");
  const shape: Shape = {};
  for (const { name } of tables) {
    const entry = (shape[name] = { columns: {} as Record<string, boolean>, indexes: [] as string[] });
    for (const c of await conn.execute<{ name: string; notnull: number; pk: number }[]>(`pragma table_info(\`${name}\`)`)) entry.columns[c.name] = !c.notnull && !c.pk;
    for (const i of await conn.execute<{ name: string; unique: number; origin: string }[]>(`pragma index_list(\`${name}\`)`)) {
      if (i.origin === 'pk') continue;
      const cols = await conn.execute<{ name: string }[]>(`pragma index_info(\`${i.name}\`)`);
      entry.indexes.push(`${i.unique ? "unique" : "index"}(${cols.map((c: { name: string }) => c.name).join(",")})`);
    }
  }
  return shape;
}

test('MySQL and SQLite migrations produce the same schema shape: tables, columns, nullability, indexes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-shape-'));
  try {
    const mysql = await open();
    await migrateDatabase(mysql);
    const sqlite = await openDatabase({ dialect: 'sqlite', file: join(dir, 'kefu.sqlite') });
    opened.push(sqlite);
    await migrateDatabase(sqlite);
    const normalise = (s: Shape) => Object.fromEntries(Object.entries(s).map(([t, v]) => [t, { columns: v.columns, indexes: [...v.indexes].sort() }]));
    const [m, q] = [normalise(await mysqlShape(mysql)), normalise(await sqliteShape(sqlite))];
    expect(Object.keys(m).sort()).toContain('kefu_account');
    expect(q).toEqual(m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
