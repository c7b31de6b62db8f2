/**
 * Every Prometheus metric Kefu defines is named here, once, with its unit in the name and its help
 * text beside it. Dashboards and alert rules use these names only. Labels are limited to tenant,
 * kind, node and role: never an entity id (cardinality must not grow with traffic).
 *
 * One registry per node: the runtime metrics of prom-client, Kefu's own metrics and Moleculer's
 * metrics (bridged by `moleculer-metrics.ts`) are all served by the node's single `/metrics`.
 */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export const METRICS = {
  nodeInfo: {
    name: 'kefu_node_info',
    help: 'Always 1; labels describe the node (mode, roles, version).',
  },
  nodeStartupSeconds: {
    name: 'kefu_node_startup_seconds',
    help: 'Seconds from process start to the node being ready.',
  },
} as const;

export type NodeMetrics = {
  readonly registry: Registry;
  readonly startupSeconds: Gauge;
};

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
  return { registry, startupSeconds };
}
