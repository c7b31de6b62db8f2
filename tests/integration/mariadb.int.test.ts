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
