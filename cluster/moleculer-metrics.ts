/**
 * Serves Moleculer's own metrics (requests, events, transit, transporter) through the node's single
 * `/metrics` endpoint instead of the second HTTP server Moleculer's Prometheus reporter would open:
 * the reporter's formatter is reused, its listener is never started.
 *
 * Moleculer's process/OS collectors are switched off in the broker options: prom-client's runtime
 * metrics cover the same ground, and two sets would mean two names for one thing.
 */
import { MetricReporters, type ServiceBroker } from 'moleculer';

class MoleculerMetricsFormatter extends MetricReporters.Prometheus {
  declare defaultLabels: Record<string, string>;

  attach(broker: ServiceBroker): void {
    // BaseReporter.init only stores the registry; PrometheusReporter.init would listen on a port.
    MetricReporters.Base.prototype.init.call(this, broker.metrics);
    this.defaultLabels = { node: broker.nodeID };
  }
}

/** Returns a function rendering every Moleculer metric of `broker` in Prometheus text format. */
export function moleculerMetricsRenderer(broker: ServiceBroker): () => string {
  const formatter = new MoleculerMetricsFormatter();
  formatter.attach(broker);
  return () => formatter.generatePrometheusResponse();
}
