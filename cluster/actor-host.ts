/**
 * Hosts the actors of one kind on one node: the owner side of the actor runtime.
 *
 * For each command: find the shard; if placement says another node owns it, answer with a
 * retryable redirect; if it is ours but the lease is still being handed over, wait for it (the
 * command is buffered, not lost). Then, inside the actor's mailbox: activate (durable snapshot, or a
 * new actor), decide, commit the new snapshot under the lease's epoch, and only if the commit
 * succeeded before the lease deadline, run the effects and answer. A commit refused by the fencing
 * condition means a newer owner exists: the actor is dropped and the caller retries elsewhere.
 *
 * Timers live in the actor's state; after every commit the host re-arms them, and stores the
 * earliest one with the snapshot so that a new owner of the shard re-arms it too — a
 * conversation's auto-close still fires after its owner died.
 *
 * Effects other actors rely on (`outboxKey`) go through the actor's outbox: they are written
 * with the snapshot that decided them, stay in the outbox until sent, are retried while this node
 * owns the actor, and are sent again by whichever node activates the actor from a snapshot whose
 * outbox is not empty. A commit is therefore never followed by a lost message, even if the node
 * dies (or its lease lapses) between the commit and the send.
 *
 * Messages (`journal`) are committed one of two ways. Without an external log (embedded mode) they
 * are written in the snapshot's transaction. With one (Kafka, cluster mode) the snapshot lists them
 * as `unlogged`, and after it committed they are appended to the log — within the lease — before
 * anything is answered; an append that fails answers a retryable error and drops the actor, whose
 * next activation (here or on a new owner) appends the snapshot's `unlogged` messages again. A new
 * owner (a higher epoch than the snapshot's) first appends a claim (see message-log.ts).
 */
import { Errors } from 'moleculer';
import type { Counter } from 'prom-client';
import type { Decision, Rejection } from '../actors/kernel/decision.ts';
import { isRejection } from '../actors/kernel/decision.ts';
import { ActorError } from './actor-errors.ts';
import { LogUnavailableError, type ExternalMessageLog, type LogEntry, type LoggedMessage } from './message-log.ts';
import type { ActorMetrics } from './metrics.ts';
import type { ActorStore } from './actor-store.ts';
import { Mailboxes } from './mailbox.ts';
import { ownerOf, shardOf } from './placement.ts';
import type { Lease } from './shard-leases.ts';
import type { ShardOwnership } from './shard-ownership.ts';

/** What the runtime needs to know about an actor kind; the pure machine does the rest. */
export type ActorKind<S, C, E> = {
  readonly kind: string;
  /** The state of an actor that has no snapshot yet, or a rejection (e.g. unknown id). */
  initial(actorId: string, command: C, now: number): S | Rejection;
  decide(state: S, command: C, now: number): Decision<S, E>;
  tenantOf(state: S): string;
  /** The timers pending in a state (as of `now`), with the command each delivers when due. */
  timers(state: S, now: number): readonly { readonly at: number; readonly command: C }[];
  /**
   * Carries out a decision's effects after its commit (messages to other actors, pushes …), given
   * the state they came with. It runs inside the actor's mailbox: it must not wait for answers
   * from actors that may in turn message this one (send without awaiting instead).
   */
  runEffects(actorId: string, effects: readonly E[], state: S): Promise<void>;
  /**
   * Optional: which effects must be carried out even if this node dies right after the commit
   * (messages other actors rely on) — those get an outbox key; the others null. For these,
   * `runEffects` is called one effect at a time and must settle when the effect was carried out —
   * reject if it could not be — so the host keeps it in the outbox until then. A newer effect with
   * the key of one still in the outbox replaces it (only the latest availability report matters).
   * Receivers must be idempotent: an effect may be carried out twice.
   */
  outboxKey?(effect: E): string | null;
  /**
   * Optional: the messages a decision appends to the message log (cluster/message-log.ts). They are
   * written in the same transaction as the snapshot, so they are durable exactly when the decision
   * is committed — before any effect (an ack, a push) tells anyone about them.
   */
  journal?(effects: readonly E[], state: S): readonly LoggedMessage[];
  /** Optional, with `journal`: the claim a new owner appends to an external log before anything else (message-log.ts). */
  logClaim?(state: S, now: number): Extract<LogEntry, { type: 'claim' }>;
  /**
   * Optional, with `journal`: called when activation appended messages a former writer had
   * committed but not got confirmed by the external log — nobody was told about them yet. It must
   * only send (e.g. push them), never wait for answers.
   */
  logged?(actorId: string, messages: readonly LoggedMessage[], state: S): void;
  /**
   * Optional: the part of the state written to the snapshot (default: all of it), and how to
   * rebuild the whole state from it — for actors whose state is mostly derivable from other actors
   * (a queue's waiting list from its queued conversations) and would be costly to rewrite on every
   * command.
   */
  persisted?(state: S): unknown;
  /**
   * Optional, with `persisted`: a command that leaves the persisted part as it was writes nothing
   * (the host keeps the JSON it last wrote to compare) — for kinds whose commands mostly change what
   * is not persisted, like a queue's waiting list. Not for kinds with many actors whose persisted
   * part changes with most commands: keeping every actor's last JSON costs more than it saves.
   */
  skipUnchangedWrites?: boolean;
  restore?(stored: unknown, actorId: string, find: FindByIndex): Promise<S>;
  /** Optional: a key under which other actors' `restore` can find this actor (e.g. `queued:<group>`). */
  indexKey?(state: S): string | null;
  /**
   * Optional: called after an actor was activated from its snapshot (a move, a failover, a
   * restart), to refresh what `persisted` left out (e.g. ask agents to report again). It must only
   * send, never wait for answers.
   */
  activated?(actorId: string, state: S): void;
  /**
   * Optional: whether an idle actor stays in memory anyway (default: no) — a live conversation, an
   * online agent — so what the node counts of them (metrics) is what is live, not what was busy lately.
   */
  keepActive?(state: S): boolean;
};

/**
 * Told of every committed decision, after its commit and before its effects run (metrics). `before`
 * is the state the decision started from (a new actor's initial state). Must not throw or wait.
 */
export type CommitListener<S, C> = (actorId: string, before: S, after: S, command: C, now: number) => void;

/** Committed states of the actors of a kind filed under an index key. */
export type FindByIndex = (kind: string, indexKey: string) => Promise<{ actorId: string; state: unknown }[]>;

export type Delivered<E> = { readonly ok: true; readonly effects: readonly E[] } | (Rejection & { readonly ok: false });

type Active<S, E> = {
  state: S;
  epoch: number;
  shard: number;
  lastUsed: number;
  /** What was last written (kinds with `skipUnchangedWrites`): a command that leaves it unchanged writes nothing. */
  persistedJson?: string;
  /** Effects decided and committed but not carried out yet (see the module comment). */
  outbox: readonly E[];
  /**
   * The stored snapshot still lists as unlogged messages the external log has confirmed since:
   * passivation rewrites it without them, so a later activation does not append (and announce)
   * them again.
   */
  loggedButListed?: boolean;
};

/** The longest actor id (the snapshot table's key column). */
const MAX_ACTOR_ID_LENGTH = 191;

/** Retries of an outbox effect while the actor stays here: 1 s, 2 s, 4 s … at most 30 s apart. */
const outboxRetryMs = (attempt: number): number => Math.min(1_000 * 2 ** attempt, 30_000);

export class ActorHost<S, C, E> {
  readonly definition: ActorKind<S, C, E>;
  readonly #store: ActorStore;
  readonly #ownership: ShardOwnership;
  readonly #mailboxes = new Mailboxes();
  readonly #active = new Map<string, Active<S, E>>();
  readonly #timers = new Map<string, NodeJS.Timeout[]>();
  readonly #clock: () => number;
  readonly #leaseWaitMs: number;
  readonly #passivateAfterMs: number;
  readonly #metrics: ActorMetrics | null;
  /** `kefu_actor_commands_total` of this kind (its label resolved once, not per command). */
  readonly #commands: Counter.Internal | null;
  readonly #log: ExternalMessageLog | null;
  #sweeper: NodeJS.Timeout | null = null;
  readonly #listeners: CommitListener<S, C>[] = [];

  constructor(options: {
    definition: ActorKind<S, C, E>;
    store: ActorStore;
    ownership: ShardOwnership;
    /** Wall clock for the domain (`now` of decisions); injectable for tests. */
    clock?: () => number;
    leaseWaitMs?: number;
    passivateAfterMs?: number;
    metrics?: ActorMetrics;
    /** Where messages are committed in cluster mode (Kafka); without it, in the snapshot's transaction. */
    log?: ExternalMessageLog | null;
  }) {
    this.definition = options.definition;
    this.#store = options.store;
    this.#ownership = options.ownership;
    this.#clock = options.clock ?? Date.now;
    this.#leaseWaitMs = options.leaseWaitMs ?? 5_000;
    this.#passivateAfterMs = options.passivateAfterMs ?? 5 * 60_000;
    this.#metrics = options.metrics ?? null;
    this.#commands = this.#metrics?.commands.labels({ kind: this.definition.kind }) ?? null;
    this.#log = options.log ?? null;
    this.#metrics?.observe(this.definition.kind, () => ({ active: this.#active.size, queued: this.#mailboxes.queued }));
  }

  /** The ownership hooks this host needs; pass them to its ShardOwnership. */
  readonly hooks = {
    gained: async (shards: readonly number[]): Promise<void> => {
      this.#metrics?.shardMoves.inc({ kind: this.definition.kind, direction: 'gained' }, shards.length);
      for (const { actorId, at } of await this.#store.pendingTimers(this.definition.kind, shards)) this.#armActivation(actorId, at);
    },
    handingOver: async (shards: readonly number[]): Promise<void> => {
      this.#metrics?.shardMoves.inc({ kind: this.definition.kind, direction: 'handed_over' }, shards.length);
      // Wait for commands already running on those actors, then forget them here.
      const leaving = [...this.#active].filter(([, a]) => shards.includes(a.shard)).map(([id]) => id);
      await Promise.all(leaving.map((id) => this.#mailboxes.post(id, () => this.#forget(id))));
      for (const id of [...this.#timers.keys()]) if (shards.includes(shardOf(id, this.#ownership.shardCount))) this.#clearTimers(id);
    },
    lost: (shards: readonly number[]): void => {
      this.#metrics?.shardMoves.inc({ kind: this.definition.kind, direction: 'lost' }, shards.length);
      for (const [id, a] of [...this.#active]) if (shards.includes(a.shard)) this.#forget(id);
      for (const id of [...this.#timers.keys()]) if (shards.includes(shardOf(id, this.#ownership.shardCount))) this.#clearTimers(id);
    },
  };

  start(): void {
    this.#sweeper = setInterval(() => this.#passivateIdle(), Math.max(1_000, this.#passivateAfterMs / 2));
    this.#sweeper.unref();
  }

  stop(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    for (const id of [...this.#timers.keys()]) this.#clearTimers(id);
    this.#active.clear();
  }

  /** Actors in memory on this node (for metrics and tests). */
  get activeCount(): number {
    return this.#active.size;
  }

  /** The states of the actors in memory on this node (read by metrics at scrape time). */
  *states(): IterableIterator<S> {
    for (const a of this.#active.values()) yield a.state;
  }

  /** Adds a listener told of every committed decision (see CommitListener). */
  onCommitted(listener: CommitListener<S, C>): void {
    this.#listeners.push(listener);
  }

  /** Delivers a command to an actor this node should own; see the module comment for the steps. */
  async deliver(actorId: string, command: C): Promise<Delivered<E>> {
    // Checked here, where every command arrives (from this node directly, from others through Moleculer).
    if (typeof actorId !== 'string' || actorId.length < 1 || actorId.length > MAX_ACTOR_ID_LENGTH) {
      throw new Errors.ValidationError(`an actor id is a string of 1 to ${MAX_ACTOR_ID_LENGTH} characters`, 'VALIDATION_ERROR', { kind: this.definition.kind });
    }
    if (typeof command !== 'object' || command === null || Array.isArray(command)) {
      throw new Errors.ValidationError('a command is an object', 'VALIDATION_ERROR', { kind: this.definition.kind, actorId });
    }
    this.#commands?.inc();
    const shard = shardOf(actorId, this.#ownership.shardCount);
    const owner = ownerOf(shard, this.#ownership.members);
    if (owner !== this.#ownership.nodeId) {
      this.#metrics?.redirects.inc({ kind: this.definition.kind });
      throw ActorError.redirect(this.definition.kind, actorId, owner);
    }
    const lease = this.#ownership.leaseFor(shard) ?? (await this.#ownership.awaitLease(shard, this.#leaseWaitMs));
    if (!lease) throw ActorError.notReady(this.definition.kind, actorId);
    return this.#mailboxes.post(actorId, () => this.#handle(actorId, shard, lease, command));
  }

  async #handle(actorId: string, shard: number, lease: Lease, command: C): Promise<Delivered<E>> {
    // The lease may have been renewed (same epoch), be waiting for a renewal running late (under
    // load), or be lost, while this command waited.
    const current = this.#ownership.leaseFor(shard) ?? (await this.#ownership.awaitLease(shard, this.#leaseWaitMs));
    if (!current || current.epoch !== lease.epoch) throw ActorError.notReady(this.definition.kind, actorId);
    const now = this.#clock();
    const actor = await this.#activate(actorId, shard, current, command, now);
    if ('rejected' in actor) return { ok: false, ...actor };
    const decision = this.definition.decide(actor.state, command, now);
    if (isRejection(decision)) return { ok: false, ...decision };
    const { outboxKey } = this.definition;
    const durable = outboxKey ? decision.effects.filter((e) => outboxKey(e) !== null) : [];
    const others = outboxKey ? decision.effects.filter((e) => outboxKey(e) === null) : decision.effects;
    const journal = this.definition.journal?.(decision.effects, decision.state) ?? [];
    if (decision.state !== actor.state || durable.length > 0 || journal.length > 0) {
      const timers = this.definition.timers(decision.state, now);
      const persisted = this.definition.persisted ? this.definition.persisted(decision.state) : decision.state;
      const persistedJson = JSON.stringify(persisted);
      const kept = this.definition.skipUnchangedWrites ? { persistedJson } : {};
      const replaced = new Set(durable.map((e) => outboxKey!(e)));
      const outbox = [...actor.outbox.filter((e) => !replaced.has(outboxKey!(e))), ...durable];
      // A queue's waiting list and its agents' loads are not durable (rebuilt on activation), so most
      // of its commands write nothing (skipUnchangedWrites).
      const writes = !this.definition.skipUnchangedWrites || persistedJson !== actor.persistedJson || durable.length > 0 || journal.length > 0;
      if (writes) {
        const saving = this.#store.save({
          ...this.#snapshot(actorId, shard, current.epoch, decision.state, outbox, now, persisted),
          stateJson: persistedJson,
          ...(this.#log ? { unlogged: journal } : { journal }),
        });
        // Whether a failed write landed is unknown (e.g. a connection lost during the commit): the
        // next command reads the actor's state back from the store instead of trusting memory.
        const saved = await saving.catch((error: unknown) => {
          this.#forget(actorId);
          throw error;
        });
        if (saved === 'fenced') {
          this.#metrics?.fencedWrites.inc({ kind: this.definition.kind });
          this.#forget(actorId);
          this.#ownership.fenced(shard);
          throw ActorError.fenced(this.definition.kind, actorId);
        }
      }
      if (this.#log && journal.length > 0) await this.#append(actorId, shard, current, journal.map((message) => ({ type: 'message', message })));
      // Acknowledge only within the lease (as renewed meanwhile, same epoch): a paused owner must
      // not answer late. (What it committed is not lost: the next activation reads the snapshot,
      // outbox included.)
      if (this.#ownership.leaseFor(shard)?.epoch !== current.epoch) {
        this.#forget(actorId);
        throw ActorError.leaseExpired(this.definition.kind, actorId);
      }
      this.#active.set(actorId, {
        state: decision.state,
        epoch: current.epoch,
        shard,
        lastUsed: performance.now(),
        outbox,
        ...kept,
        ...(this.#log && (writes ? journal.length > 0 : actor.loggedButListed) ? { loggedButListed: true } : {}),
      });
      this.#armTimers(actorId, timers);
      for (const listener of this.#listeners) {
        try {
          listener(actorId, actor.state, decision.state, command, now);
        } catch {
          // A listener (metrics) never fails a command that is committed.
        }
      }
    } else {
      actor.lastUsed = performance.now();
    }
    for (const effect of durable) this.#carryOut(actorId, effect, decision.state, 0);
    await this.definition.runEffects(actorId, others, decision.state);
    return { ok: true, effects: decision.effects };
  }

  /**
   * Sends one outbox effect; drops it from the outbox once done, retries it if it failed — as long
   * as the actor is still here under the same epoch and the effect was not replaced by a newer one.
   */
  #carryOut(actorId: string, effect: E, state: S, attempt: number): void {
    const epoch = this.#active.get(actorId)?.epoch;
    const stillOurs = () => {
      const a = this.#active.get(actorId);
      return a && a.epoch === epoch && a.outbox.includes(effect) ? a : null;
    };
    this.definition.runEffects(actorId, [effect], state).then(
      () => {
        const a = stillOurs();
        if (a) a.outbox = a.outbox.filter((e) => e !== effect);
      },
      () => {
        const t = setTimeout(() => {
          const a = stillOurs();
          if (a) this.#carryOut(actorId, effect, a.state, attempt + 1);
        }, outboxRetryMs(attempt));
        t.unref();
      },
    );
  }

  async #activate(actorId: string, shard: number, lease: Lease, command: C, now: number): Promise<Active<S, E> | Rejection> {
    const cached = this.#active.get(actorId);
    if (cached && cached.epoch === lease.epoch) return cached;
    const stopTimer = this.#metrics?.activationSeconds.startTimer({ kind: this.definition.kind });
    const snapshot = await this.#store.load<unknown>(this.definition.kind, actorId);
    if (snapshot && snapshot.epoch > lease.epoch) {
      // Someone with a newer epoch wrote this actor: our lease is stale even if its deadline is not.
      this.#ownership.fenced(shard);
      throw ActorError.fenced(this.definition.kind, actorId);
    }
    let state: S;
    if (snapshot) state = await this.#restore(actorId, snapshot.state);
    else {
      const initial = this.definition.initial(actorId, command, now);
      if (typeof initial === 'object' && initial !== null && 'rejected' in initial) return initial as Rejection;
      state = initial as S;
    }
    const relogged = this.#log && snapshot ? snapshot.unlogged : [];
    if (this.#log && snapshot) {
      const claim = snapshot.epoch < lease.epoch && this.definition.logClaim ? [this.definition.logClaim(state, now)] : [];
      await this.#append(actorId, shard, lease, [...claim, ...relogged.map((message) => ({ type: 'message' as const, message }))]);
    }
    const active: Active<S, E> = {
      state,
      epoch: lease.epoch,
      shard,
      lastUsed: performance.now(),
      outbox: this.definition.outboxKey && snapshot ? (snapshot.outbox as E[]) : [],
      ...(snapshot && this.definition.skipUnchangedWrites ? { persistedJson: JSON.stringify(snapshot.state) } : {}),
      ...(relogged.length > 0 ? { loggedButListed: true } : {}),
    };
    this.#active.set(actorId, active);
    stopTimer?.();
    // What the previous writer committed but may not have sent: send it (again).
    for (const effect of active.outbox) this.#carryOut(actorId, effect, state, 0);
    if (snapshot) this.definition.activated?.(actorId, state);
    if (relogged.length > 0) this.definition.logged?.(actorId, relogged, state);
    this.#armTimers(actorId, this.definition.timers(state, now));
    return active;
  }

  /**
   * Appends to the external log within the lease; a failure drops the actor (its snapshot lists
   * what is still unlogged) and answers a retryable error, so nothing unconfirmed is acknowledged.
   */
  async #append(actorId: string, shard: number, lease: Lease, entries: readonly LogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (this.#ownership.leaseFor(shard)?.epoch !== lease.epoch) {
      this.#forget(actorId);
      throw ActorError.leaseExpired(this.definition.kind, actorId);
    }
    try {
      await this.#log!.append(entries, { shard, epoch: lease.epoch });
    } catch (error) {
      this.#forget(actorId);
      if (error instanceof LogUnavailableError) throw ActorError.logUnavailable(this.definition.kind, actorId, error.message);
      throw error;
    }
  }

  #restore(actorId: string, stored: unknown): Promise<S> {
    const { restore } = this.definition;
    return restore ? restore(stored, actorId, (kind, key) => this.#store.findByIndex(kind, key)) : Promise.resolve(stored as S);
  }

  #forget(actorId: string): void {
    this.#active.delete(actorId);
  }

  #armTimers(actorId: string, timers: readonly { at: number; command: C }[]): void {
    this.#clearTimers(actorId);
    if (timers.length === 0) return;
    const handles = timers.map(({ at, command }) => {
      const t = setTimeout(() => void this.#fire(actorId, command), Math.max(0, at - this.#clock()));
      t.unref();
      return t;
    });
    this.#timers.set(actorId, handles);
  }

  /** A pending timer of an actor not in memory: activate it when the timer is due. */
  #armActivation(actorId: string, at: number): void {
    if (this.#active.has(actorId)) return;
    const t = setTimeout(() => void this.#wake(actorId), Math.max(0, at - this.#clock()));
    t.unref();
    this.#timers.set(actorId, [...(this.#timers.get(actorId) ?? []), t]);
  }

  async #wake(actorId: string): Promise<void> {
    const shard = shardOf(actorId, this.#ownership.shardCount);
    const lease = this.#ownership.leaseFor(shard);
    if (!lease) return;
    await this.#mailboxes
      .post(actorId, async () => {
        const snapshot = await this.#store.load<unknown>(this.definition.kind, actorId);
        if (!snapshot || snapshot.epoch > lease.epoch) return;
        const state = await this.#restore(actorId, snapshot.state);
        // Firing goes through deliver so each due timer is one ordinary command.
        for (const { at, command } of this.definition.timers(state, this.#clock())) {
          if (at <= this.#clock()) void this.#fire(actorId, command);
          else this.#armActivation(actorId, at);
        }
      })
      .catch(() => undefined);
  }

  async #fire(actorId: string, command: C): Promise<void> {
    try {
      await this.deliver(actorId, command);
    } catch {
      // Not ours any more, or the store is down: the owner re-arms it from the snapshot.
    }
  }

  #clearTimers(actorId: string): void {
    for (const t of this.#timers.get(actorId) ?? []) clearTimeout(t);
    this.#timers.delete(actorId);
  }

  #passivateIdle(): void {
    const cutoff = performance.now() - this.#passivateAfterMs;
    const { keepActive } = this.definition;
    for (const [id, a] of [...this.#active]) {
      if (a.lastUsed >= cutoff || this.#mailboxes.depth(id) > 0 || a.outbox.length > 0 || keepActive?.(a.state)) continue;
      if (!a.loggedButListed) {
        this.#active.delete(id);
        this.#metrics?.passivations.inc({ kind: this.definition.kind });
        continue;
      }
      // Rewritten without its confirmed messages first (in its mailbox: a command arriving meanwhile waits).
      void this.#mailboxes.post(id, async () => {
        const still = this.#active.get(id);
        if (still !== a || this.#ownership.leaseFor(a.shard)?.epoch !== a.epoch) return;
        const saved = await this.#store.save(this.#snapshot(id, a.shard, a.epoch, a.state, a.outbox, this.#clock())).catch(() => 'failed' as const);
        if (saved === 'saved' && this.#active.get(id) === a) {
          this.#active.delete(id);
          this.#metrics?.passivations.inc({ kind: this.definition.kind });
        }
      });
    }
  }

  /** The snapshot of an actor's state as this owner writes it (without messages); `stored` is its persisted part. */
  #snapshot(actorId: string, shard: number, epoch: number, state: S, outbox: readonly E[], now: number, stored: unknown = this.definition.persisted ? this.definition.persisted(state) : state) {
    const timers = this.definition.timers(state, now);
    return {
      kind: this.definition.kind,
      actorId,
      tenantId: this.definition.tenantOf(state),
      shard,
      epoch,
      state: stored,
      nextTimerAt: timers.length > 0 ? Math.min(...timers.map((t) => t.at)) : null,
      indexKey: this.definition.indexKey ? this.definition.indexKey(state) : null,
      outbox,
      now: new Date(now),
    };
  }
}
