/**
 * docker-compose.yml must start what the code expects: every Kefu node gets the variables
 * cluster mode requires and none the code does not read; every backend URL points at a service of
 * the file on the port that service's image listens on; images are pinned.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../cluster/config.ts';

type Service = {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
};
const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const kefuNodes = Object.entries(services).filter(([, s]) => s.build !== undefined);

/** The port each backend image listens on inside the compose network. */
const BACKEND_PORTS: Record<string, number> = { mysql: 3306, redis: 6379, kafka: 9092, elasticsearch: 9200, nats: 4222 };

test('the file has the whole stack: MySQL 8, Redis 7, NATS, Kafka, Elasticsearch, Prometheus, Grafana and Kefu nodes', () => {
  expect(services.mysql?.image).toMatch(/^mysql:8\./);
  expect(services.redis?.image).toMatch(/^redis:7\./);
  expect(services.nats?.image).toMatch(/^nats:2\./);
  expect(services.kafka?.image).toMatch(/^apache\/kafka:4\./);
  expect(services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller'); // KRaft, no ZooKeeper
  expect(services.elasticsearch?.image).toMatch(/^docker\.elastic\.co\/elasticsearch\/elasticsearch:8\./);
  expect(services.prometheus?.image).toMatch(/^prom\/prometheus:/);
  expect(services.prometheus?.volumes).toContain('./dashboards/alerts:/etc/prometheus/rules:ro');
  expect(services.grafana?.image).toMatch(/^grafana\/grafana:/);
  expect(services.grafana?.volumes).toContain('./dashboards:/var/lib/grafana/dashboards/kefu:ro');
  expect(kefuNodes.map(([name]) => name).sort()).toEqual(['kefu-actors', 'kefu-gateway']);
});

test('every image is pinned to a version', () => {
  for (const [name, service] of Object.entries(services)) {
    if (service.image === undefined || service.build !== undefined) continue;
    expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/:[0-9v][^:]*$/) });
  }
});

test.each(kefuNodes)('%s gets exactly variables the code reads, and they validate', (_name, service) => {
  const env = service.environment ?? {};
  for (const variable of Object.keys(env)) {
    expect(CONFIG_VARIABLES).toContain(variable);
  }
  // Compose interpolation (${VAR:-default}) resolved with its defaults, as `docker compose` would.
  const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));
  const config = loadConfig(resolved, '/opt/kefu');
  expect(config.mode).toBe('cluster');
  expect(config.cluster).not.toBeNull();
});

test.each(kefuNodes)('%s points every backend at a service of this file, on the port it listens on', (_name, service) => {
  const env = service.environment ?? {};
  const targets = [
    new URL(String(env.KEFU_MYSQL_URL).replace(/\$\{[^}]*\}/g, 'x')),
    new URL(String(env.KEFU_REDIS_URL)),
    new URL(String(env.KEFU_ELASTICSEARCH_URL)),
    new URL(String(env.KEFU_TRANSPORTER)),
    ...String(env.KEFU_KAFKA_BROKERS).split(',').map((b) => new URL(`kafka://${b}`)),
  ];
  for (const url of targets) {
    expect(Object.keys(services)).toContain(url.hostname);
    expect({ host: url.hostname, port: Number(url.port) }).toEqual({ host: url.hostname, port: BACKEND_PORTS[url.hostname] });
  }
});

test('the MySQL credentials of the Kefu nodes are the ones the MySQL service creates', () => {
  const url = new URL(String(services['kefu-gateway']!.environment!.KEFU_MYSQL_URL));
  const mysql = services.mysql!.environment!;
  expect(decodeURIComponent(url.username)).toBe(mysql.MYSQL_USER);
  expect(decodeURIComponent(url.password)).toBe(mysql.MYSQL_PASSWORD);
  expect(url.pathname).toBe(`/${mysql.MYSQL_DATABASE}`);
});

test('the gateway publishes the port it listens on', () => {
  const gateway = services['kefu-gateway']!;
  expect(gateway.ports).toContain(`${gateway.environment!.KEFU_PORT}:${gateway.environment!.KEFU_PORT}`);
});

test('Prometheus loads the alerting rules (and not their unit cases) from the mounted directory', () => {
  const config = parse(readFileSync(new URL('../dashboards/prometheus.yml', import.meta.url), 'utf8')) as { rule_files: string[] };
  const [pattern] = config.rule_files;
  expect(pattern).toBe('/etc/prometheus/rules/*.rules.yml');
  const matches = (file: string) => new RegExp(`^${pattern!.replace(/^.*\//, '').replaceAll('.', '\\.').replace('*', '[^/]*')}$`).test(file);
  const files = readdirSync(new URL('../dashboards/alerts/', import.meta.url));
  expect(files.filter(matches)).toEqual(['kefu.rules.yml']);
  expect(files).toContain('kefu.rules.test.yml');
});
