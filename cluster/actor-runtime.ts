/**
 * The actor runtime on Moleculer: hosts sharded actor kinds on this node (`actors.<kind>`
 * services), and sends commands to the owner of any actor from any node.
 *
 * Routing: the caller computes the owner (placement over the nodes whose registry lists the
 * kind's service) and calls it by `nodeID`. Moleculer's own balancing is bypassed on purpose (see
 * docs/cluster.md). A non-owner answers with a retryable redirect; the caller retries with
 * backoff on a fresh view of the membership, up to a bounded number of attempts, then reports
 * ACTOR_UNREACHABLE.
 *
 * Commands may be delivered more than once (a retry after a timeout whose first attempt did
 * commit): every command must be idempotent in its actor (client message ids, reservations by
 * conversation id, idempotent status changes).
 */
import type { ServiceBroker } from 'moleculer';
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

  constructor(broker: ServiceBroker, options: ActorClientOptions = {}) {
    this.#broker = broker;
    this.#shardCount = options.shardCount ?? DEFAULT_SHARD_COUNT;
    this.#attempts = options.attempts ?? 12;
    this.#backoffMs = options.backoffMs ?? 50;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /** The live nodes hosting an actor kind, from this node's registry. */
  members(kind: string): string[] {
    return nodesRunning(this.#broker, actorServiceName(kind));
  }

  /** The node that owns an actor now, as this node's registry sees it (null when no node hosts the kind). */
  ownerOf(kind: string, actorId: string): string | null {
    return ownerOfActor(actorId, this.members(kind), this.#shardCount);
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
        return await this.#broker.call<Delivered<E>, { actorId: string; command: C }>(
          `${actorServiceName(kind)}.deliver`,
          { actorId, command },
          { nodeID: owner, timeout: this.#timeoutMs },
        );
      } catch (error) {
        const type = (error as { type?: string }).type ?? '';
        if (!RETRYABLE_ACTOR_ERRORS.has(type) && !RETRYABLE_TRANSPORT.has(type)) throw error;
        last = `${type} from ${owner}`;
      }
    }
    throw ActorError.unreachable(kind, actorId, last);
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
    this.#broker.createService({
      name: actorServiceName(definition.kind),
      actions: {
        deliver: {
          params: { actorId: { type: 'string', min: 1, max: 191 }, command: { type: 'object' } },
          handler: (ctx) => {
            const { actorId, command } = ctx.params as { actorId: string; command: C };
            return host.deliver(actorId, command);
          },
        },
      },
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
