/**
 * Connections to the real backends of cluster mode (Redis, Kafka, Elasticsearch), opened once per
 * node and shared by every part of it. A node waits for each backend at start-up up to a deadline,
 * then stops with an error that names the variable pointing at the unreachable one.
 *
 * MySQL/MariaDB is opened by `database.ts`, the NATS transporter by Moleculer itself.
 */
import { Client as Elasticsearch } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { ClusterBackends } from './config.ts';

export type Backends = {
  readonly redis: Redis;
  readonly kafka: Kafka;
  /** Connected at start-up: topic administration and the Kafka part of check(). */
  readonly kafkaAdmin: Admin;
  readonly elasticsearch: Elasticsearch;
  /** Throws if any backend does not answer; used by `/ready`. */
  check(): Promise<void>;
  close(): Promise<void>;
};

export class BackendUnreachableError extends Error {
  readonly type = 'BACKEND_UNREACHABLE';
  readonly variable: string;
  constructor(variable: string, target: string, cause: unknown) {
    super(`${variable}: ${target} is not reachable (${describe(cause)})`);
    this.name = 'BackendUnreachableError';
    this.variable = variable;
  }
}

const CHECK_TIMEOUT_MS = 2_000;

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  return cause.message || cause.name;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function retryUntil<T>(deadline: number, attempt: () => Promise<T>): Promise<T> {
  for (let delay = 200; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() + delay > deadline) throw error;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

export async function connectBackends(settings: ClusterBackends, options: { clientId: string; timeoutMs: number }): Promise<Backends> {
  const deadline = Date.now() + options.timeoutMs;
  // ioredis reconnects by itself; its errors surface through failing commands and /ready. The last
  // one is kept to explain a failed start.
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 200, 2_000) });
  let redisError: unknown;
  redis.on('error', (error: unknown) => {
    redisError = error;
  });
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...settings.kafkaBrokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  });
  const admin: Admin = kafka.admin();
  // Health is asked through `_cluster/health`: the minimal Elasticsearch distribution used in
  // development has no `GET /` (so the client's ping() fails there).
  const elasticsearch = new Elasticsearch({ node: settings.elasticsearchUrl, requestTimeout: CHECK_TIMEOUT_MS });

  const close = async (): Promise<void> => {
    await Promise.allSettled([redis.status === 'ready' ? redis.quit() : Promise.resolve(), admin.disconnect(), elasticsearch.close()]);
    redis.disconnect();
  };

  try {
    await retryUntil(deadline, () => withTimeout(redis.ping(), CHECK_TIMEOUT_MS, 'Redis').catch((e: unknown) => {
      throw new BackendUnreachableError('KEFU_REDIS_URL', settings.redisUrl, redisError ?? e);
    }));
    await retryUntil(deadline, () => admin.connect().catch((e: unknown) => {
      throw new BackendUnreachableError('KEFU_KAFKA_BROKERS', settings.kafkaBrokers.join(','), e);
    }));
    await retryUntil(deadline, () => elasticsearch.cluster.health().catch((e: unknown) => {
      throw new BackendUnreachableError('KEFU_ELASTICSEARCH_URL', settings.elasticsearchUrl, e);
    }));
  } catch (error) {
    await close();
    throw error;
  }

  return {
    redis,
    kafka,
    kafkaAdmin: admin,
    elasticsearch,
    async check() {
      await Promise.all([
        withTimeout(redis.ping(), CHECK_TIMEOUT_MS, 'Redis'),
        withTimeout(admin.describeCluster(), CHECK_TIMEOUT_MS, 'Kafka'),
        withTimeout(elasticsearch.cluster.health(), CHECK_TIMEOUT_MS, 'Elasticsearch'),
      ]);
    },
    close,
  };
}
