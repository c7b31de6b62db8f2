/**
 * Kefu's configuration: typed defaults in code, overridden by `KEFU_*` environment variables,
 * validated once at start-up. Every problem names the variable that caused it, and all problems
 * are reported together so an operator fixes them in one pass.
 *
 * The reference table of every variable lives in README.md ("Configuration"); a test keeps the
 * two in step.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';

export const ROLES = ['gateway', 'actors', 'workers'] as const;
export type Role = (typeof ROLES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The real backends of cluster mode. Embedded mode has none: everything is in-process or SQLite. */
export type ClusterBackends = {
  readonly mysqlUrl: string;
  readonly redisUrl: string;
  readonly kafkaBrokers: readonly string[];
  /** Put before every Kafka topic name (`kefu.messages.v1` …), so that several clusters can share one Kafka; '' by default. */
  readonly kafkaTopicPrefix: string;
  /** Partitions of the topics a node creates when they do not exist yet. */
  readonly kafkaPartitions: number;
  readonly elasticsearchUrl: string;
  /** Put before every Elasticsearch index name, so that several clusters can share one Elasticsearch; '' by default. */
  readonly elasticsearchIndexPrefix: string;
  /** Moleculer transporter connection string (NATS URL). */
  readonly transporter: string;
};

export type KefuConfig = {
  readonly mode: 'embedded' | 'cluster';
  /**
   * Separates clusters sharing one NATS (Moleculer namespace); later also the prefix of Redis keys.
   * Nodes only see nodes of the same cluster name.
   */
  readonly clusterName: string;
  readonly nodeId: string;
  readonly roles: ReadonlySet<Role>;
  readonly host: string;
  readonly port: number;
  /** The address people open in a browser; printed at start-up. */
  readonly publicUrl: string;
  /** Embedded mode: the SQLite file and uploads live here. Created on first start. */
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  /** Seconds between Moleculer heartbeats, and without one before a node is declared dead. */
  readonly heartbeatIntervalSeconds: number;
  readonly heartbeatTimeoutSeconds: number;
  /** Open visitor WebSockets allowed from one IP address (offices and mobile carriers share addresses). */
  readonly visitorConnectionsPerIp: number;
  /** Seconds between a visitor client's pings; a connection silent for twice this is closed (4001). */
  readonly visitorHeartbeatSeconds: number;
  /** How long a closed workstation tab's watches outlive it (seconds): a reload within it keeps them. */
  readonly watchGraceSeconds: number;
  /** Sign-in and setup attempts allowed per client address per minute (each costs a password hash). */
  readonly signInsPerMinute: number;
  /** Whether the node counts anything and serves /metrics (KEFU_METRICS, on by default). */
  readonly metrics: boolean;
  readonly cluster: ClusterBackends | null;
};

export type ConfigProblem = { readonly variable: string; readonly message: string };

export class ConfigError extends Error {
  readonly type = 'CONFIG_INVALID';
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(
      'Invalid configuration:\n' +
        problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads one variable at a time and collects every problem instead of stopping at the first. */
class Reader {
  readonly problems: ConfigProblem[] = [];
  readonly #env: Env;
  constructor(env: Env) {
    this.#env = env;
  }

  raw(name: string): string | undefined {
    const value = this.#env[name]?.trim();
    return value === '' ? undefined : value;
  }

  fail(variable: string, message: string): void {
    this.problems.push({ variable, message });
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  oneOf<const T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.fail(name, `must be one of ${allowed.join(', ')} (got "${value}")`);
    return fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      this.fail(name, `must be an integer from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return n;
  }

  /** A required URL with one of the given schemes; returns '' (and records a problem) if unusable. */
  url(name: string, schemes: readonly string[], example: string): string {
    const value = this.raw(name);
    if (value === undefined) {
      this.fail(name, `is required in cluster mode (e.g. ${example})`);
      return '';
    }
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      this.fail(name, `is not a valid URL (e.g. ${example})`);
      return '';
    }
    const scheme = parsed.protocol.replace(/:$/, '');
    if (!schemes.includes(scheme)) {
      this.fail(name, `must use ${schemes.map((s) => `${s}://`).join(' or ')} (got "${scheme}://")`);
      return '';
    }
    if (!parsed.hostname) {
      this.fail(name, `has no host (e.g. ${example})`);
      return '';
    }
    return value;
  }

  /** A required comma-separated list of host:port pairs. */
  hostPorts(name: string, example: string): string[] {
    const value = this.raw(name);
    if (value === undefined) {
      this.fail(name, `is required in cluster mode (e.g. ${example})`);
      return [];
    }
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = items.filter((item) => !/^[A-Za-z0-9._-]+:\d{1,5}$/.test(item) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(item));
    if (items.length === 0 || bad.length > 0) {
      this.fail(name, `must be a comma-separated list of host:port (e.g. ${example}; bad: "${bad.join('", "') || value}")`);
      return [];
    }
    return items;
  }
}

/** Kafka topic names allow letters, digits, '.', '_' and '-' (249 at most; the prefix gets 200 of them). */
function topicPrefix(r: Reader): string {
  const prefix = r.string('KEFU_KAFKA_TOPIC_PREFIX', '');
  if (!/^[A-Za-z0-9._-]{0,200}$/.test(prefix)) r.fail('KEFU_KAFKA_TOPIC_PREFIX', `may hold only letters, digits, '.', '_' and '-', at most 200 (got "${prefix}")`);
  return prefix;
}

/** Elasticsearch index names are lowercase, without \\ / * ? " < > | , # : or spaces. */
function indexPrefix(r: Reader): string {
  const prefix = r.string('KEFU_ELASTICSEARCH_INDEX_PREFIX', '');
  if (!/^([a-z0-9][a-z0-9._-]{0,99})?$/.test(prefix)) r.fail('KEFU_ELASTICSEARCH_INDEX_PREFIX', `may hold only lowercase letters, digits, '.', '_' and '-', at most 100, not starting with one of '.', '_', '-' (got "${prefix}")`);
  return prefix;
}

function readRoles(r: Reader, mode: KefuConfig['mode']): ReadonlySet<Role> {
  const value = r.raw('KEFU_ROLES');
  if (value === undefined) return new Set(ROLES);
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(ROLES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    r.fail('KEFU_ROLES', `must be a comma-separated subset of ${ROLES.join(', ')} (unknown: "${unknown.join('", "') || value}")`);
    return new Set(ROLES);
  }
  const roles = new Set(names as Role[]);
  if (mode === 'embedded' && roles.size !== ROLES.length) {
    r.fail('KEFU_ROLES', 'embedded mode runs every role in one process; set KEFU_MODE=cluster to split roles across nodes');
  }
  return roles;
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): KefuConfig {
  const r = new Reader(env);
  const mode = r.oneOf('KEFU_MODE', ['embedded', 'cluster'], 'embedded');
  const roles = readRoles(r, mode);
  const host = r.string('KEFU_HOST', '0.0.0.0');
  const port = r.integer('KEFU_PORT', 8035, 0, 65535); // 0: any free port (tests)
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const publicUrl = r.string('KEFU_PUBLIC_URL', `http://${shownHost}:${port}`).replace(/\/+$/, '');
  if (r.raw('KEFU_PUBLIC_URL') !== undefined) {
    try {
      new URL(publicUrl);
    } catch {
      r.fail('KEFU_PUBLIC_URL', `is not a valid URL (got "${publicUrl}")`);
    }
  }
  const heartbeatIntervalSeconds = r.integer('KEFU_HEARTBEAT_INTERVAL', 1, 1, 60);
  const heartbeatTimeoutSeconds = r.integer('KEFU_HEARTBEAT_TIMEOUT', 3, 2, 600);
  if (heartbeatTimeoutSeconds <= heartbeatIntervalSeconds) {
    r.fail('KEFU_HEARTBEAT_TIMEOUT', `must be greater than KEFU_HEARTBEAT_INTERVAL (${heartbeatIntervalSeconds})`);
  }

  const cluster: ClusterBackends | null =
    mode === 'cluster'
      ? {
          mysqlUrl: r.url('KEFU_MYSQL_URL', ['mysql', 'mariadb'], 'mysql://kefu:secret@db:3306/kefu'),
          redisUrl: r.url('KEFU_REDIS_URL', ['redis', 'rediss'], 'redis://redis:6379'),
          kafkaBrokers: r.hostPorts('KEFU_KAFKA_BROKERS', 'kafka-1:9092,kafka-2:9092'),
          kafkaTopicPrefix: topicPrefix(r),
          kafkaPartitions: r.integer('KEFU_KAFKA_PARTITIONS', 12, 1, 10_000),
          elasticsearchUrl: r.url('KEFU_ELASTICSEARCH_URL', ['http', 'https'], 'http://elasticsearch:9200'),
          elasticsearchIndexPrefix: indexPrefix(r),
          transporter: r.url('KEFU_TRANSPORTER', ['nats'], 'nats://nats:4222'),
        }
      : null;

  const clusterName = r.string('KEFU_CLUSTER_NAME', 'kefu');
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(clusterName)) {
    r.fail('KEFU_CLUSTER_NAME', `must be 1-63 lowercase letters, digits or dashes (got "${clusterName}")`);
  }
  const nodeId = r.string('KEFU_NODE_ID', `${hostname()}-${process.pid}`);
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(nodeId)) {
    r.fail('KEFU_NODE_ID', `must be 1-128 letters, digits, dots, dashes or underscores (got "${nodeId}")`);
  }

  const config: KefuConfig = {
    mode,
    clusterName,
    nodeId,
    roles,
    host,
    port,
    publicUrl,
    dataDir: resolve(cwd, r.string('KEFU_DATA_DIR', 'data')),
    logLevel: r.oneOf('KEFU_LOG_LEVEL', LOG_LEVELS, 'info'),
    heartbeatIntervalSeconds,
    heartbeatTimeoutSeconds,
    visitorConnectionsPerIp: r.integer('KEFU_VISITOR_CONNECTIONS_PER_IP', 200, 1, 1_000_000),
    visitorHeartbeatSeconds: r.integer('KEFU_VISITOR_HEARTBEAT', 25, 1, 300),
    watchGraceSeconds: r.integer('KEFU_WATCH_GRACE', 20, 1, 3_600),
    signInsPerMinute: r.integer('KEFU_SIGN_INS_PER_MINUTE', 30, 1, 100_000),
    metrics: r.oneOf('KEFU_METRICS', ['on', 'off'], 'on') === 'on',
    cluster,
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** Every variable `loadConfig` reads; the README's configuration table must list exactly these. */
export const CONFIG_VARIABLES = [
  'KEFU_MODE',
  'KEFU_CLUSTER_NAME',
  'KEFU_ROLES',
  'KEFU_NODE_ID',
  'KEFU_HOST',
  'KEFU_PORT',
  'KEFU_PUBLIC_URL',
  'KEFU_DATA_DIR',
  'KEFU_LOG_LEVEL',
  'KEFU_HEARTBEAT_INTERVAL',
  'KEFU_HEARTBEAT_TIMEOUT',
  'KEFU_VISITOR_CONNECTIONS_PER_IP',
  'KEFU_VISITOR_HEARTBEAT',
  'KEFU_WATCH_GRACE',
  'KEFU_SIGN_INS_PER_MINUTE',
  'KEFU_METRICS',
  'KEFU_MYSQL_URL',
  'KEFU_REDIS_URL',
  'KEFU_KAFKA_BROKERS',
  'KEFU_KAFKA_TOPIC_PREFIX',
  'KEFU_KAFKA_PARTITIONS',
  'KEFU_ELASTICSEARCH_URL',
  'KEFU_ELASTICSEARCH_INDEX_PREFIX',
  'KEFU_TRANSPORTER',
] as const;
