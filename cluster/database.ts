/**
 * The relational store: MikroORM on SQLite (embedded mode, one file under the data directory) or on
 * MySQL/MariaDB (cluster mode). Both are built from the same entity definitions (`entities.ts`);
 * each dialect has its own generated migrations under `cluster/migrations/<dialect>/`, applied
 * automatically at start-up.
 *
 * Several cluster nodes may start at once: they serialise their migrations with a MySQL named lock,
 * so exactly one applies each migration and the others find it done.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import type { MySqlConnection } from '@mikro-orm/mysql';
import { createPool, type Pool } from 'mysql2/promise';
import { ENTITIES } from './entities.ts';
import { MIGRATIONS as MYSQL_MIGRATIONS } from './migrations/mysql/index.ts';
import { MIGRATIONS as SQLITE_MIGRATIONS } from './migrations/sqlite/index.ts';

export type DatabaseTarget =
  | { readonly dialect: 'sqlite'; readonly file: string }
  | { readonly dialect: 'mysql'; readonly url: string };

export type Database = {
  readonly dialect: DatabaseTarget['dialect'];
  readonly orm: MikroORM;
  /**
   * MySQL only (null on SQLite): a few connections of their own, with MikroORM's settings, that take
   * several statements per query — so a group commit of actor snapshots (cluster/actor-store.ts)
   * is one round trip. Only for SQL written with bound values; connects on first use.
   */
  readonly batchPool: Pool | null;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
};

export const MIGRATIONS_TABLE = 'kefu_migrations';
const MIGRATION_LOCK = 'kefu:migrations';
const MIGRATION_LOCK_TIMEOUT_SECONDS = 120;

export function migrationsDir(dialect: DatabaseTarget['dialect']): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'migrations', dialect);
}

function commonOptions(dialect: DatabaseTarget['dialect']) {
  return {
    entities: ENTITIES,
    extensions: [Migrator],
    debug: false,
    // Kefu forks an EntityManager per request/turn; the global one must never be used by accident.
    allowGlobalContext: false,
    migrations: {
      tableName: MIGRATIONS_TABLE,
      path: migrationsDir(dialect),
      emit: 'ts' as const,
      snapshot: false,
      silent: true,
      migrationsList: dialect === 'sqlite' ? SQLITE_MIGRATIONS : MYSQL_MIGRATIONS,
    },
    // The embedded search index (an FTS5 virtual table and its shadow tables) is written by hand
    // (migrations/sqlite/…_message_search.ts): not an entity, so not the schema generator's.
    schemaGenerator: { skipTables: [/^kefu_message_fts/] },
  };
}

/** Opens the database without touching its schema (see `migrateDatabase`). */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  let orm: MikroORM;
  let batchPool: Pool | null = null;
  if (target.dialect === 'sqlite') {
    mkdirSync(dirname(target.file), { recursive: true });
    const { MikroORM: SqliteORM } = await import('@mikro-orm/sqlite');
    orm = await SqliteORM.init({ ...commonOptions('sqlite'), dbName: target.file });
    // WAL lets readers run beside the writer; FULL makes every commit survive power loss. The
    // message log group-commits, so FULL costs one fsync per batch, not per message.
    const conn = orm.em.getConnection();
    await conn.execute('pragma journal_mode = wal');
    await conn.execute('pragma synchronous = full');
    await conn.execute('pragma busy_timeout = 5000');
    // Checkpoint the WAL into the database file every 10,000 pages (≈ 40 MB) instead of SQLite's
    // 1,000: the snapshots of busy conversations rewrite the same pages over and over, and a rarer
    // checkpoint copies each of them once (+7 % durable messages/s, docs/benchmarks.md).
    await conn.execute('pragma wal_autocheckpoint = 10000');
  } else {
    const { MikroORM: MySqlORM } = await import('@mikro-orm/mysql');
    orm = await MySqlORM.init({
      ...commonOptions('mysql'),
      clientUrl: target.url,
      charset: 'utf8mb4',
      pool: { min: 0, max: 20 },
      // Queries go as text (MikroORM/Kysely use mysql2's `query`), so no connection ever prepares a
      // statement; mysql2's statement cache would still allocate its 16,000 slots up front — about
      // 512 KB per pooled connection, 10 MB per node (gateway benchmark, docs/benchmarks.md).
      driverOptions: { maxPreparedStatements: 16 },
    });
    // The store writes one batch at a time: one connection in use, one to replace it if it broke.
    const options = (orm.em.getConnection() as unknown as MySqlConnection).mapOptions({ multipleStatements: true, connectionLimit: 2, maxPreparedStatements: 16 });
    batchPool = createPool({ ...options, charset: 'utf8mb4' });
  }
  return {
    dialect: target.dialect,
    orm,
    batchPool,
    async ping() {
      await orm.em.getConnection().execute('select 1');
    },
    async close() {
      await batchPool?.end();
      await orm.close(true);
    },
  };
}

/** Applies pending migrations; returns the names applied by this call. */
export async function migrateDatabase(db: Database): Promise<string[]> {
  const migrator = db.orm.migrator;
  if (db.dialect === 'sqlite') return (await migrator.up()).map((m) => m.name);
  const em = db.orm.em.fork();
  return em.transactional(async (tx) => {
    const conn = tx.getConnection();
    const ctx = tx.getTransactionContext();
    const [row] = await conn.execute<{ locked: number | null }[]>(
      'select get_lock(?, ?) as locked',
      [MIGRATION_LOCK, MIGRATION_LOCK_TIMEOUT_SECONDS],
      'all',
      ctx,
    );
    if (row?.locked !== 1) {
      throw new Error(`could not take the migration lock "${MIGRATION_LOCK}" within ${MIGRATION_LOCK_TIMEOUT_SECONDS}s`);
    }
    try {
      return (await migrator.up()).map((m) => m.name);
    } finally {
      await conn.execute('select release_lock(?)', [MIGRATION_LOCK], 'all', ctx);
    }
  });
}
