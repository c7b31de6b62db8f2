/**
 * The durable snapshot of one sharded actor (conversation, agent or queue): its state as JSON, and
 * the fencing epoch of the owner that wrote it last. A write from an owner with a lower epoch than
 * the stored one is refused (see actor-store.ts).
 */
import { defineEntity, p } from '@mikro-orm/core';

export const ActorState = defineEntity({
  name: 'ActorState',
  tableName: 'kefu_actor_state',
  indexes: [{ properties: ['kind', 'shard', 'nextTimerAt'] }, { properties: ['kind', 'indexKey'] }],
  properties: {
    kind: p.string().length(32).primary(),
    actorId: p.string().length(191).primary(),
    tenantId: p.string().length(64).index(),
    /** The shard of the actor id (placement.ts): a new owner finds the actors of its shards by it. */
    shard: p.integer(),
    /** When the actor's earliest timer is due, if any: a new owner re-arms these at once. */
    nextTimerAt: p.bigint('number').nullable(),
    epoch: p.bigint('number'),
    /** Incremented by every write: makes each update change the row, and orders snapshots. */
    version: p.integer(),
    /** JSON; up to 16 MiB on MySQL (mediumtext), unbounded on SQLite. */
    state: p.text().columnType('mediumtext'),
    updatedAt: p.datetime(),
    // Added after the first release of the table: declared last, where ALTER TABLE put it.
    /**
     * A key other actors look this one up by when they rebuild (e.g. `queued:<skill group>`); ''
     * for none. (Not nullable and without a default: MikroORM's MariaDB comparator misreads the
     * default of such a column and would report a schema change forever.)
     */
    indexKey: p.string().length(191),
    /**
     * JSON list of the effects the actor's owner had not yet carried out when it wrote this
     * snapshot (sends other actors must get even if the owner dies); null for none. The next owner
     * carries them out again on activation (see actor-host.ts).
     */
    outbox: p.text().columnType('mediumtext').nullable(),
    /**
     * JSON list of the messages committed with this snapshot that the external message log (Kafka,
     * cluster mode) had not confirmed yet; null for none. The owner appends them before it answers
     * anything, and a next owner appends them again on activation (see actor-host.ts).
     */
    unlogged: p.text().columnType('mediumtext').nullable(),
  },
});
