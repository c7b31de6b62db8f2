import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateDatabase, openDatabase } from './database.ts';
import { MIGRATIONS } from './migrations/sqlite/index.ts';

test('every SQLite migration applies to a database that already holds data (an upgrade, not only a fresh install)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-upgrade-'));
  try {
    const db = await openDatabase({ dialect: 'sqlite', file: join(dir, 'kefu.sqlite') });
    const migrator = db.orm.migrator;
    for (const m of MIGRATIONS) {
      await migrator.up({ to: m.name });
      // Leave rows in every table that exists so far, as a running installation would.
      const tables = await db.orm.em.getConnection().execute<{ name: string }[]>("select name from sqlite_master where type = 'table' and name like 'kefu_%' and name <> 'kefu_migrations'");
      for (const { name } of tables) {
        const count = await db.orm.em.getConnection().execute<{ n: number }[]>(`select count(*) as n from ${name}`);
        if (count[0]!.n === 0 && name === 'kefu_actor_state') {
          await db.orm.em.getConnection().execute("insert into kefu_actor_state (kind, actor_id, tenant_id, shard, epoch, version, state, updated_at) values ('conversation', 'old', 't1', 1, 1, 1, '{}', '2026-01-01')");
        }
      }
    }
    expect(await migrateDatabase(db)).toEqual([]);
    expect(await db.orm.migrator.getPending()).toEqual([]);
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
