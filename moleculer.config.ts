/**
 * Moleculer broker options for a Kefu node, derived from the validated Kefu configuration.
 *
 * Embedded mode: no transporter, every service is local. Cluster mode: NATS transporter and
 * heartbeats tuned so a dead node is noticed in about five seconds instead of Moleculer's default
 * thirty (the actor runtime moves its shards only after the registry drops it).
 */
import type { BrokerOptions } from 'moleculer';
import type { KefuConfig } from './cluster/config.ts';

export function brokerOptions(config: KefuConfig): BrokerOptions {
  return {
    namespace: config.clusterName,
    nodeID: config.nodeId,
    transporter: config.cluster ? { type: 'NATS', options: { url: config.cluster.transporter } } : null,
    heartbeatInterval: config.heartbeatIntervalSeconds,
    heartbeatTimeout: config.heartbeatTimeoutSeconds,
    logger: {
      type: 'Console',
      options: { level: config.logLevel, formatter: 'short', colors: process.stdout.isTTY === true },
    },
    // Served through the node's /metrics (cluster/moleculer-metrics.ts), not a reporter of its own.
    // No quantiles: Moleculer keeps every sample of a 60 s window and sorts them all on each scrape,
    // which blocked a busy node's event loop for seconds; Prometheus derives quantiles from the
    // histogram buckets instead (histogram_quantile).
    // (null, not []: the typings say number[], but an empty list would still collect the samples.)
    metrics: { enabled: config.metrics, collectProcessMetrics: false, reporter: null, defaultQuantiles: null as unknown as number[] },
    // Kefu's actors are placed by the actor runtime (cluster/), which calls owners by nodeID;
    // these are the defaults for every other (stateless) service call.
    requestTimeout: 10_000,
    retryPolicy: { enabled: false },
    registry: { strategy: 'RoundRobin', preferLocal: true },
  };
}
