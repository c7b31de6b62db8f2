import { readFileSync } from 'node:fs';
import { CONFIG_VARIABLES, ConfigError, loadConfig, type ConfigProblem } from './config.ts';

const CLUSTER_ENV = {
  KEFU_MODE: 'cluster',
  KEFU_MYSQL_URL: 'mysql://kefu:pw@db:3306/kefu',
  KEFU_REDIS_URL: 'redis://redis:6379',
  KEFU_KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092',
  KEFU_ELASTICSEARCH_URL: 'http://es:9200',
  KEFU_TRANSPORTER: 'nats://nats:4222',
};

function problemsOf(env: Record<string, string>): ConfigProblem[] {
  try {
    loadConfig(env, '/srv/kefu');
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  test('embedded mode needs nothing and runs every role', () => {
    const config = loadConfig({}, '/srv/kefu');
    expect(config).toMatchObject({
      mode: 'embedded',
      clusterName: 'kefu',
      port: 8035,
      host: '0.0.0.0',
      publicUrl: 'http://localhost:8035',
      dataDir: '/srv/kefu/data',
      logLevel: 'info',
      cluster: null,
    });
    expect([...config.roles].sort()).toEqual(['actors', 'gateway', 'workers']);
  });

  test('cluster mode reads every backend and a role subset', () => {
    const config = loadConfig({ ...CLUSTER_ENV, KEFU_ROLES: 'gateway', KEFU_PORT: '9000', KEFU_HOST: '10.0.0.5' }, '/');
    expect(config.cluster).toEqual({
      mysqlUrl: CLUSTER_ENV.KEFU_MYSQL_URL,
      redisUrl: CLUSTER_ENV.KEFU_REDIS_URL,
      kafkaBrokers: ['kafka-1:9092', 'kafka-2:9092'],
      kafkaTopicPrefix: '',
      kafkaPartitions: 12,
      elasticsearchUrl: CLUSTER_ENV.KEFU_ELASTICSEARCH_URL,
      elasticsearchIndexPrefix: '',
      transporter: CLUSTER_ENV.KEFU_TRANSPORTER,
    });
    expect([...config.roles]).toEqual(['gateway']);
    expect(config.publicUrl).toBe('http://10.0.0.5:9000');
  });

  test('cluster mode without backends names every missing variable at once', () => {
    const problems = problemsOf({ KEFU_MODE: 'cluster' });
    expect(problems.map((p) => p.variable)).toEqual([
      'KEFU_MYSQL_URL',
      'KEFU_REDIS_URL',
      'KEFU_KAFKA_BROKERS',
      'KEFU_ELASTICSEARCH_URL',
      'KEFU_TRANSPORTER',
    ]);
    expect(problems.every((p) => p.message.startsWith('is required in cluster mode'))).toBe(true);
  });

  test.each([
    ['KEFU_PORT', 'abc', 'must be an integer from 0 to 65535'],
    ['KEFU_PORT', '70000', 'must be an integer from 0 to 65535'],
    ['KEFU_PORT', '-1', 'must be an integer from 0 to 65535'],
    ['KEFU_MODE', 'standalone', 'must be one of embedded, cluster'],
    ['KEFU_LOG_LEVEL', 'loud', 'must be one of fatal, error, warn, info, debug, trace'],
    ['KEFU_ROLES', 'gateway,db', 'must be a comma-separated subset of gateway, actors, workers'],
    ['KEFU_ROLES', 'gateway', 'embedded mode runs every role in one process'],
    ['KEFU_CLUSTER_NAME', 'Prod Cluster', 'must be 1-63 lowercase letters'],
    ['KEFU_NODE_ID', 'node 1', 'must be 1-128 letters'],
    ['KEFU_PUBLIC_URL', 'not a url', 'is not a valid URL'],
    ['KEFU_HEARTBEAT_TIMEOUT', '1', 'must be an integer from 2 to 600'],
  ])('%s=%j is refused: %s', (variable, value, message) => {
    const problems = problemsOf({ [variable]: value });
    expect(problems).toEqual([{ variable, message: expect.stringContaining(message) }]);
  });

  test.each([
    ['KEFU_MYSQL_URL', 'postgres://db/kefu', 'must use mysql:// or mariadb://'],
    ['KEFU_MYSQL_URL', 'db:3306', 'must use mysql:// or mariadb://'],
    ['KEFU_REDIS_URL', 'http://redis', 'must use redis:// or rediss://'],
    ['KEFU_KAFKA_BROKERS', 'kafka-1', 'must be a comma-separated list of host:port'],
    ['KEFU_KAFKA_BROKERS', 'kafka-1:9092;kafka-2:9092', 'must be a comma-separated list of host:port'],
    ['KEFU_ELASTICSEARCH_URL', 'es:9200', 'must use http:// or https://'],
    ['KEFU_TRANSPORTER', 'redis://redis:6379', 'must use nats://'],
    ['KEFU_KAFKA_TOPIC_PREFIX', 'prod/east.', "may hold only letters, digits, '.', '_' and '-'"],
    ['KEFU_KAFKA_PARTITIONS', '0', 'must be an integer from 1 to 10000'],
    ['KEFU_ELASTICSEARCH_INDEX_PREFIX', 'Prod', 'may hold only lowercase letters'],
  ])('cluster backend %s=%j is refused: %s', (variable, value, message) => {
    const problems = problemsOf({ ...CLUSTER_ENV, [variable]: value });
    expect(problems).toEqual([{ variable, message: expect.stringContaining(message) }]);
  });

  test('the heartbeat timeout must exceed the interval', () => {
    expect(problemsOf({ KEFU_HEARTBEAT_INTERVAL: '5', KEFU_HEARTBEAT_TIMEOUT: '5' })).toEqual([
      { variable: 'KEFU_HEARTBEAT_TIMEOUT', message: expect.stringContaining('greater than KEFU_HEARTBEAT_INTERVAL') },
    ]);
  });

  test('the error message lists every problem with its variable', () => {
    const error = (() => {
      try {
        loadConfig({ KEFU_PORT: 'x', KEFU_MODE: 'y' });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.type).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/KEFU_MODE: must be one of/);
    expect(error.message).toMatch(/KEFU_PORT: must be an integer/);
  });
});

test('the README configuration table lists exactly the variables the code reads', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split('## Configuration')[1]?.split('\n## ')[0] ?? '';
  const documented = [...section.matchAll(/^\| `(KEFU_[A-Z_]+)`/gm)].map((m) => m[1]);
  expect(documented.sort()).toEqual([...CONFIG_VARIABLES].sort());
});
