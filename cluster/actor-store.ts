/**
 * Durable snapshots of sharded actors, written with a fencing condition: a snapshot is stored only
 * if the writer's epoch is at least the epoch of the snapshot already stored. A former owner that
 * lost its lease (paused, partitioned) has a lower epoch than the new owner's first write, so its
 * late write is refused and it learns it must deactivate.
 *
 * One implementation for both run modes: plain SQL through MikroORM's connection, valid on SQLite
 * and MySQL/MariaDB alike.
 */
import type { EntityManager } from '@mikro-orm/core';

export type Snapshot<S> = { readonly state: S; readonly epoch: number; readonly version: number };

export type SaveResult = 'saved' | 'fenced';

export class ActorStore {
  readonly #em: EntityManager;

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

  /** Stores the snapshot unless a newer owner (higher epoch) has written since. */
  async save<S>(input: { kind: string; actorId: string; tenantId: string; epoch: number; state: S; now: Date }): Promise<SaveResult> {
    const conn = this.#em.getConnection();
    const state = JSON.stringify(input.state);
    for (let attempt = 0; attempt < 2; attempt++) {
      const updated = await conn.execute<{ affectedRows: number }>(
        'update kefu_actor_state set state = ?, epoch = ?, version = version + 1, updated_at = ? where kind = ? and actor_id = ? and epoch <= ?',
        [state, input.epoch, input.now, input.kind, input.actorId, input.epoch],
        'run',
      );
      if (updated.affectedRows > 0) return 'saved';
      const existing = await this.#epochOf(input.kind, input.actorId);
      if (existing !== null) return 'fenced'; // the row exists with a higher epoch
      try {
        await conn.execute(
          'insert into kefu_actor_state (kind, actor_id, tenant_id, epoch, version, state, updated_at) values (?, ?, ?, ?, 1, ?, ?)',
          [input.kind, input.actorId, input.tenantId, input.epoch, state, input.now],
          'run',
        );
        return 'saved';
      } catch (error) {
        // Someone inserted first: decide again against their row.
        if (attempt === 1 || !isDuplicate(error)) throw error;
      }
    }
    return 'fenced';
  }

  async #epochOf(kind: string, actorId: string): Promise<number | null> {
    const rows = await this.#em
      .getConnection()
      .execute<{ epoch: number | string }[]>('select epoch from kefu_actor_state where kind = ? and actor_id = ?', [kind, actorId], 'all');
    return rows[0] ? Number(rows[0].epoch) : null;
  }
}

function isDuplicate(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string };
  return e?.name === 'UniqueConstraintViolationException' || e?.code === 'ER_DUP_ENTRY' || /UNIQUE constraint failed|Duplicate entry/i.test(e?.message ?? '');
}
