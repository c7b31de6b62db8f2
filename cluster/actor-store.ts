/**
 * Durable snapshots of sharded actors, written with a fencing condition: a snapshot is stored only
 * if the writer's epoch is at least the epoch of the snapshot already stored. A former owner that
 * lost its lease (paused, partitioned) has a lower epoch than the new owner's first write, so its
 * late write is refused and it learns it must deactivate.
 *
 * The same statements in both run modes; the only dialect-specific SQL is the conditional upsert
 * (MySQL/MariaDB `on duplicate key update`, SQLite `on conflict`). Batches are written beside
 * MikroORM, which stays for the reads:
 * - on MySQL (cluster mode) on the database's `batchPool`, whose connections take several
 *   statements per query: a batch is one round trip (two with a journal) instead of four, and its
 *   commit no longer waits for the event loop between statements (docs/benchmarks.md);
 * - on SQLite (embedded mode) on the better-sqlite3 handle beneath MikroORM, synchronously, with
 *   bound parameters and statements prepared once: MikroORM inlines every value into the SQL
 *   text, which SQLite then parses — megabytes of snapshots a second — and prepares anew for each
 *   batch (+13 % durable messages/s, docs/benchmarks.md).
 *
 * Group commit: saves requested while a batch is being written wait for the next one. A batch is
 * one transaction: a multi-row upsert (on SQLite several, SQLITE_ROWS_PER_STATEMENT rows each) —
 * each row written only if its epoch is at least the stored one — then a read of the stored epochs
 * tells each save whether it was written or fenced, then the journal (message log rows) of the
 * written ones. A save resolves only after its batch committed. Each actor has at most one save in
 * flight (its mailbox runs one command at a time), so a batch never holds two writes of one actor.
 */
import type { EntityManager } from '@mikro-orm/core';
import type Sqlite from 'better-sqlite3';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { Database } from './database.ts';
import type { LoggedMessage } from './message-log.ts';
import type { SnapshotBatchMetrics } from './metrics.ts';
import { appendStatement, searchIndexStatement } from './message-log.sql.ts';

export type Snapshot<S> = {
  readonly state: S;
  readonly epoch: number;
  readonly version: number;
  /** Effects the writer had not carried out yet (see SaveInput.outbox). */
  readonly outbox: readonly unknown[];
  /** Messages the external log had not confirmed yet (see SaveInput.unlogged). */
  readonly unlogged: readonly LoggedMessage[];
};

export type SaveResult = 'saved' | 'fenced';

export type SaveInput<S> = {
  kind: string;
  actorId: string;
  tenantId: string;
  shard: number;
  epoch: number;
  state: S;
  /** `state` as JSON, when the caller has it already (written as it is, not made again). */
  stateJson?: string;
  /** The actor's earliest pending timer (epoch ms), so a new owner can re-arm it. */
  nextTimerAt: number | null;
  /** A key other actors find this one by (see ActorKind.indexKey), or null. */
  indexKey?: string | null;
  /** Effects that must still be carried out if the writer dies now (the next owner does them). */
  outbox?: readonly unknown[];
  /** Messages this decision appended to the message log: written in the snapshot's transaction, and only if it is (embedded mode). */
  journal?: readonly LoggedMessage[];
  /** Messages committed with this snapshot that the external message log (cluster mode) has not confirmed yet: a next owner appends them again. */
  unlogged?: readonly LoggedMessage[];
  now: Date;
};

type Pending = { input: SaveInput<unknown>; json: string; resolve: (r: SaveResult) => void; reject: (e: unknown) => void };

/** A batch ends at this many rows or this much state text, whichever comes first (MySQL's default max_allowed_packet is 16 MiB). */
const MAX_BATCH_ROWS = 500;
const MAX_BATCH_CHARS = 4 * 1024 * 1024;

/**
 * On SQLite a batch runs as statements of at most this many rows: a prepared statement serves one
 * row count, so at most this many shapes of each statement are ever prepared (and kept).
 */
const SQLITE_ROWS_PER_STATEMENT = 32;

const COLUMNS = 'kind, actor_id, tenant_id, shard, next_timer_at, index_key, epoch, version, state, outbox, unlogged, updated_at';

/** Columns a newer-or-equal epoch overwrites; `epoch` itself is assigned last (see #upsertSql). */
const OVERWRITTEN = ['state', 'outbox', 'unlogged', 'next_timer_at', 'index_key', 'updated_at'] as const;

const compareKeys = (a: SaveInput<unknown>, b: SaveInput<unknown>): number =>
  a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.actorId < b.actorId ? -1 : a.actorId > b.actorId ? 1 : 0;

export class ActorStore {
  readonly #em: EntityManager;
  readonly #dialect: Database['dialect'];
  #pending: Pending[] = [];
  #writing = false;
  /** Embedded mode: the better-sqlite3 handle under MikroORM's connection, and the statements prepared on it by SQL text. */
  #sqlite: Sqlite.Database | null = null;
  /** Cluster mode: the database's connections that take several statements per round trip. */
  readonly #batchPool: Pool | null;
  readonly #prepared = new Map<string, Sqlite.Statement>();
  readonly #metrics: SnapshotBatchMetrics | null;

  constructor(database: Database, metrics: SnapshotBatchMetrics | null = null) {
    this.#em = database.orm.em.fork();
    this.#dialect = database.dialect;
    this.#batchPool = database.batchPool;
    this.#metrics = metrics;
  }

  async load<S>(kind: string, actorId: string): Promise<Snapshot<S> | null> {
    const rows = await this.#em
      .getConnection()
      .execute<{ epoch: number | string; version: number; state: string; outbox: string | null; unlogged: string | null }[]>(
        'select epoch, version, state, outbox, unlogged from kefu_actor_state where kind = ? and actor_id = ?',
        [kind, actorId],
        'all',
      );
    const row = rows[0];
    if (!row) return null;
    return {
      state: JSON.parse(row.state) as S,
      epoch: Number(row.epoch),
      version: row.version,
      outbox: row.outbox ? (JSON.parse(row.outbox) as unknown[]) : [],
      unlogged: row.unlogged ? (JSON.parse(row.unlogged) as LoggedMessage[]) : [],
    };
  }

  /** Stores the snapshot unless a newer owner (higher epoch) has written since; resolves after commit. */
  save<S>(input: SaveInput<S>): Promise<SaveResult> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ input: input as SaveInput<unknown>, json: input.stateJson ?? JSON.stringify(input.state), resolve, reject });
      if (!this.#writing) void this.#writeBatches();
    });
  }

  async #writeBatches(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#pending.length > 0) {
        // Rows in one order on every node: two batches locking the same rows cannot deadlock.
        const batch = this.#takeBatch().sort((a, b) => compareKeys(a.input, b.input));
        try {
          const startedAt = performance.now();
          const results = await this.#write(batch);
          this.#metrics?.written(batch.length, (performance.now() - startedAt) / 1000);
          batch.forEach((item, i) => item.resolve(results[i]!));
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
        // Let the answered saves' callers run (their next commands reach the actors through the
        // event loop, not as microtasks) before the next batch is taken: batches grow from tens of
        // rows to about a hundred, and fewer commits carry the same load.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.#writing = false;
    }
  }

  #takeBatch(): Pending[] {
    let chars = 0;
    let n = 0;
    while (n < this.#pending.length && n < MAX_BATCH_ROWS && (n === 0 || chars < MAX_BATCH_CHARS)) {
      const { json, input } = this.#pending[n]!;
      chars += json.length + [...(input.journal ?? []), ...(input.unlogged ?? [])].reduce((sum, m) => sum + m.text.length, 0);
      n++;
    }
    return this.#pending.splice(0, n);
  }

  /** One transaction: the conditional upsert, the stored epochs (written or fenced), the journal of the written saves. */
  #write(batch: readonly Pending[]): Promise<SaveResult[]> {
    return this.#dialect === 'sqlite' ? this.#writeSqlite(batch) : this.#writeMysql(batch);
  }

  async #writeMysql(batch: readonly Pending[]): Promise<SaveResult[]> {
    const inputs = batch.map((p) => p.input);
    const epochs = storedEpochQueries(inputs);
    const conn = await this.#batchPool!.getConnection();
    let open = false;
    let results: SaveResult[];
    try {
      // One round trip: begin, the upsert, the stored epochs — and the commit too, unless there is a journal to write.
      const journaled = inputs.some((i) => (i.journal?.length ?? 0) > 0);
      const first = ['start transaction', this.#upsertSql(batch.length), ...epochs.map((q) => q.sql), ...(journaled ? [] : ['commit'])];
      open = true;
      const [replies] = await conn.query<RowDataPacket[][]>(first.join(';\n'), [...batch.flatMap(rowOf), ...epochs.flatMap((q) => q.params)]);
      const stored = new Map<string, number>();
      for (const rows of replies.slice(2, 2 + epochs.length)) for (const r of rows as unknown as StoredEpoch[]) stored.set(keyOf(r.kind, r.actor_id), Number(r.epoch));
      results = outcomes(inputs, stored);
      if (journaled) {
        const appends = [...chunks(journalOf(inputs, results), MAX_BATCH_ROWS)].map((messages) => appendStatement(this.#dialect, messages));
        await conn.query([...appends.map((a) => a.sql), 'commit'].join(';\n'), appends.flatMap((a) => a.params));
      }
      open = false;
    } catch (error) {
      // A statement failed with the transaction open (or the connection broke): roll back, or
      // drop the connection if even that fails — the server rolls back what it had.
      const usable = !open || (await conn.query('rollback').then(() => true, () => false));
      if (usable) conn.release();
      else conn.destroy();
      throw error;
    }
    conn.release();
    return results;
  }

  async #writeSqlite(batch: readonly Pending[]): Promise<SaveResult[]> {
    const db = (this.#sqlite ??= await nativeSqlite(this.#em));
    // A MikroORM transaction on the same handle may be open (begun, waiting between its
    // statements): written now, this batch would become part of it — and roll back with it. Once
    // none is open, the batch runs to its commit without yielding, so none can begin meanwhile.
    while (db.inTransaction) await new Promise((resolve) => setImmediate(resolve));
    const run = (sql: string, params: unknown[]) => this.#statement(db, sql).run(params.map(sqliteValue));
    const inputs = batch.map((p) => p.input);
    return db
      .transaction(() => {
        for (const rows of chunks(batch, SQLITE_ROWS_PER_STATEMENT)) run(this.#upsertSql(rows.length), rows.flatMap(rowOf));
        const stored = new Map<string, number>();
        for (const ofInputs of chunks(inputs, SQLITE_ROWS_PER_STATEMENT)) {
          for (const { sql, params } of storedEpochQueries(ofInputs)) {
            for (const r of this.#statement(db, sql).all(params) as StoredEpoch[]) stored.set(keyOf(r.kind, r.actor_id), Number(r.epoch));
          }
        }
        const results = outcomes(inputs, stored);
        for (const messages of chunks(journalOf(inputs, results), SQLITE_ROWS_PER_STATEMENT)) {
          const append = appendStatement(this.#dialect, messages);
          run(append.sql, append.params);
          const index = searchIndexStatement(messages);
          run(index.sql, index.params);
        }
        return results;
      })
      .immediate();
  }

  #statement(db: Sqlite.Database, sql: string): Sqlite.Statement {
    let statement = this.#prepared.get(sql);
    if (!statement) this.#prepared.set(sql, (statement = db.prepare(sql)));
    return statement;
  }

  #upsertSql(rows: number): string {
    const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)').join(', ');
    const insert = `insert into kefu_actor_state (${COLUMNS}) values ${values}`;
    if (this.#dialect === 'sqlite') {
      const set = OVERWRITTEN.map((c) => `${c} = excluded.${c}`).join(', ');
      return `${insert} on conflict (kind, actor_id) do update set ${set}, version = kefu_actor_state.version + 1, epoch = excluded.epoch where excluded.epoch >= kefu_actor_state.epoch`;
    }
    // MySQL evaluates these assignments left to right, each seeing the columns already assigned:
    // every condition reads the old epoch because `epoch` is assigned last.
    const newer = 'values(epoch) >= epoch';
    const set = OVERWRITTEN.map((c) => `${c} = if(${newer}, values(${c}), ${c})`).join(', ');
    return `${insert} on duplicate key update ${set}, version = if(${newer}, version + 1, version), epoch = if(${newer}, values(epoch), epoch)`;
  }

  /** The stored states of the actors of a kind with this index key (committed writes only). */
  async findByIndex<S>(kind: string, indexKey: string): Promise<{ actorId: string; state: S }[]> {
    const rows = await this.#em
      .getConnection()
      .execute<{ actor_id: string; state: string }[]>('select actor_id, state from kefu_actor_state where kind = ? and index_key = ?', [kind, indexKey], 'all');
    return rows.map((r: { actor_id: string; state: string }) => ({ actorId: r.actor_id, state: JSON.parse(r.state) as S }));
  }

  /** Actors of these shards with a pending timer: what a new owner must re-arm. */
  async pendingTimers(kind: string, shards: readonly number[]): Promise<{ actorId: string; at: number }[]> {
    if (shards.length === 0) return [];
    const rows = await this.#em
      .getConnection()
      .execute<{ actor_id: string; next_timer_at: number | string }[]>(
        `select actor_id, next_timer_at from kefu_actor_state where kind = ? and shard in (${shards.map(() => '?').join(', ')}) and next_timer_at is not null`,
        [kind, ...shards],
        'all',
      );
    return rows.map((r: { actor_id: string; next_timer_at: number | string }) => ({ actorId: r.actor_id, at: Number(r.next_timer_at) }));
  }
}

type StoredEpoch = { kind: string; actor_id: string; epoch: number | string };

const keyOf = (kind: string, actorId: string) => `${kind}\0${actorId}`;

/** A save's row of the upsert, in COLUMNS order (`version` is a literal). */
const rowOf = ({ input: i, json }: Pending): unknown[] => [
  i.kind,
  i.actorId,
  i.tenantId,
  i.shard,
  i.nextTimerAt,
  i.indexKey ?? '',
  i.epoch,
  json,
  i.outbox && i.outbox.length > 0 ? JSON.stringify(i.outbox) : null,
  i.unlogged && i.unlogged.length > 0 ? JSON.stringify(i.unlogged) : null,
  i.now,
];

/** The reads of the epochs stored for these saves' actors, one per kind. */
const storedEpochQueries = (inputs: readonly SaveInput<unknown>[]): { sql: string; params: unknown[] }[] =>
  [...Map.groupBy(inputs, (i) => i.kind)].map(([kind, ofKind]) => ({
    sql: `select kind, actor_id, epoch from kefu_actor_state where kind = ? and actor_id in (${ofKind.map(() => '?').join(', ')})`,
    params: [kind, ...ofKind.map((i) => i.actorId)],
  }));

/** The row now holds the save's epoch (written) or a newer one (a newer owner wrote first: fenced). */
const outcomes = (inputs: readonly SaveInput<unknown>[], stored: ReadonlyMap<string, number>): SaveResult[] =>
  inputs.map((i) => ((stored.get(keyOf(i.kind, i.actorId)) ?? Infinity) > i.epoch ? 'fenced' : 'saved'));

/** The messages of the written saves, each with its writer's epoch. */
const journalOf = (inputs: readonly SaveInput<unknown>[], results: readonly SaveResult[]) =>
  inputs.flatMap((i, n) => (results[n] === 'saved' ? (i.journal ?? []).map((m) => ({ ...m, epoch: i.epoch })) : []));

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let from = 0; from < items.length; from += size) yield items.slice(from, from + size);
}

/** A parameter as better-sqlite3 binds it, stored as MikroORM stores it on SQLite (a date as epoch ms). */
const sqliteValue = (value: unknown): unknown => (value instanceof Date ? value.getTime() : typeof value === 'boolean' ? Number(value) : value);

async function nativeSqlite(em: EntityManager): Promise<Sqlite.Database> {
  const connection = em.getConnection() as unknown as { getNativeClient(): Promise<Sqlite.Database> };
  return connection.getNativeClient();
}
