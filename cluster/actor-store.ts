/**
 * Durable snapshots of sharded actors, written with a fencing condition: a snapshot is stored only
 * if the writer's epoch is at least the epoch of the snapshot already stored. A former owner that
 * lost its lease (paused, partitioned) has a lower epoch than the new owner's first write, so its
 * late write is refused and it learns it must deactivate.
 *
 * One implementation for both run modes, through MikroORM's connection; the only dialect-specific
 * SQL is the conditional upsert (MySQL/MariaDB `on duplicate key update`, SQLite `on conflict`).
 *
 * Group commit: saves requested while a batch is being written wait for the next one. A batch is
 * one transaction: one multi-row upsert statement — each row written only if its epoch is at least
 * the stored one — then one read of the stored epochs tells each save whether it was written or
 * fenced, then the journal (message log rows) of the written ones. A save resolves only after its
 * batch committed. Each actor has at most one save in flight (its mailbox
 * runs one command at a time), so a batch never holds two writes of one actor.
 */
import type { EntityManager } from '@mikro-orm/core';
import type { Database } from './database.ts';
import type { LoggedMessage } from './message-log.ts';
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

  constructor(database: Database) {
    this.#em = database.orm.em.fork();
    this.#dialect = database.dialect;
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
      this.#pending.push({ input: input as SaveInput<unknown>, json: JSON.stringify(input.state), resolve, reject });
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
          const results = await this.#write(batch);
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
  async #write(batch: readonly Pending[]): Promise<SaveResult[]> {
    const conn = this.#em.getConnection();
    const params = batch.flatMap(({ input: i, json }) => [
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
    ]);
    const inputs = batch.map((p) => p.input);
    return conn.transactional(async (trx) => {
      await conn.execute(this.#upsertSql(batch.length), params, 'run', trx);
      const stored = new Map<string, number>();
      for (const [kind, ofKind] of Map.groupBy(inputs, (i) => i.kind)) {
        const rows = await conn.execute<{ actor_id: string; epoch: number | string }[]>(
          `select actor_id, epoch from kefu_actor_state where kind = ? and actor_id in (${ofKind.map(() => '?').join(', ')})`,
          [kind, ...ofKind.map((i) => i.actorId)],
          'all',
          trx,
        );
        for (const r of rows) stored.set(`${kind}\0${r.actor_id}`, Number(r.epoch));
      }
      // The row now holds our epoch (written) or a newer one (a newer owner wrote first: fenced).
      const results = inputs.map((i): SaveResult => ((stored.get(`${i.kind}\0${i.actorId}`) ?? Infinity) > i.epoch ? 'fenced' : 'saved'));
      const journal = inputs.flatMap((i, n) => (results[n] === 'saved' ? (i.journal ?? []).map((m) => ({ ...m, epoch: i.epoch })) : []));
      for (let from = 0; from < journal.length; from += MAX_BATCH_ROWS) {
        const chunk = journal.slice(from, from + MAX_BATCH_ROWS);
        const { sql, params: values } = appendStatement(this.#dialect, chunk);
        await conn.execute(sql, values, 'run', trx);
        if (this.#dialect === 'sqlite') {
          const index = searchIndexStatement(chunk);
          await conn.execute(index.sql, index.params, 'run', trx);
        }
      }
      return results;
    });
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
