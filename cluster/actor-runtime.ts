/**
 * The actor runtime on Moleculer: hosts sharded actor kinds on this node (`actors.<kind>`
 * services), and sends commands to the owner of any actor from any node.
 *
 * Routing: the caller computes the owner (placement over the nodes whose registry lists the
 * kind's service) and sends the command to that node through the actor channel (actor-channel.ts:
 * commands and answers batched per node and turn of the event loop). Moleculer's own balancing is
 * bypassed on purpose (see docs/cluster.md). A non-owner answers with a retryable redirect; the
 * caller retries with backoff on a fresh view of the membership, up to a bounded number of
 * attempts, then reports ACTOR_UNREACHABLE.
 *
 * When the owner is this node, the command goes to the local host directly: the same host, checks,
 * errors and timeout, without a Moleculer context per command (≈ +25 % durable messages/s in
 * embedded mode, where every owner is local; docs/benchmarks.md). `kefu_actor_commands_total`
 * counts commands either way.
 *
 * Commands may be delivered more than once (a retry after a timeout whose first attempt did
 * commit): every command must be idempotent in its actor (client message ids, reservations by
 * conversation id, idempotent status changes).
 */
import { Errors, type ServiceBroker } from 'moleculer';
import { ActorChannel } from './actor-channel.ts';
import { ActorError, RETRYABLE_ACTOR_ERRORS } from './actor-errors.ts';
import { ActorHost, type ActorKind, type Delivered } from './actor-host.ts';
import type { ActorMetrics } from './metrics.ts';
import type { ActorStore } from './actor-store.ts';
import type { ExternalMessageLog } from './message-log.ts';
import { DEFAULT_SHARD_COUNT, ownerOfActor } from './placement.ts';
import { DEFAULT_RENEW_EVERY_MS, type ShardLeases } from './shard-leases.ts';
import { ShardOwnership } from './shard-ownership.ts';

export const actorServiceName = (kind: string): string => `actors.${kind}`;

/** The live nodes running a Moleculer service, from this node's registry, sorted. */
export function nodesRunning(broker: ServiceBroker, serviceName: string): string[] {
  const services = broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true });
  return [...new Set(services.filter((s) => s.name === serviceName && s.nodeID).map((s) => s.nodeID!))].sort();
}

/** Errors after which a different (or the same, later) owner may succeed. */
const RETRYABLE_TRANSPORT = new Set(['SERVICE_NOT_AVAILABLE', 'SERVICE_NOT_FOUND', 'REQUEST_TIMEOUT', 'REQUEST_REJECTED', 'BAD_GATEWAY']);

export type ActorClientOptions = { readonly shardCount?: number; readonly attempts?: number; readonly backoffMs?: number; readonly requestTimeoutMs?: number };

export class ActorClient {
  readonly #broker: ServiceBroker;
  readonly #shardCount: number;
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #timeoutMs: number;
  /** The hosts of this node (ActorRuntime.host), by kind: commands to actors it owns go to them directly. */
  readonly #local = new Map<string, Pick<ActorHost<unknown, unknown, unknown>, 'deliver'>>();
  /** Commands to other nodes' actors, and the commands other nodes send to this node's. */
  readonly channel: ActorChannel;

  /** One per broker, made before it starts (it adds the node's actor channel service). */
  constructor(broker: ServiceBroker, options: ActorClientOptions = {}) {
    this.#broker = broker;
    this.#shardCount = options.shardCount ?? DEFAULT_SHARD_COUNT;
    this.#attempts = options.attempts ?? 12;
    this.#backoffMs = options.backoffMs ?? 50;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.channel = new ActorChannel(broker, this.#local, this.#timeoutMs);
  }

  /** The live nodes hosting an actor kind, from this node's registry. */
  members(kind: string): string[] {
    return nodesRunning(this.#broker, actorServiceName(kind));
  }

  /** The node that owns an actor now, as this node's registry sees it (null when no node hosts the kind). */
  ownerOf(kind: string, actorId: string): string | null {
    return ownerOfActor(actorId, this.members(kind), this.#shardCount);
  }

  /** Called by ActorRuntime.host: this node's host of a kind. */
  hostsLocally(kind: string, host: Pick<ActorHost<unknown, unknown, unknown>, 'deliver'>): void {
    this.#local.set(kind, host);
  }

  async send<C, E>(kind: string, actorId: string, command: C): Promise<Delivered<E>> {
    let last = 'no attempt';
    for (let attempt = 0; attempt < this.#attempts; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(this.#backoffMs * 2 ** (attempt - 1), 1_000) * (0.5 + Math.random() / 2)));
      const owner = ownerOfActor(actorId, this.members(kind), this.#shardCount);
      if (!owner) {
        last = `no node hosts ${kind}`;
        continue;
      }
      try {
        const local = owner === this.#broker.nodeID ? this.#local.get(kind) : undefined;
        if (local) return (await this.#deliverHere(local, kind, actorId, command)) as Delivered<E>;
        return (await this.channel.send(owner, kind, actorId, command)) as Delivered<E>;
      } catch (error) {
        const type = (error as { type?: string }).type ?? '';
        if (!RETRYABLE_ACTOR_ERRORS.has(type) && !RETRYABLE_TRANSPORT.has(type)) throw error;
        last = `${type} from ${owner}`;
      }
    }
    throw ActorError.unreachable(kind, actorId, last);
  }

  /** A command to this node's own host, given up after the request timeout like a Moleculer call (REQUEST_TIMEOUT, retried). */
  #deliverHere(host: Pick<ActorHost<unknown, unknown, unknown>, 'deliver'>, kind: string, actorId: string, command: unknown): Promise<Delivered<unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Errors.RequestTimeoutError({ action: actorServiceName(kind), nodeID: this.#broker.nodeID })), this.#timeoutMs);
      host.deliver(actorId, command).then(
        (delivered) => {
          clearTimeout(timer);
          resolve(delivered);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

/** Hosts the given actor kinds on this node. */
export class ActorRuntime {
  readonly client: ActorClient;
  readonly #broker: ServiceBroker;
  readonly #hosted: { host: ActorHost<unknown, unknown, unknown>; ownership: ShardOwnership }[] = [];
  readonly #onMembership = (): void => {
    for (const { host, ownership } of this.#hosted) void ownership.setMembers(this.client.members(host.definition.kind));
  };

  constructor(broker: ServiceBroker, client: ActorClient) {
    this.#broker = broker;
    this.client = client;
  }

  /** Registers a kind to host here; call before the broker starts. */
  host<S, C, E>(
    definition: ActorKind<S, C, E>,
    options: { store: ActorStore; leases: ShardLeases; shardCount?: number; renewEveryMs?: number; leaseWaitMs?: number; metrics?: ActorMetrics; log?: ExternalMessageLog | null },
  ): ActorHost<S, C, E> {
    let hooks: ActorHost<S, C, E>['hooks'] | null = null;
    const ownership = new ShardOwnership({
      nodeId: this.#broker.nodeID,
      shardCount: options.shardCount ?? DEFAULT_SHARD_COUNT,
      leases: options.leases,
      renewEveryMs: options.renewEveryMs ?? DEFAULT_RENEW_EVERY_MS,
      hooks: {
        gained: (shards) => hooks!.gained(shards),
        handingOver: (shards) => hooks!.handingOver(shards),
        lost: (shards) => hooks!.lost(shards),
      },
    });
    const host = new ActorHost<S, C, E>({
      definition,
      store: options.store,
      ownership,
      ...(options.leaseWaitMs ? { leaseWaitMs: options.leaseWaitMs } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
      log: options.log ?? null,
    });
    hooks = host.hooks;
    this.client.hostsLocally(definition.kind, host as unknown as ActorHost<unknown, unknown, unknown>);
    // The service has no actions: that a node runs it is what tells the others it hosts the kind
    // (placement's membership); commands come through the actor channel.
    this.#broker.createService({
      name: actorServiceName(definition.kind),
      started: async () => {
        host.start();
        await ownership.start(this.client.members(definition.kind));
      },
      stopped: async () => {
        await ownership.stop();
        host.stop();
      },
    });
    this.#hosted.push({ host: host as unknown as ActorHost<unknown, unknown, unknown>, ownership });
    if (this.#hosted.length === 1) {
      this.#broker.localBus.on('$services.changed', this.#onMembership);
      this.#broker.localBus.on('$node.disconnected', this.#onMembership);
      this.#broker.localBus.on('$node.connected', this.#onMembership);
    }
    return host;
  }
}
