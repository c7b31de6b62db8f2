/**
 * Every Prometheus metric Kefu defines is named here, once, with its unit in the name and its help
 * text beside it. Dashboards and alert rules use these names only. Labels are limited to tenant,
 * kind, node and role: never an entity id (cardinality must not grow with traffic).
 *
 * One registry per node: the runtime metrics of prom-client, Kefu's own metrics and Moleculer's
 * metrics (bridged by `moleculer-metrics.ts`) are all served by the node's single `/metrics`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const METRICS = {
  nodeInfo: {
    name: 'kefu_node_info',
    help: 'Always 1; labels describe the node (mode, roles, version).',
  },
  nodeStartupSeconds: {
    name: 'kefu_node_startup_seconds',
    help: 'Seconds from process start to the node being ready.',
  },
  actorsActive: {
    name: 'kefu_actors_active',
    help: 'Actors in memory on this node, by kind.',
  },
  actorCommandsQueued: {
    name: 'kefu_actor_commands_queued',
    help: 'Commands waiting or running in the mailboxes of this node, by kind.',
  },
  actorActivationSeconds: {
    name: 'kefu_actor_activation_seconds',
    help: 'Time to activate an actor from its durable snapshot (or create it), by kind.',
  },
  actorShardMoves: {
    name: 'kefu_actor_shard_moves_total',
    help: 'Shards this node gained, handed over or lost, by kind and direction.',
  },
  actorRedirects: {
    name: 'kefu_actor_redirects_total',
    help: 'Commands this node answered with a redirect to the owner, by kind.',
  },
  actorFencedWrites: {
    name: 'kefu_actor_fenced_writes_total',
    help: 'Snapshot writes refused because a newer owner had written (stale ownership), by kind.',
  },
  pushesTargeted: {
    name: 'kefu_conversation_pushes_targeted_total',
    help: 'Conversation pushes sent only to the gateway nodes that registered the conversation.',
  },
  pushesReceived: {
    name: 'kefu_gateway_pushes_received_total',
    help: 'Conversation pushes that reached this gateway node (targeted or broadcast).',
  },
  pushesBroadcast: {
    name: 'kefu_conversation_pushes_broadcast_total',
    help: 'Conversation pushes sent to every gateway node (membership changes, or no complete registration list yet).',
  },
  logProduceSeconds: {
    name: 'kefu_log_produce_seconds',
    help: 'Time from handing entries to the Kafka message log to the broker confirming them (acks=all), per batch.',
  },
  logBatchEntries: {
    name: 'kefu_log_batch_entries',
    help: 'Entries (messages and claims) per batch the Kafka message log sends.',
  },
  logProduceFailures: {
    name: 'kefu_log_produce_failures_total',
    help: 'Batches the Kafka message log could not get confirmed (their messages were not acknowledged).',
  },
  logConsumedLag: {
    name: 'kefu_log_consumer_lag_records',
    help: 'Records of the message log a consumer group has not processed yet, as of its last batch, by kind (persister, indexer).',
  },
  logConsumedRecords: {
    name: 'kefu_log_consumed_records_total',
    help: 'Message log records a worker stored (persister) or indexed (indexer), by kind.',
  },
  logConsumedBatchSeconds: {
    name: 'kefu_log_consumer_batch_seconds',
    help: 'Time a worker takes to store or index one batch of the message log, by kind.',
  },
  logConsumerFailures: {
    name: 'kefu_log_consumer_failures_total',
    help: 'Batches a worker failed to store or index (they are retried; nothing is skipped), by kind.',
  },
} as const;

export type NodeMetrics = {
  readonly registry: Registry;
  readonly startupSeconds: Gauge;
  readonly actors: ActorMetrics;
  readonly pushesReceived: Counter;
  readonly log: LogMetrics;
};

/** What the Kafka message log and its consumers report (cluster mode). */
export type LogMetrics = {
  readonly produceSeconds: Histogram;
  readonly batchEntries: Histogram;
  readonly produceFailures: Counter;
  readonly consumerLag: Gauge<'kind'>;
  readonly consumed: Counter<'kind'>;
  readonly consumerBatchSeconds: Histogram<'kind'>;
  readonly consumerFailures: Counter<'kind'>;
};

export function createLogMetrics(registry: Registry): LogMetrics {
  const m = METRICS;
  return {
    produceSeconds: new Histogram({ name: m.logProduceSeconds.name, help: m.logProduceSeconds.help, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry] }),
    batchEntries: new Histogram({ name: m.logBatchEntries.name, help: m.logBatchEntries.help, buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500], registers: [registry] }),
    produceFailures: new Counter({ name: m.logProduceFailures.name, help: m.logProduceFailures.help, registers: [registry] }),
    consumerLag: new Gauge({ name: m.logConsumedLag.name, help: m.logConsumedLag.help, labelNames: ['kind'], registers: [registry] }),
    consumed: new Counter({ name: m.logConsumedRecords.name, help: m.logConsumedRecords.help, labelNames: ['kind'], registers: [registry] }),
    consumerBatchSeconds: new Histogram({ name: m.logConsumedBatchSeconds.name, help: m.logConsumedBatchSeconds.help, labelNames: ['kind'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] }),
    consumerFailures: new Counter({ name: m.logConsumerFailures.name, help: m.logConsumerFailures.help, labelNames: ['kind'], registers: [registry] }),
  };
}

/** What the actor runtime reports; one instance per node, labelled by actor kind. */
export type ActorMetrics = {
  readonly activationSeconds: Histogram<'kind'>;
  readonly shardMoves: Counter<'kind' | 'direction'>;
  readonly redirects: Counter<'kind'>;
  readonly fencedWrites: Counter<'kind'>;
  readonly pushesTargeted: Counter;
  readonly pushesBroadcast: Counter;
  /** Registers a host's live counts, read at every scrape. */
  observe(kind: string, live: () => { active: number; queued: number }): void;
};

export function createActorMetrics(registry: Registry): ActorMetrics {
  const live = new Map<string, () => { active: number; queued: number }>();
  const gauge = (m: { name: string; help: string }, pick: (l: { active: number; queued: number }) => number) =>
    new Gauge({
      name: m.name,
      help: m.help,
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        for (const [kind, read] of live) this.set({ kind }, pick(read()));
      },
    });
  gauge(METRICS.actorsActive, (l) => l.active);
  gauge(METRICS.actorCommandsQueued, (l) => l.queued);
  return {
    activationSeconds: new Histogram({
      name: METRICS.actorActivationSeconds.name,
      help: METRICS.actorActivationSeconds.help,
      labelNames: ['kind'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    shardMoves: new Counter({ name: METRICS.actorShardMoves.name, help: METRICS.actorShardMoves.help, labelNames: ['kind', 'direction'], registers: [registry] }),
    redirects: new Counter({ name: METRICS.actorRedirects.name, help: METRICS.actorRedirects.help, labelNames: ['kind'], registers: [registry] }),
    fencedWrites: new Counter({ name: METRICS.actorFencedWrites.name, help: METRICS.actorFencedWrites.help, labelNames: ['kind'], registers: [registry] }),
    pushesTargeted: new Counter({ name: METRICS.pushesTargeted.name, help: METRICS.pushesTargeted.help, registers: [registry] }),
    pushesBroadcast: new Counter({ name: METRICS.pushesBroadcast.name, help: METRICS.pushesBroadcast.help, registers: [registry] }),
    observe: (kind, read) => void live.set(kind, read),
  };
}

export function createNodeMetrics(labels: {
  node: string;
  mode: string;
  roles: readonly string[];
  version: string;
}): NodeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ node: labels.node });
  collectDefaultMetrics({ register: registry });
  const info = new Gauge({
    name: METRICS.nodeInfo.name,
    help: METRICS.nodeInfo.help,
    labelNames: ['mode', 'role', 'version'],
    registers: [registry],
  });
  for (const role of labels.roles) info.set({ mode: labels.mode, role, version: labels.version }, 1);
  const startupSeconds = new Gauge({
    name: METRICS.nodeStartupSeconds.name,
    help: METRICS.nodeStartupSeconds.help,
    registers: [registry],
  });
  const pushesReceived = new Counter({ name: METRICS.pushesReceived.name, help: METRICS.pushesReceived.help, registers: [registry] });
  return { registry, startupSeconds, actors: createActorMetrics(registry), pushesReceived, log: createLogMetrics(registry) };
}
