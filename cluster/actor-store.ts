/**
 * Durable snapshots of sharded actors, written with a fencing condition: a snapshot is stored only
 * if the writer's epoch is at least the epoch of the snapshot already stored. A former owner that
 * lost its lease (paused, partitioned) has a lower epoch than the new owner's first write, so its
 * late write is refused and it learns it must deactivate.
 *
 * One implementation for both run modes: plain SQL through MikroORM's connection, valid on SQLite
 * and MySQL/MariaDB alike.
 *
 * Group commit: saves requested while a batch is being written wait for the next one, and each
 * batch is one transaction (one fsync on SQLite with synchronous=FULL, one redo-log flush on
 * InnoDB) — a save resolves only after its batch committed. Each actor has at most one save in
 * flight (its mailbox runs one command at a time), so a batch never holds two writes of one actor.
 */
import { IsolationLevel, type EntityManager, type Transaction } from '@mikro-orm/core';

export type Snapshot<S> = { readonly state: S; readonly epoch: number; readonly version: number };

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
  now: Date;
};

type Pending = { input: SaveInput<unknown>; resolve: (r: SaveResult) => void; reject: (e: unknown) => void };

const MAX_BATCH = 500;

export class ActorStore {
  readonly #em: EntityManager;
  #pending: Pending[] = [];
  #writing = false;

  constructor(em: EntityManager) {
    this.#em = em;
  }

  async load<S>(kind: string, actorId: string): Promise<Snapshot<S> | null> {
    const rows = await this.#em
      .getConnection()
      .execute<{ epoch: number | string; version: number; state: string }[]>(
        'select epoch, version, state from kefu_actor_state where kind = ? and actor_id = ?',
        [kind, actorId],
        'all',
      );
    const row = rows[0];
    if (!row) return null;
    return { state: JSON.parse(row.state) as S, epoch: Number(row.epoch), version: row.version };
  }

  /** Stores the snapshot unless a newer owner (higher epoch) has written since; resolves after commit. */
  save<S>(input: SaveInput<S>): Promise<SaveResult> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ input: input as SaveInput<unknown>, resolve, reject });
      if (!this.#writing) void this.#writeBatches();
    });
  }

  async #writeBatches(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, MAX_BATCH);
        try {
          // READ COMMITTED: a row another node inserted meanwhile must be visible to the re-read in
          // #saveOne (InnoDB's default REPEATABLE READ would show the transaction's old snapshot).
          const results = await this.#em.fork().transactional(
            async (tx) => {
              const ctx = tx.getTransactionContext<Transaction>();
              const out: SaveResult[] = [];
              for (const item of batch) out.push(await this.#saveOne(item.input, ctx));
              return out;
            },
            { isolationLevel: IsolationLevel.READ_COMMITTED },
          );
          batch.forEach((item, i) => item.resolve(results[i]!));
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.#writing = false;
    }
  }

  async #saveOne(input: SaveInput<unknown>, ctx: Transaction | undefined): Promise<SaveResult> {
    const conn = this.#em.getConnection();
    const state = JSON.stringify(input.state);
    // Update-or-insert without a dialect-specific upsert. Each round either decides, or saw the row
    // change under it (a concurrent first write) and looks again; rows only ever gain epochs, so
    // this ends within a few rounds.
    for (let round = 0; round < 5; round++) {
      const updated = await conn.execute<{ affectedRows: number }>(
        'update kefu_actor_state set state = ?, epoch = ?, next_timer_at = ?, index_key = ?, version = version + 1, updated_at = ? where kind = ? and actor_id = ? and epoch <= ?',
        [state, input.epoch, input.nextTimerAt, input.indexKey ?? '', input.now, input.kind, input.actorId, input.epoch],
        'run',
        ctx,
      );
      if (updated.affectedRows > 0) return 'saved';
      const existing = await this.#epochOf(input.kind, input.actorId, ctx);
      if (existing !== null) {
        if (existing > input.epoch) return 'fenced';
        continue; // a lower epoch was inserted between our update and our read: update again
      }
      try {
        await conn.execute(
          'insert into kefu_actor_state (kind, actor_id, tenant_id, shard, next_timer_at, index_key, epoch, version, state, updated_at) values (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)',
          [input.kind, input.actorId, input.tenantId, input.shard, input.nextTimerAt, input.indexKey ?? '', input.epoch, state, input.now],
          'run',
          ctx,
        );
        return 'saved';
      } catch (error) {
        if (!isDuplicate(error)) throw error; // someone inserted first: decide again against their row
      }
    }
    throw new Error(`could not store ${input.kind} ${input.actorId}: the row kept changing`);
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

  async #epochOf(kind: string, actorId: string, ctx: Transaction | undefined): Promise<number | null> {
    const rows = await this.#em
      .getConnection()
      .execute<{ epoch: number | string }[]>('select epoch from kefu_actor_state where kind = ? and actor_id = ?', [kind, actorId], 'all', ctx);
    return rows[0] ? Number(rows[0].epoch) : null;
  }
}

function isDuplicate(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string };
  return e?.name === 'UniqueConstraintViolationException' || e?.code === 'ER_DUP_ENTRY' || /UNIQUE constraint failed|Duplicate entry/i.test(e?.message ?? '');
}
