/**
 * Hosts the contact-center actor kinds (conversation, agent, queue) on a node with the `actors`
 * role, on the ports of its run mode: shard leases in Redis (cluster) or in memory (embedded),
 * snapshots in the node's database, messages committed to Kafka (cluster) or with the snapshots
 * (embedded). Every node gets a client to send commands to them.
 */
import type { ServiceBroker } from 'moleculer';
import type { Registry } from 'prom-client';
import { agentKind } from '../actors/agent/agent.actor.ts';
import { conversationKind } from '../actors/conversation/conversation.actor.ts';
import type { Push } from '../actors/conversation/protocol.ts';
import type { ActorPorts } from '../actors/kernel/actor-ports.ts';
import { queueKind } from '../actors/queue/queue.actor.ts';
import { ActorClient, ActorRuntime } from './actor-runtime.ts';
import { ActorStore } from './actor-store.ts';
import { ConversationWatchers, PushOutbox, watchersService } from './push-routing.ts';
import type { Backends } from './backends.ts';
import type { KefuConfig } from './config.ts';
import type { Database } from './database.ts';
import type { EventLog, LoggedEvent } from './event-log.ts';
import type { ExternalMessageLog } from './message-log.ts';
import { SqlMessageLog } from './message-log.sql.ts';
import { observeContactCenter } from './contact-center-metrics.ts';
import type { ActorMetrics } from './metrics.ts';
import { MemoryLeaseTable, MemoryShardLeases } from './shard-leases.memory.ts';
import { RedisShardLeases } from './shard-leases.redis.ts';
import type { ShardLeases } from './shard-leases.ts';

export function installContactCenter(input: {
  broker: ServiceBroker;
  config: KefuConfig;
  database: Database;
  backends: Backends | null;
  /** Where conversations commit their messages in cluster mode (Kafka); null: in the snapshot's transaction (embedded). */
  log: ExternalMessageLog | null;
  /** Where lifecycle and presence events are made durable (Kafka in cluster mode, the records table embedded). */
  events: EventLog | null;
  /** The actor runtime's metrics and the node's registry (contact-center-metrics.ts); null with KEFU_METRICS=off. */
  metrics: { actors: ActorMetrics; registry: Registry } | null;
}): ActorClient {
  const { broker, config, database, backends, log, events } = input;
  const metrics = input.metrics?.actors ?? null;
  const client = new ActorClient(broker);
  if (!config.roles.has('actors')) return client;

  const logger = broker.getLogger('actors');
  const watchers = new ConversationWatchers();
  broker.createService(watchersService(watchers));
  const pushes = new PushOutbox(broker, watchers, metrics);
  const ports: ActorPorts = {
    send: (kind, actorId, command) => client.send(kind, actorId, command),
    publish: async (event) => {
      void broker.broadcast(event.name, event);
      await events?.publish([event as LoggedEvent]);
    },
    push: (conversationId, delivery) => pushes.push({ conversationId, ...delivery, push: delivery.push as Push }),
    failed: (what, error) => logger.warn(`could not ${what}:`, error instanceof Error ? error.message : error),
  };
  // Each kind has its own shards, so its own lease namespace (Redis prefix, or in-memory table).
  const leasesFor = (kind: string): ShardLeases =>
    backends
      ? new RedisShardLeases(backends.redis, { prefix: `${config.clusterName}:leases:${kind}`, nodeId: config.nodeId })
      : new MemoryShardLeases(new MemoryLeaseTable(), { nodeId: config.nodeId });
  const runtime = new ActorRuntime(broker, client);
  const store = new ActorStore(database, metrics?.snapshotBatches ?? null);
  const hosting = { store, ...(metrics ? { metrics } : {}) };
  // Without waiting for the persister: an activation reads what the table holds (SNAPSHOT_DEDUPE_ENTRIES).
  const conversations = conversationKind(ports, new SqlMessageLog(database));
  const conversationHost = runtime.host(
    {
      ...conversations,
      activated: (conversationId, state) => {
        watchers.forget(conversationId);
        conversations.activated?.(conversationId, state);
      },
    },
    { ...hosting, leases: leasesFor('conversation'), log },
  );
  const agentHost = runtime.host(agentKind(ports), { ...hosting, leases: leasesFor('agent') });
  const queueHost = runtime.host(queueKind(ports), { ...hosting, leases: leasesFor('queue') });
  if (input.metrics) observeContactCenter(input.metrics.registry, { conversations: conversationHost, agents: agentHost, queues: queueHost });
  return client;
}
