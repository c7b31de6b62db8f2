/**
 * Every Prometheus metric Kefu defines is named here, once, with its unit in the name and its help
 * text beside it. Dashboards and alert rules use these names only.
 *
 * Labels: `tenant`, `kind` (actor kind, consumer kind), `node`, `role` (node role, or who is on the
 * other end of a gateway socket: visitor, agent), and closed enumerations spelled out below
 * (`state`, `status`, `reason`, `direction`, and `route`/`method`/`code` of HTTP requests). Never an
 * entity id: cardinality must not grow with traffic. One bounded exception: the routing metrics
 * carry `group`, the skill group, because per-group queues are what routing is watched by; their
 * number is set by admins, not by traffic, and past MAX_GROUP_SERIES groups on one node the rest
 * are counted as group="other".
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
  actorCommands: {
    name: 'kefu_actor_commands_total',
    help: 'Commands delivered to the actors of this node (from this node or another), by kind.',
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
  actorPassivations: {
    name: 'kefu_actor_passivations_total',
    help: 'Idle actors dropped from memory (their state is durable; the next command activates them again), by kind.',
  },
  actorFencedWrites: {
    name: 'kefu_actor_fenced_writes_total',
    help: 'Snapshot writes refused because a newer owner had written (stale ownership), by kind.',
  },
  snapshotBatchSeconds: {
    name: 'kefu_actor_snapshot_batch_seconds',
    help: 'Time to write one batch of actor snapshots (one transaction, group commit), from its start to its commit.',
  },
  snapshotBatchRows: {
    name: 'kefu_actor_snapshot_batch_rows',
    help: 'Actor snapshots written per batch (one transaction).',
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
  conversations: {
    name: 'kefu_conversations',
    help: 'Live conversations owned by this node, by tenant and state (bot, queued, assigned, transferred).',
  },
  conversationsStarted: {
    name: 'kefu_conversations_started_total',
    help: 'Conversations a visitor started, by tenant.',
  },
  conversationsClosed: {
    name: 'kefu_conversations_closed_total',
    help: 'Conversations that ended, by tenant and reason (agent, visitor, supervisor, visitor-idle, offline-message, system).',
  },
  conversationsAbandoned: {
    name: 'kefu_conversations_abandoned_total',
    help: 'Conversations that waited for a human and ended before any agent was assigned (the visitor left, or left a message instead), by tenant.',
  },
  queueWaiting: {
    name: 'kefu_queue_waiting',
    help: 'Visitors waiting in a skill group\'s queue, by tenant and group.',
  },
  queueLongestWait: {
    name: 'kefu_queue_longest_wait_seconds',
    help: 'How long the longest-waiting visitor of a skill group\'s queue has waited so far, by tenant and group.',
  },
  queueWait: {
    name: 'kefu_queue_wait_seconds',
    help: 'How long visitors waited for a human before an agent was assigned (overflow and transfers keep counting), by tenant and group.',
  },
  assignments: {
    name: 'kefu_assignments_total',
    help: 'Conversations assigned to an agent out of a skill group\'s queue, by tenant and group.',
  },
  assignmentLatency: {
    name: 'kefu_assignment_latency_seconds',
    help: 'From the queue offering a conversation to an agent to the assignment being committed (reserve, assign, commit), by tenant and group.',
  },
  agents: {
    name: 'kefu_agents',
    help: 'Signed-in agents owned by this node, by tenant and status (ready, busy, away; offline agents still connected count as offline).',
  },
  agentConversations: {
    name: 'kefu_agent_conversations',
    help: 'Conversations held (or being handed) by signed-in agents, by tenant.',
  },
  agentCapacity: {
    name: 'kefu_agent_capacity',
    help: 'The most conversations signed-in agents not offline may hold, by tenant; utilisation is kefu_agent_conversations / this.',
  },
  gatewayConnections: {
    name: 'kefu_gateway_connections',
    help: 'Open WebSocket connections of this gateway node, by role (visitor, agent).',
  },
  gatewayFramesReceived: {
    name: 'kefu_gateway_frames_received_total',
    help: 'WebSocket frames received from clients, by role.',
  },
  gatewayFramesSent: {
    name: 'kefu_gateway_frames_sent_total',
    help: 'WebSocket frames sent to clients, by role.',
  },
  gatewayBytesReceived: {
    name: 'kefu_gateway_received_bytes_total',
    help: 'Bytes of WebSocket frames received from clients, by role.',
  },
  gatewayBytesSent: {
    name: 'kefu_gateway_sent_bytes_total',
    help: 'Bytes of WebSocket frames sent to clients, by role.',
  },
  gatewayFramesRejected: {
    name: 'kefu_gateway_frames_rejected_total',
    help: 'Client frames refused before reaching any actor (malformed, too large, rate limited …), by role and reason (the error code).',
  },
  gatewayBackpressure: {
    name: 'kefu_gateway_backpressure_total',
    help: 'Times a client read too slowly: history paused until its socket drained, or the connection closed as a slow consumer, by role and reason (paused, closed).',
  },
  messageAck: {
    name: 'kefu_message_ack_seconds',
    help: 'From a chat message frame arriving at the gateway to its ack leaving (committed, and logged in cluster mode), by role of the sender.',
  },
  httpRequest: {
    name: 'kefu_http_request_seconds',
    help: 'HTTP requests of the REST API, by route (the path template), method and code (the status class: 2xx, 4xx, 5xx).',
  },
} as const;

/** Past this many skill groups on one node, routing metrics count further groups as group="other". */
export const MAX_GROUP_SERIES = 500;

export type NodeMetrics = {
  readonly registry: Registry;
  readonly startupSeconds: Gauge;
  readonly actors: ActorMetrics;
  readonly pushesReceived: Counter;
  readonly log: LogMetrics;
  readonly gateways: ReturnType<typeof createGatewayMetrics>;
  readonly http: HttpTiming;
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
  readonly commands: Counter<'kind'>;
  readonly activationSeconds: Histogram<'kind'>;
  readonly shardMoves: Counter<'kind' | 'direction'>;
  readonly redirects: Counter<'kind'>;
  readonly fencedWrites: Counter<'kind'>;
  readonly passivations: Counter<'kind'>;
  readonly pushesTargeted: Counter;
  readonly pushesBroadcast: Counter;
  /** Told of every snapshot batch the node's store committed (cluster/actor-store.ts). */
  readonly snapshotBatches: SnapshotBatchMetrics;
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
    commands: new Counter({ name: METRICS.actorCommands.name, help: METRICS.actorCommands.help, labelNames: ['kind'], registers: [registry] }),
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
    passivations: new Counter({ name: METRICS.actorPassivations.name, help: METRICS.actorPassivations.help, labelNames: ['kind'], registers: [registry] }),
    pushesTargeted: new Counter({ name: METRICS.pushesTargeted.name, help: METRICS.pushesTargeted.help, registers: [registry] }),
    pushesBroadcast: new Counter({ name: METRICS.pushesBroadcast.name, help: METRICS.pushesBroadcast.help, registers: [registry] }),
    snapshotBatches: snapshotBatchMetrics(registry),
    observe(kind, read) {
      live.set(kind, read);
      // Every kind's series exist from the start (at 0): a rate over them is 0, not "no data".
      for (const counter of [this.redirects, this.fencedWrites, this.passivations]) counter.inc({ kind }, 0);
      for (const direction of ['gained', 'handed_over', 'lost']) this.shardMoves.inc({ kind, direction }, 0);
      this.activationSeconds.zero({ kind });
    },
  };
}

/** What the actor store counts of its group commits. */
export type SnapshotBatchMetrics = { written(rows: number, seconds: number): void };

function snapshotBatchMetrics(registry: Registry): SnapshotBatchMetrics {
  const seconds = new Histogram({
    name: METRICS.snapshotBatchSeconds.name,
    help: METRICS.snapshotBatchSeconds.help,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const rows = new Histogram({ name: METRICS.snapshotBatchRows.name, help: METRICS.snapshotBatchRows.help, buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500], registers: [registry] });
  return {
    written(n, s) {
      rows.observe(n);
      seconds.observe(s);
    },
  };
}

/** What a gateway counts of its sockets; one per role (visitor, agent). */
export type SocketMetrics = {
  received(bytes: number): void;
  sent(bytes: number): void;
  /** A frame refused before reaching any actor; `reason` is its error code. */
  rejected(reason: string): void;
  backpressure(reason: 'paused' | 'closed'): void;
  /** A chat message acknowledged, `seconds` after its frame arrived. */
  acked(seconds: number): void;
};

export const NO_SOCKET_METRICS: SocketMetrics = { received() {}, sent() {}, rejected() {}, backpressure() {}, acked() {} };

/** The gateway metrics of a node: `forRole` binds them to one gateway and its live connection count. */
export function createGatewayMetrics(registry: Registry): { forRole(role: 'visitor' | 'agent', connections: () => number): SocketMetrics } {
  const m = METRICS;
  const live = new Map<string, () => number>();
  new Gauge({
    name: m.gatewayConnections.name,
    help: m.gatewayConnections.help,
    labelNames: ['role'],
    registers: [registry],
    collect() {
      for (const [role, count] of live) this.set({ role }, count());
    },
  });
  const counter = (d: { name: string; help: string }, labelNames: string[]) => new Counter({ name: d.name, help: d.help, labelNames, registers: [registry] });
  const framesIn = counter(m.gatewayFramesReceived, ['role']);
  const framesOut = counter(m.gatewayFramesSent, ['role']);
  const bytesIn = counter(m.gatewayBytesReceived, ['role']);
  const bytesOut = counter(m.gatewayBytesSent, ['role']);
  const rejected = counter(m.gatewayFramesRejected, ['role', 'reason']);
  const backpressure = counter(m.gatewayBackpressure, ['role', 'reason']);
  const ack = new Histogram({ name: m.messageAck.name, help: m.messageAck.help, labelNames: ['role'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] });
  return {
    forRole(role, connections) {
      live.set(role, connections);
      // Bound children: no label lookup per frame.
      const [inF, outF, inB, outB, acked] = [framesIn.labels(role), framesOut.labels(role), bytesIn.labels(role), bytesOut.labels(role), ack.labels(role)];
      for (const reason of ['paused', 'closed']) backpressure.inc({ role, reason }, 0);
      rejected.inc({ role, reason: 'RATE_LIMITED' }, 0);
      return {
        received(bytes) {
          inF.inc();
          inB.inc(bytes);
        },
        sent(bytes) {
          outF.inc();
          outB.inc(bytes);
        },
        rejected: (reason) => rejected.inc({ role, reason }),
        backpressure: (reason) => backpressure.inc({ role, reason }),
        acked: (seconds) => acked.observe(seconds),
      };
    },
  };
}

/** Times one REST API request; `route` is the path template (`/api/v1/accounts/{id}`). */
export type HttpTiming = (route: string, method: string, status: number, seconds: number) => void;

export function createHttpTiming(registry: Registry): HttpTiming {
  const histogram = new Histogram({
    name: METRICS.httpRequest.name,
    help: METRICS.httpRequest.help,
    labelNames: ['route', 'method', 'code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return (route, method, status, seconds) => histogram.observe({ route, method: method.toUpperCase(), code: `${Math.floor(status / 100)}xx` }, seconds);
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
  return {
    registry,
    startupSeconds,
    actors: createActorMetrics(registry),
    pushesReceived,
    log: createLogMetrics(registry),
    gateways: createGatewayMetrics(registry),
    http: createHttpTiming(registry),
  };
}
