/**
 * The Grafana dashboards of dashboards/*.json, written as code: each panel is a title, its PromQL
 * and a unit; layout, datasource and the tenant/node variables are added the same way everywhere.
 * `npm run dashboards` writes the JSON files (what docker-compose.yml provisions); a test checks
 * that the files are what this module renders, and another evaluates every query against a real
 * Prometheus scraping a loaded cluster (tests/integration/dashboards.int.test.ts).
 *
 * Every query filters by `node=~"$node"` (and `tenant=~"$tenant"` where the metric has a tenant),
 * with `.*` as "All", so a series without the label still matches. Metric names: cluster/metrics.ts.
 */
import { METRICS as M } from '../cluster/metrics.ts';

export const DASHBOARDS_DIR = new URL('./', import.meta.url);

type Unit = 's' | 'ms' | 'percentunit' | 'short' | 'bytes' | 'Bps' | 'reqps' | 'ops' | 'none';

type PanelSpec = {
  readonly title: string;
  readonly description: string;
  /** One query, or several (legend → query). */
  readonly expr: string | Readonly<Record<string, string>>;
  /** For a single query: the legend template (`{{label}}`). */
  readonly legend?: string;
  readonly unit: Unit;
  /** A single figure (top row), or a graph over time (default). */
  readonly stat?: true;
};

type DashboardSpec = {
  readonly uid: string;
  readonly file: string;
  readonly title: string;
  readonly description: string;
  /** Whether the tenant variable applies (dashboards of per-tenant metrics). */
  readonly tenant: boolean;
  readonly panels: readonly PanelSpec[];
};

// ---- selectors ------------------------------------------------------------------------------

const NODE = 'node=~"$node"';
const TENANT = 'tenant=~"$tenant"';
/** `name{node=~"$node", …}`: a node metric. */
const n = (name: string, extra = ''): string => `${name}{${[NODE, extra].filter(Boolean).join(',')}}`;
/** `name{tenant=~"$tenant", node=~"$node", …}`: a per-tenant metric. */
const t = (name: string, extra = ''): string => `${name}{${[TENANT, NODE, extra].filter(Boolean).join(',')}}`;
const rate = (selector: string): string => `rate(${selector}[$__rate_interval])`;
const quantile = (q: number, bucketSelector: string, by: string[] = []): string =>
  `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (${rate(bucketSelector)}))`;

// ---- the dashboards ---------------------------------------------------------------------------

const overview: DashboardSpec = {
  uid: 'kefu-overview',
  file: 'kefu-overview.json',
  title: 'Kefu — overview',
  description: 'The service levels of the contact center: how fast messages are acknowledged, how long visitors wait, how many give up.',
  tenant: true,
  panels: [
    { stat: true, title: 'Ack latency p99', unit: 's', description: 'SLO: ≤ 100 ms. From a chat message reaching a gateway to its ack leaving (committed; logged to Kafka in cluster mode).', expr: quantile(0.99, n(`${M.messageAck.name}_bucket`)) },
    { stat: true, title: 'Waiting time p90', unit: 's', description: 'SLO: ≤ 60 s. How long visitors waited for a human before an agent was assigned.', expr: quantile(0.9, t(`${M.queueWait.name}_bucket`)) },
    {
      stat: true,
      title: 'Abandonment',
      unit: 'percentunit',
      description: 'SLO: ≤ 5 %. Conversations that ended while waiting for a human, of those started.',
      expr: `sum(${rate(t(M.conversationsAbandoned.name))}) / clamp_min(sum(${rate(t(M.conversationsStarted.name))}), 1e-9)`,
    },
    { stat: true, title: 'Visitors waiting', unit: 'short', description: 'In every skill group’s queue now.', expr: `sum(${t(M.queueWaiting.name)})` },
    { stat: true, title: 'Agents ready', unit: 'short', description: 'Signed-in agents whose status is ready.', expr: `sum(${t(M.agents.name, 'status="ready"')})` },
    { stat: true, title: 'Live conversations', unit: 'short', description: 'With the bot, queued, assigned or being transferred.', expr: `sum(${t(M.conversations.name)})` },
    { title: 'Conversations by state', unit: 'short', description: 'Live conversations, by state.', expr: `sum by (state) (${t(M.conversations.name)})`, legend: '{{state}}' },
    {
      title: 'Conversations started and ended',
      unit: 'ops',
      description: 'Per second: started by visitors, ended (any reason), abandoned while waiting.',
      expr: {
        started: `sum(${rate(t(M.conversationsStarted.name))})`,
        ended: `sum(${rate(t(M.conversationsClosed.name))})`,
        abandoned: `sum(${rate(t(M.conversationsAbandoned.name))})`,
      },
    },
    {
      title: 'Ack latency',
      unit: 's',
      description: 'p50 and p99 of the message ack latency, by who sent the message.',
      expr: { 'p50 {{role}}': quantile(0.5, n(`${M.messageAck.name}_bucket`), ['role']), 'p99 {{role}}': quantile(0.99, n(`${M.messageAck.name}_bucket`), ['role']) },
    },
    {
      title: 'Agent utilisation',
      unit: 'percentunit',
      description: 'Conversations held by signed-in agents, of the most they may hold (agents not offline).',
      expr: `sum(${t(M.agentConversations.name)}) / clamp_min(sum(${t(M.agentCapacity.name)}), 1)`,
      legend: 'utilisation',
    },
  ],
};

const gateways: DashboardSpec = {
  uid: 'kefu-gateways',
  file: 'kefu-gateways.json',
  title: 'Kefu — gateways',
  description: 'The visitor and agent WebSockets and the REST API of the gateway nodes.',
  tenant: false,
  panels: [
    { title: 'Connections', unit: 'short', description: 'Open WebSocket connections, by role.', expr: `sum by (role) (${n(M.gatewayConnections.name)})`, legend: '{{role}}' },
    {
      title: 'Frames per second',
      unit: 'ops',
      description: 'Frames received from and sent to clients, by role.',
      expr: { 'in {{role}}': `sum by (role) (${rate(n(M.gatewayFramesReceived.name))})`, 'out {{role}}': `sum by (role) (${rate(n(M.gatewayFramesSent.name))})` },
    },
    {
      title: 'Bytes per second',
      unit: 'Bps',
      description: 'Bytes of frames received and sent, by role.',
      expr: { 'in {{role}}': `sum by (role) (${rate(n(M.gatewayBytesReceived.name))})`, 'out {{role}}': `sum by (role) (${rate(n(M.gatewayBytesSent.name))})` },
    },
    { title: 'Rejected frames', unit: 'ops', description: 'Frames refused before reaching an actor, by role and error code.', expr: `sum by (role, reason) (${rate(n(M.gatewayFramesRejected.name))})`, legend: '{{role}} {{reason}}' },
    { title: 'Backpressure', unit: 'ops', description: 'Slow readers: history paused until the socket drained, or closed as a slow consumer.', expr: `sum by (role, reason) (${rate(n(M.gatewayBackpressure.name))})`, legend: '{{role}} {{reason}}' },
    { title: 'Ack latency p99 by node', unit: 's', description: 'Per gateway node: a slow node stands out.', expr: quantile(0.99, n(`${M.messageAck.name}_bucket`), ['node']), legend: '{{node}}' },
    { title: 'REST latency p99 by route', unit: 's', description: 'Per route template of /api/v1.', expr: quantile(0.99, n(`${M.httpRequest.name}_bucket`), ['route']), legend: '{{route}}' },
    { title: 'REST requests by status', unit: 'reqps', description: 'Answers per second, by status class.', expr: `sum by (code) (${rate(n(`${M.httpRequest.name}_count`))})`, legend: '{{code}}' },
    { title: 'Pushes received', unit: 'ops', description: 'Conversation pushes reaching each gateway node (targeted or broadcast).', expr: `sum by (node) (${rate(n(M.pushesReceived.name))})`, legend: '{{node}}' },
  ],
};

const actors: DashboardSpec = {
  uid: 'kefu-actors',
  file: 'kefu-actors.json',
  title: 'Kefu — actors & shards',
  description: 'The actor runtime: where actors live, how busy their mailboxes are, how shards move and whether ownership is contested.',
  tenant: false,
  panels: [
    { title: 'Actors in memory', unit: 'short', description: 'By kind and node.', expr: `sum by (kind, node) (${n(M.actorsActive.name)})`, legend: '{{kind}} {{node}}' },
    { title: 'Actor commands per second', unit: 'ops', description: 'Commands delivered to actors, by kind and node (from the node itself or from others).', expr: `sum by (kind, node) (${rate(n(M.actorCommands.name))})`, legend: '{{kind}} {{node}}' },
    { title: 'Mailbox depth', unit: 'short', description: 'Commands waiting or running, by kind and node.', expr: `sum by (kind, node) (${n(M.actorCommandsQueued.name)})`, legend: '{{kind}} {{node}}' },
    { title: 'Activations per second', unit: 'ops', description: 'Actors loaded from their snapshot (or created), by kind.', expr: `sum by (kind) (${rate(n(`${M.actorActivationSeconds.name}_count`))})`, legend: '{{kind}}' },
    { title: 'Activation time p99', unit: 's', description: 'By kind.', expr: quantile(0.99, n(`${M.actorActivationSeconds.name}_bucket`), ['kind']), legend: '{{kind}}' },
    { title: 'Snapshot commit time p99', unit: 's', description: 'One group commit of actor snapshots (one transaction), by node; a command that writes waits up to twice this.', expr: quantile(0.99, n(`${M.snapshotBatchSeconds.name}_bucket`), ['node']), legend: '{{node}}' },
    { title: 'Snapshots per commit', unit: 'short', description: 'Mean rows per group commit, by node: low under load means commits, not rows, are the cost.', expr: `sum by (node) (${rate(n(`${M.snapshotBatchRows.name}_sum`))}) / sum by (node) (${rate(n(`${M.snapshotBatchRows.name}_count`))})`, legend: '{{node}}' },
    { title: 'Passivations per second', unit: 'ops', description: 'Idle actors dropped from memory, by kind.', expr: `sum by (kind) (${rate(n(M.actorPassivations.name))})`, legend: '{{kind}}' },
    { title: 'Shard moves', unit: 'short', description: 'Shards gained, handed over or lost, by kind and direction.', expr: `sum by (kind, direction) (increase(${n(M.actorShardMoves.name)}[$__rate_interval]))`, legend: '{{kind}} {{direction}}' },
    {
      title: 'Redirects and fenced writes',
      unit: 'ops',
      description: 'Commands sent to a node that does not own the actor (normal right after a move), and writes refused because a newer owner exists (never normal for long).',
      expr: { 'redirects {{kind}}': `sum by (kind) (${rate(n(M.actorRedirects.name))})`, 'fenced {{kind}}': `sum by (kind) (${rate(n(M.actorFencedWrites.name))})` },
    },
    {
      title: 'Pushes targeted and broadcast',
      unit: 'ops',
      description: 'Conversation pushes sent only to the gateways holding its connections, or to all of them.',
      expr: { targeted: `sum(${rate(n(M.pushesTargeted.name))})`, broadcast: `sum(${rate(n(M.pushesBroadcast.name))})` },
    },
    { title: 'Moleculer requests per second', unit: 'reqps', description: 'Actions called on each node through Moleculer (directory, history, push registrations …). Actor commands are not among them: they travel in batches over the actor channel (docs/cluster.md) and are counted by Actor commands per second.', expr: `sum by (node) (${rate(n('moleculer_request_total'))})`, legend: '{{node}}' },
  ],
};

const queues: DashboardSpec = {
  uid: 'kefu-queues',
  file: 'kefu-queues.json',
  title: 'Kefu — queues & routing',
  description: 'The skill groups’ queues (ACD): who waits, how long, how fast agents are assigned, and the agents’ load.',
  tenant: true,
  panels: [
    { title: 'Visitors waiting', unit: 'short', description: 'By skill group.', expr: `sum by (tenant, group) (${t(M.queueWaiting.name)})`, legend: '{{group}}' },
    { title: 'Longest wait now', unit: 's', description: 'The longest-waiting visitor of each skill group.', expr: `max by (tenant, group) (${t(M.queueLongestWait.name)})`, legend: '{{group}}' },
    { title: 'Assignments per second', unit: 'ops', description: 'Conversations assigned out of each skill group’s queue.', expr: `sum by (tenant, group) (${rate(t(M.assignments.name))})`, legend: '{{group}}' },
    {
      title: 'Waiting time',
      unit: 's',
      description: 'p50 and p90 of how long visitors waited before an agent was assigned, by skill group.',
      expr: { 'p50 {{group}}': quantile(0.5, t(`${M.queueWait.name}_bucket`), ['group']), 'p90 {{group}}': quantile(0.9, t(`${M.queueWait.name}_bucket`), ['group']) },
    },
    { title: 'Assignment latency p99', unit: 's', description: 'From the queue’s offer to the committed assignment (reserve, assign, commit): target ≤ 50 ms.', expr: quantile(0.99, t(`${M.assignmentLatency.name}_bucket`), ['group']), legend: '{{group}}' },
    { title: 'Agents by status', unit: 'short', description: 'Signed-in agents.', expr: `sum by (status) (${t(M.agents.name)})`, legend: '{{status}}' },
    {
      title: 'Agent load and capacity',
      unit: 'short',
      description: 'Conversations held by signed-in agents, and the most they may hold.',
      expr: { held: `sum(${t(M.agentConversations.name)})`, capacity: `sum(${t(M.agentCapacity.name)})` },
    },
    { title: 'Conversations ended by reason', unit: 'ops', description: 'Per second, by why they ended.', expr: `sum by (reason) (${rate(t(M.conversationsClosed.name))})`, legend: '{{reason}}' },
    { title: 'Abandoned per second', unit: 'ops', description: 'Conversations that ended while waiting for a human.', expr: `sum(${rate(t(M.conversationsAbandoned.name))})`, legend: 'abandoned' },
  ],
};

const kafka: DashboardSpec = {
  uid: 'kefu-kafka',
  file: 'kefu-kafka.json',
  title: 'Kefu — Kafka & workers',
  description: 'The message log on Kafka (cluster mode) and the workers that store and index it.',
  tenant: false,
  panels: [
    { title: 'Produce latency p99', unit: 's', description: 'From handing a batch to Kafka to the broker confirming it (acks=all).', expr: quantile(0.99, n(`${M.logProduceSeconds.name}_bucket`)), legend: 'p99' },
    { title: 'Batch size p50', unit: 'short', description: 'Entries per batch sent to Kafka.', expr: quantile(0.5, n(`${M.logBatchEntries.name}_bucket`)), legend: 'p50' },
    { title: 'Produce failures', unit: 'ops', description: 'Batches not confirmed (their messages were not acknowledged).', expr: `sum(${rate(n(M.logProduceFailures.name))})`, legend: 'failures' },
    { title: 'Consumer lag', unit: 'short', description: 'Records not processed yet, by consumer group (persister, indexer).', expr: `max by (kind) (${n(M.logConsumedLag.name)})`, legend: '{{kind}}' },
    { title: 'Records processed per second', unit: 'ops', description: 'Stored by the persister, indexed by the indexer.', expr: `sum by (kind) (${rate(n(M.logConsumedRecords.name))})`, legend: '{{kind}}' },
    { title: 'Batch time p99', unit: 's', description: 'To store or index one batch, by worker kind.', expr: quantile(0.99, n(`${M.logConsumedBatchSeconds.name}_bucket`), ['kind']), legend: '{{kind}}' },
    { title: 'Worker failures', unit: 'ops', description: 'Batches that failed (retried; nothing is skipped), by worker kind.', expr: `sum by (kind) (${rate(n(M.logConsumerFailures.name))})`, legend: '{{kind}}' },
  ],
};

const runtime: DashboardSpec = {
  uid: 'kefu-runtime',
  file: 'kefu-runtime.json',
  title: 'Kefu — Node.js runtime',
  description: 'Every node’s process: up, memory, event loop, garbage collection, CPU, start-up.',
  tenant: false,
  panels: [
    { title: 'Nodes up by role', unit: 'short', description: 'Nodes answering their scrape, by role.', expr: `sum by (role) (${n(M.nodeInfo.name)} * on (instance) group_left up{job="kefu"})`, legend: '{{role}}' },
    { title: 'Resident memory', unit: 'bytes', description: 'By node.', expr: n('process_resident_memory_bytes'), legend: '{{node}}' },
    { title: 'Heap used', unit: 'bytes', description: 'V8 heap in use, by node.', expr: n('nodejs_heap_size_used_bytes'), legend: '{{node}}' },
    { title: 'Event-loop lag p99', unit: 's', description: 'By node: above 100 ms, everything on that node waits.', expr: n('nodejs_eventloop_lag_p99_seconds'), legend: '{{node}}' },
    { title: 'Time in GC', unit: 'percentunit', description: 'Share of time spent collecting garbage, by node and kind of collection.', expr: `sum by (node, kind) (${rate(n('nodejs_gc_duration_seconds_sum'))})`, legend: '{{node}} {{kind}}' },
    { title: 'CPU', unit: 'percentunit', description: 'CPU time per second (1 = one core), by node.', expr: `sum by (node) (${rate(n('process_cpu_seconds_total'))})`, legend: '{{node}}' },
    { title: 'Start-up time', unit: 's', description: 'From process start to the node being ready.', expr: n(M.nodeStartupSeconds.name), legend: '{{node}}' },
  ],
};

export const DASHBOARDS: readonly DashboardSpec[] = [overview, gateways, actors, queues, kafka, runtime];

// ---- rendering --------------------------------------------------------------------------------

const DATASOURCE = { type: 'prometheus', uid: 'prometheus' } as const;

const variable = (name: string, label: string, query: string) => ({
  name,
  label,
  type: 'query',
  datasource: DATASOURCE,
  query: { query, refId: `${name}-values` },
  refresh: 2,
  includeAll: true,
  allValue: '.*',
  multi: true,
  current: { selected: true, text: ['All'], value: ['$__all'] },
  sort: 1,
  hide: 0,
});

/** The Grafana JSON model of one dashboard (schemaVersion 39, as Grafana 11 writes it). */
export function renderDashboard(spec: DashboardSpec): Record<string, unknown> {
  let statX = 0;
  let graphIndex = 0;
  const statCount = spec.panels.filter((p) => p.stat).length;
  const statRows = statCount > 0 ? 1 : 0;
  const panels = spec.panels.map((p, i) => {
    const queries: [string, string | undefined][] = typeof p.expr === 'string' ? [[p.expr, p.legend]] : Object.entries(p.expr).map(([legend, expr]) => [expr, legend]);
    let gridPos: { h: number; w: number; x: number; y: number };
    if (p.stat) {
      const w = Math.floor(24 / statCount);
      gridPos = { h: 4, w, x: statX, y: 0 };
      statX += w;
    } else {
      gridPos = { h: 8, w: 12, x: (graphIndex % 2) * 12, y: statRows * 4 + Math.floor(graphIndex / 2) * 8 };
      graphIndex++;
    }
    return {
      id: i + 1,
      type: p.stat ? 'stat' : 'timeseries',
      title: p.title,
      description: p.description,
      datasource: DATASOURCE,
      gridPos,
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      options: p.stat
        ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'auto' }
        : { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
      targets: queries.map(([expr, legend], q) => ({ refId: String.fromCharCode(65 + q), expr, datasource: DATASOURCE, ...(legend ? { legendFormat: legend } : {}) })),
    };
  });
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['kefu'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: false,
    graphTooltip: 1,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [
        ...(spec.tenant ? [variable('tenant', 'Tenant', `label_values(${M.conversationsStarted.name}, tenant)`)] : []),
        variable('node', 'Node', `label_values(${M.nodeInfo.name}, node)`),
      ],
    },
    annotations: { list: [] },
    // The other dashboards, keeping the time range and the variables' choices.
    links: DASHBOARDS.filter((d) => d !== spec).map((d) => ({ title: d.title, tooltip: d.description, type: 'link', url: `/d/${d.uid}`, tags: [], asDropdown: false, includeVars: true, keepTime: true, targetBlank: false, icon: 'dashboard' })),
    panels,
  };
}

/** Each dashboard's file name and JSON text, as `npm run dashboards` writes them. */
export const dashboardFiles = (): { file: string; json: string }[] =>
  DASHBOARDS.map((d) => ({ file: d.file, json: `${JSON.stringify(renderDashboard(d), null, 2)}\n` }));

/** Every query of a rendered dashboard, with the panel it belongs to. */
export function queriesOf(dashboard: Record<string, unknown>): { panel: string; expr: string }[] {
  const panels = dashboard.panels as { title: string; targets: { expr: string }[] }[];
  return panels.flatMap((p) => p.targets.map((target) => ({ panel: p.title, expr: target.expr })));
}

const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** The metric names a PromQL expression reads (what is left once strings, matchers, ranges, label lists and function names are taken out). */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/\b([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)].map((m) => m[1]!).filter((name) => !PROMQL_WORDS.has(name.toLowerCase()));
}
