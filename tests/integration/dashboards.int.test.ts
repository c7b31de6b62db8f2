/**
 * Every Grafana panel and every alerting rule, proved live: a small cluster (one gateway, two
 * actor/worker nodes, over the real NATS, Redis, MariaDB, Kafka and Elasticsearch) under a little
 * contact-center load — agents chatting, visitors waiting, one giving up, a malformed frame — is
 * scraped by a Prometheus of this test's own (the Debian binary, its own port and data directory,
 * loading dashboards/alerts/kefu.rules.yml). Then each panel's query is evaluated through the HTTP
 * API and must be valid and return series; each rule must evaluate without error, and every metric
 * it reads must have series.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { dashboardFiles, metricNamesIn, queriesOf } from '../../dashboards/dashboards.ts';
import { AgentClient } from '../agent-client.ts';
import { ApiClient, expectStatus } from '../api-client.ts';
import { firstAdmin, launchCluster, logClusterErrors, type ClusterRun } from '../cluster-run.ts';
import { freePorts, waitFor } from '../support.ts';
import { VisitorClient } from '../visitor-client.ts';

const RULES = fileURLToPath(new URL('../../dashboards/alerts/kefu.rules.yml', import.meta.url));
const PASSWORD = 'dashboards live secret';
/** What Grafana would put for the variables: All, and a rate window a few scrapes wide. */
const asGrafana = (expr: string): string => expr.replaceAll('$tenant', '.*').replaceAll('$node', '.*').replaceAll('$__rate_interval', '30s');

let cluster: ClusterRun | undefined;
let prometheus: ChildProcess | undefined;
let prometheusDir = '';
let prometheusUrl = '';
const open: { close(): void }[] = [];

afterAll(async () => {
  logClusterErrors(cluster);
  for (const c of open) c.close();
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  }
  if (prometheusDir) rmSync(prometheusDir, { recursive: true, force: true });
  await cluster?.stop();
});

type Sample = { metric: Record<string, string>; value: [number, string] };

async function query(promql: string): Promise<{ ok: true; series: Sample[] } | { ok: false; error: string }> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data?: { result: Sample[] }; error?: string };
  return body.status === 'success' ? { ok: true, series: body.data!.result } : { ok: false, error: body.error ?? `HTTP ${res.status}` };
}

/** A Prometheus of this test's own, scraping the cluster's nodes every second and evaluating the rules. */
async function startPrometheus(targets: string[]): Promise<void> {
  const port = await freePorts(1);
  prometheusDir = mkdtempSync(join(tmpdir(), 'kefu-dashboards-prometheus-'));
  prometheusUrl = `http://127.0.0.1:${port}`;
  const config = join(prometheusDir, 'prometheus.yml');
  writeFileSync(
    config,
    JSON.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [RULES],
      scrape_configs: [{ job_name: 'kefu', static_configs: [{ targets }] }],
    }),
  );
  prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(prometheusDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: 'ignore' });
  await waitFor('Prometheus to be ready', async () => ((await fetch(`${prometheusUrl}/-/ready`).catch(() => null))?.ok ? true : undefined), 60_000);
}

/** Contact-center traffic that touches every metric: chats, closes, a visitor left waiting, one who gives up, a refused frame. */
async function load(base: string, wsBase: string): Promise<void> {
  const { admin, agentRole } = await firstAdmin(cluster!, base, PASSWORD);
  const agents: AgentClient[] = [];
  for (const [i, name] of ['李娜', '王芳'].entries()) {
    const email = `agent${i}@example.com`;
    expectStatus(await admin.post('/api/v1/accounts', { email, displayName: name, password: PASSWORD, departmentId: 'default', roleIds: [agentRole], skillGroupIds: ['default'], maxConversations: 2 }), 201);
    const session = await new ApiClient(base).login(email, PASSWORD);
    const agent = await AgentClient.connect(`${wsBase}/ws/agent`, { cookie: session.cookie });
    open.push(agent);
    await agent.hello({ status: 'ready' });
    agents.push(agent);
  }
  // Six visitors for four seats: four are served, two wait.
  const visitors: VisitorClient[] = [];
  for (let i = 0; i < 6; i++) {
    const visitor = await VisitorClient.connect(`${wsBase}/ws/visitor/web`);
    open.push(visitor);
    await visitor.hello();
    visitor.send({ type: 'start' });
    await visitor.next('status', () => true, { ms: 20_000 });
    visitors.push(visitor);
  }
  const assigned = await waitFor('four assignments', async () => {
    const all = agents.flatMap((agent) => agent.frames.filter((f) => f.type === 'conversation' && f.status === 'assigned').map((f) => ({ agent, conversationId: (f as { conversationId: string }).conversationId })));
    const unique = [...new Map(all.map((a) => [a.conversationId, a])).values()];
    return unique.length >= 4 ? unique : undefined;
  }, 60_000);
  for (const { agent, conversationId } of assigned) {
    agent.send({ type: 'accept', conversationId });
    agent.send({ type: 'message', conversationId, clientMsgId: `hi-${conversationId}`, text: '您好，请问有什么可以帮您？' });
    await agent.next('ack', (a) => a.clientMsgId === `hi-${conversationId}`, { ms: 20_000 });
  }
  for (const [i, visitor] of visitors.entries()) {
    visitor.send({ type: 'message', clientMsgId: `v-${i}`, text: `访客 ${i} 的问题` });
    await visitor.next('ack', (a) => a.clientMsgId === `v-${i}`, { ms: 20_000 });
  }
  visitors[0]!.sendRaw('{not json'); // refused: BAD_FRAME
  await visitors[0]!.next('error', (e) => e.code === 'BAD_FRAME');
  // Two conversations end: a visitor still queued gives up, then an agent closes one (its seat goes to the other one waiting).
  const queued = visitors.filter((v) => !v.frames.some((f) => f.type === 'status' && f.status === 'assigned'));
  expect(queued).toHaveLength(2);
  queued[0]!.send({ type: 'close' });
  await queued[0]!.next('status', (s) => s.status === 'closed', { ms: 20_000 });
  const [first] = assigned;
  first!.agent.send({ type: 'close', conversationId: first!.conversationId, summary: '已解决' });
  await first!.agent.next('conversation', (c) => c.conversationId === first!.conversationId && c.status === 'closed', { ms: 20_000 });
}

test('every dashboard panel and every alerting rule works against a real Prometheus scraping a loaded cluster', async () => {
  cluster = await launchCluster({ nodes: 2, gateways: 1, prefix: 'kefu-dash' });
  const ports = [cluster.port, cluster.port + 1, cluster.port + 2];
  await startPrometheus(ports.map((p) => `127.0.0.1:${p}`));
  await load(`http://127.0.0.1:${cluster.port}`, `ws://127.0.0.1:${cluster.port}`);

  // Scraped, with enough samples after the load for every rate window.
  await waitFor('the abandoned visitor in Prometheus', async () => {
    const r = await query('sum(kefu_conversations_abandoned_total) > 0');
    return r.ok && r.series.length > 0 ? true : undefined;
  }, 60_000);
  // The workers stored the chats (so the Kafka dashboard shows work, not just zeros).
  await waitFor('the persister to have stored records', async () => {
    const r = await query('sum(kefu_log_consumed_records_total{kind="persister"}) > 0');
    return r.ok && r.series.length > 0 ? true : undefined;
  }, 60_000);
  await new Promise((r) => setTimeout(r, 5_000));
  const scrapeMs = async (promql: string) => {
    const r = await query(promql);
    return r.ok && r.series[0] ? `${(Number(r.series[0].value[1]) * 1000).toFixed(1)} ms` : '?';
  };
  const [median, slowest] = [await scrapeMs('quantile(0.5, quantile_over_time(0.5, scrape_duration_seconds{job="kefu"}[1m]))'), await scrapeMs('max(max_over_time(scrape_duration_seconds{job="kefu"}[1m]))')];
  console.log(`/metrics scrapes of the loaded cluster's nodes as Prometheus timed them over the last minute: median ${median}, slowest ${slowest} (target ≤ 50 ms)`);

  const panels: string[] = [];
  const failures: string[] = [];
  for (const { file, json } of dashboardFiles()) {
    for (const { panel, expr } of queriesOf(JSON.parse(json) as Record<string, unknown>)) {
      panels.push(`${file} · ${panel}`);
      const r = await query(asGrafana(expr));
      if (!r.ok) failures.push(`${file} · ${panel}: invalid (${r.error}): ${expr}`);
      else if (r.series.length === 0) failures.push(`${file} · ${panel}: no series: ${expr}`);
    }
  }
  expect(failures).toEqual([]);
  expect(panels.length).toBeGreaterThanOrEqual(40);

  // The rules: loaded, evaluated without error, and reading metrics that exist.
  const names = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
  const evaluated = await waitFor('every rule to have been evaluated', async () => {
    const body = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const rules = body.data.groups.flatMap((g) => g.rules);
    return rules.length === names.length && rules.every((r) => r.health !== 'unknown') ? rules : undefined;
  });
  expect(evaluated.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
  const unread: string[] = [];
  for (const rule of names) {
    for (const metric of new Set(metricNamesIn(rule.expr))) {
      const r = await query(metric);
      if (!r.ok || r.series.length === 0) unread.push(`${rule.alert}: ${metric}`);
    }
  }
  expect(unread).toEqual([]);
  // A healthy loaded cluster fires none of them (the rules' own cases prove that they do fire: dashboards/alerts.test.ts).
  const firing = (await (await fetch(`${prometheusUrl}/api/v1/alerts`)).json()) as { data: { alerts: { labels: { alertname: string }; state: string }[] } };
  expect(firing.data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname)).toEqual([]);
}, 300_000);
