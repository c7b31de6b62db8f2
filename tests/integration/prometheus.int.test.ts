/**
 * A cluster-mode Kefu node on the real backends, scraped by the real Prometheus started by
 * cluster/infra (file-based service discovery). The dashboards' queries and the alerting rules are
 * proved against a loaded cluster in dashboards.int.test.ts.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../cluster/config.ts';
import { dropScratchData, localInfraEnv, scratchMysqlDatabase } from '../../cluster/local-infra.ts';
import { startNode, type KefuNode } from '../../cluster/node.ts';
import { uniqueName, waitFor } from '../support.ts';

const infra = localInfraEnv();
let node: KefuNode;
let targets: string;
let scratch: { url: string; drop(): Promise<void> };
let clusterName = '';

beforeAll(async () => {
  const name = uniqueName('kefu-test');
  scratch = await scratchMysqlDatabase('kefu_test'); // a database of its own
  node = await startNode(
    loadConfig({
      ...infra,
      KEFU_MYSQL_URL: scratch.url,
      KEFU_MODE: 'cluster',
      KEFU_CLUSTER_NAME: name,
      KEFU_NODE_ID: `${name}-node`,
      KEFU_HOST: '127.0.0.1',
      KEFU_PORT: '0',
      KEFU_LOG_LEVEL: 'warn',
      // Topics and indices of its own, dropped afterwards.
      KEFU_KAFKA_TOPIC_PREFIX: `${name}.`,
      KEFU_ELASTICSEARCH_INDEX_PREFIX: `${name}-`,
    }),
  );
  clusterName = name;
  targets = join(infra.KEFU_PROMETHEUS_TARGETS_DIR, `${name}.json`);
  writeFileSync(targets, JSON.stringify([{ targets: [`127.0.0.1:${node.port}`], labels: { cluster: name } }]));
});
afterAll(async () => {
  rmSync(targets, { force: true });
  await node?.stop();
  await scratch?.drop();
  if (clusterName) await dropScratchData(clusterName);
});

type Sample = { metric: Record<string, string>; value: [number, string] };

async function query(promql: string): Promise<Sample[]> {
  const res = await fetch(`${infra.KEFU_PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data: { result: Sample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
  return body.data.result;
}

test('the node is ready with every backend checked', async () => {
  const res = await fetch(`http://127.0.0.1:${node.port}/ready`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ready', checks: { database: 'ok', backends: 'ok' } });
});

test('Prometheus scrapes the node: target up, Kefu and Moleculer metrics stored', async () => {
  const nodeId = node.config.nodeId;
  const up = await waitFor(
    `Prometheus to scrape ${nodeId}`,
    async () => {
      const samples = await query(`up{instance="127.0.0.1:${node.port}"}`);
      return samples.length > 0 && samples[0]!.value[1] === '1' ? samples : undefined;
    },
    60_000,
  );
  expect(up[0]!.metric.job).toBe('kefu');

  const info = await waitFor('kefu_node_info in Prometheus', async () => {
    const samples = await query(`kefu_node_info{node="${nodeId}"}`);
    return samples.length > 0 ? samples : undefined;
  });
  expect(info.map((s) => s.metric.role).sort()).toEqual(['actors', 'gateway', 'workers']);
  expect(info.every((s) => s.metric.mode === 'cluster')).toBe(true);

  expect(await query(`moleculer_node_type{node="${nodeId}"}`)).toHaveLength(1);
  expect(await query(`process_resident_memory_bytes{node="${nodeId}"}`)).toHaveLength(1);
});

test('the Prometheus of cluster/infra loads the alerting rules of dashboards/alerts/', async () => {
  const res = await fetch(`${infra.KEFU_PROMETHEUS_URL}/api/v1/rules?type=alert`);
  const body = (await res.json()) as { data: { groups: { rules: { name: string }[] }[] } };
  const names = body.data.groups.flatMap((g) => g.rules.map((r) => r.name));
  expect(names).toEqual(expect.arrayContaining(['KefuNodeDown', 'KefuConsumerLagGrowing', 'KefuVisitorsWaitingWithoutReadyAgents', 'KefuAckLatencyBudgetBurn']));
});
