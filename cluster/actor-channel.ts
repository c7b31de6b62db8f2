/**
 * Commands to actors owned by other nodes, and their answers, in batches over Moleculer events.
 *
 * Why not one Moleculer request per command: each one is a request and a response packet, a NATS
 * write and a Moleculer context on both nodes — at a few thousand chat messages a second that was
 * most of a gateway's CPU (docs/benchmarks.md, "Gateway"). Instead every node with an ActorClient
 * runs one service, `actor-channel.<nodeId>`. The commands this node sends to one node during one
 * turn of the event loop travel as one `actor-channel.commands` event; the answers it has ready for
 * one node in one turn go back as one `actor-channel.answers` event.
 *
 * Each answer leaves as soon as its own command is done. A batch is never answered as a whole: a
 * slow command (an activation, a shard being handed over, an effect waiting on another actor) holds
 * up no other one — and two actors waiting on each other through one batch cannot deadlock.
 *
 * The guarantees are those of a Moleculer request:
 * - the commands one node sends to one actor arrive in the order they were sent (one NATS
 *   connection per node; the owner posts each batch's commands to the mailboxes in order);
 * - a command is answered once, or its caller gives up: after the timeout (REQUEST_TIMEOUT), when
 *   the owner node leaves (REQUEST_REJECTED), or at once when the owner is not a live node
 *   (SERVICE_NOT_AVAILABLE) — all three retryable. An answer nobody waits for any more is dropped;
 * - only the node a command went to can answer it;
 * - errors cross as Moleculer's plain errors and are restored by its error regenerator: callers
 *   branch on `type`, as for any Moleculer error.
 *
 * A batch is bounded in commands and in (JSON) bytes (turn-batches.ts); a malformed batch from the
 * wire changes nothing (its well-formed items are answered, the rest get a
 * VALIDATION_ERROR when they carry an id, and nothing otherwise).
 */
import { Errors, type ServiceBroker, type ServiceSchema } from 'moleculer';
import { ActorError } from './actor-errors.ts';
import type { Delivered } from './actor-host.ts';
import { MAX_BATCH_ITEMS, TurnBatches } from './turn-batches.ts';

export const actorChannelName = (nodeId: string): string => `actor-channel.${nodeId}`;
const COMMANDS_EVENT = 'actor-channel.commands';
const ANSWERS_EVENT = 'actor-channel.answers';

/** Where a node's own actors are: the hosts of ActorRuntime, by kind. */
export type LocalHosts = ReadonlyMap<string, { deliver(actorId: string, command: unknown): Promise<Delivered<unknown>> }>;

type CommandItem = { readonly id: number; readonly kind: string; readonly actorId: string; readonly command: unknown };
type PlainError = Record<string, unknown>;
type AnswerItem = { readonly id: number; readonly delivered: Delivered<unknown> } | { readonly id: number; readonly error: PlainError };
type Pending = {
  readonly resolve: (delivered: Delivered<unknown>) => void;
  readonly reject: (error: unknown) => void;
  readonly node: string;
  readonly deadline: number;
};

export class ActorChannel {
  readonly #broker: ServiceBroker;
  readonly #hosts: LocalHosts;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #commands = new TurnBatches<CommandItem>((node, items) => this.#sendCommands(node, items));
  readonly #answers = new TurnBatches<AnswerItem>((node, items) => this.#sendAnswers(node, items));
  #nextId = 1;
  #sweeper: NodeJS.Timeout | null = null;

  /** Creates the node's channel service; call once per broker, before it starts. */
  constructor(broker: ServiceBroker, hosts: LocalHosts, timeoutMs: number) {
    this.#broker = broker;
    this.#hosts = hosts;
    this.#timeoutMs = timeoutMs;
    broker.createService(this.#schema());
  }

  /** Sends a command to the actor's owner `node` (another node); settles with its answer. */
  send(node: string, kind: string, actorId: string, command: unknown): Promise<Delivered<unknown>> {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending.set(id, { resolve, reject, node, deadline: performance.now() + this.#timeoutMs });
      this.#commands.add(node, { id, kind, actorId, command });
    });
  }

  /** Commands waiting for their answer (tests). */
  get pendingCount(): number {
    return this.#pending.size;
  }

  #sendCommands(node: string, items: CommandItem[]): void {
    if (!this.#broker.registry.nodes.get(node)?.available) {
      this.#fail(items, () => new Errors.ServiceNotAvailableError({ action: COMMANDS_EVENT, nodeID: node }));
      return;
    }
    this.#broker.emit(COMMANDS_EVENT, { items }, { groups: [actorChannelName(node)], throwError: true }).catch((error: unknown) => {
      this.#broker.logger.warn(`actor channel: ${items.length} command(s) to ${node} not sent:`, (error as Error).message);
      this.#fail(items, () => new Errors.RequestRejectedError({ action: COMMANDS_EVENT, nodeID: node }));
    });
  }

  #sendAnswers(node: string, items: AnswerItem[]): void {
    // An answer that cannot go is given up: its caller times out and sends the command again (commands are idempotent).
    this.#broker.emit(ANSWERS_EVENT, { items }, { groups: [actorChannelName(node)], throwError: true }).catch((error: unknown) => {
      this.#broker.logger.warn(`actor channel: ${items.length} answer(s) to ${node} not sent:`, (error as Error).message);
    });
  }

  #fail(items: readonly CommandItem[], error: () => Error): void {
    for (const { id } of items) {
      const pending = this.#pending.get(id);
      if (!pending) continue;
      this.#pending.delete(id);
      pending.reject(error());
    }
  }

  /** Commands from another node: each posted to its host in order, each answered when done. */
  #receiveCommands(from: string, batch: unknown): void {
    const items = (batch as { items?: unknown } | null)?.items;
    if (!Array.isArray(items) || items.length > MAX_BATCH_ITEMS) {
      this.#broker.logger.warn(`actor channel: a malformed batch of commands from ${from} was dropped`);
      return;
    }
    for (const item of items as unknown[]) {
      const { id, kind, actorId, command } = (typeof item === 'object' && item !== null ? item : {}) as Partial<Record<keyof CommandItem, unknown>>;
      if (typeof id !== 'number' || !Number.isSafeInteger(id)) continue; // nothing to answer to
      const answer = (settled: { delivered: Delivered<unknown> } | { error: unknown }): void =>
        this.#answers.add(from, 'error' in settled ? { id, error: this.#plain(settled.error) } : { id, delivered: settled.delivered });
      const host = typeof kind === 'string' ? this.#hosts.get(kind) : undefined;
      if (!host) {
        answer({ error: typeof kind === 'string' ? ActorError.redirect(kind, String(actorId), null) : new Errors.ValidationError('a command names its actor kind', 'VALIDATION_ERROR', {}) });
        continue;
      }
      // The host checks the id and the command (as for commands of this node).
      host.deliver(actorId as string, command).then(
        (delivered) => answer({ delivered }),
        (error: unknown) => answer({ error }),
      );
    }
  }

  #receiveAnswers(from: string, batch: unknown): void {
    const items = (batch as { items?: unknown } | null)?.items;
    if (!Array.isArray(items)) return;
    for (const item of items as unknown[]) {
      const id = (item as { id?: unknown } | null)?.id;
      const pending = typeof id === 'number' ? this.#pending.get(id) : undefined;
      if (!pending || pending.node !== from) continue;
      this.#pending.delete(id as number);
      const answer = item as AnswerItem;
      if ('error' in answer) pending.reject(this.#broker.errorRegenerator!.restore(answer.error as never, { sender: from }));
      else pending.resolve(answer.delivered);
    }
  }

  #plain(error: unknown): PlainError {
    const plain = this.#broker.errorRegenerator!.extractPlainError(error as Error, {}) as unknown as PlainError;
    delete plain['stack']; // the caller restores the error to branch on its type; a stack from another node helps nobody there
    return plain;
  }

  #expire(): void {
    const now = performance.now();
    // Every command has the same timeout, so the map (in sending order) is in deadline order.
    for (const [id, pending] of this.#pending) {
      if (pending.deadline > now) break;
      this.#pending.delete(id);
      pending.reject(new Errors.RequestTimeoutError({ action: COMMANDS_EVENT, nodeID: pending.node }));
    }
  }

  /** Fails with REQUEST_REJECTED the commands waiting for answers from `node`, or from any node (null). */
  #giveUp(node: string | null): void {
    for (const [id, pending] of this.#pending) {
      if (node !== null && pending.node !== node) continue;
      this.#pending.delete(id);
      pending.reject(new Errors.RequestRejectedError({ action: COMMANDS_EVENT, nodeID: pending.node }));
    }
  }

  #schema(): ServiceSchema {
    return {
      name: actorChannelName(this.#broker.nodeID),
      events: {
        [COMMANDS_EVENT]: { handler: (ctx: { nodeID: string | null; params: unknown }) => this.#receiveCommands(ctx.nodeID ?? '', ctx.params) },
        [ANSWERS_EVENT]: { handler: (ctx: { nodeID: string | null; params: unknown }) => this.#receiveAnswers(ctx.nodeID ?? '', ctx.params) },
        '$node.disconnected': {
          handler: (ctx: { params: { node?: { id?: string } } }) => {
            if (ctx.params.node?.id) this.#giveUp(ctx.params.node.id);
          },
        },
      },
      started: () => {
        this.#sweeper = setInterval(() => this.#expire(), Math.min(1_000, Math.max(10, this.#timeoutMs / 4)));
        this.#sweeper.unref();
      },
      stopped: () => {
        if (this.#sweeper) clearInterval(this.#sweeper);
        this.#giveUp(null);
      },
    };
  }
}
