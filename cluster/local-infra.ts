/**
 * The local infrastructure started by `cluster/infra` (MariaDB, Redis, NATS, Kafka, Elasticsearch,
 * Prometheus on loopback). The script is the single source of its addresses: this module asks it
 * (`cluster/infra env`) rather than repeating ports here.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const INFRA_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'infra');

export type LocalInfra = {
  readonly KEFU_MYSQL_URL: string;
  readonly KEFU_REDIS_URL: string;
  readonly KEFU_TRANSPORTER: string;
  readonly KEFU_KAFKA_BROKERS: string;
  readonly KEFU_ELASTICSEARCH_URL: string;
  readonly KEFU_PROMETHEUS_URL: string;
  readonly KEFU_PROMETHEUS_TARGETS_DIR: string;
  /** The Docker Compose CLI built by `cluster/infra install` (used to validate docker-compose.yml). */
  readonly KEFU_INFRA_COMPOSE_BIN: string;
};

export function localInfraEnv(): LocalInfra {
  const out = execFileSync(INFRA_SCRIPT, ['env'], { encoding: 'utf8' });
  const env: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env as LocalInfra;
}

/** Starts whatever part of the local infrastructure is not reachable yet (idempotent). */
export function localInfraUp(services: readonly string[] = []): void {
  execFileSync(INFRA_SCRIPT, ['up', ...services], { stdio: ['ignore', 'inherit', 'inherit'] });
}

/**
 * A new empty database on the local MariaDB (utf8mb4), for a test or a tool that must not share
 * one: returns its URL and a function that drops it.
 */
export async function scratchMysqlDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const { createConnection } = await import('mysql2/promise');
  const base = new URL(localInfraEnv().KEFU_MYSQL_URL);
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection({
    host: base.hostname,
    port: Number(base.port),
    user: decodeURIComponent(base.username),
    password: decodeURIComponent(base.password),
  });
  await admin.query(`create database \`${name}\` character set utf8mb4 collate utf8mb4_unicode_ci`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`drop database if exists \`${name}\``);
      await admin.end();
    },
  };
}

/**
 * Deletes what a scratch cluster named `name` left on the shared Kafka and Elasticsearch — its
 * topics (`<name>.…`) and indices (`<name>-…`), the prefixes LocalCluster gives its nodes — as
 * `scratchMysqlDatabase`'s `drop` deletes its database. Other clusters' data is left alone.
 */
export async function dropScratchData(name: string): Promise<void> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`not a scratch cluster name: ${JSON.stringify(name)}`);
  const env = localInfraEnv();
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ clientId: 'kefu-scratch', brokers: env.KEFU_KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${name}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
  const indices = await fetch(`${env.KEFU_ELASTICSEARCH_URL}/_cat/indices/${name}-*?format=json`).then((r) => (r.ok ? (r.json() as Promise<{ index: string }[]>) : []));
  for (const { index } of indices) await fetch(`${env.KEFU_ELASTICSEARCH_URL}/${index}`, { method: 'DELETE' });
}
