/**
 * A Kefu node: one process hosting a Moleculer broker, the roles it was given, and one HTTP/WebSocket
 * listener. Embedded mode is a node with every role, no transporter and SQLite; cluster mode is the
 * same code with a role list and the real backends.
 *
 * Start-up order: database (migrate, first-run setup token) → cluster backends → broker → listener.
 * Readiness turns true only after all of them. Stopping reverses the order and is idempotent.
 */
import { join } from 'node:path';
import { ServiceBroker, type Logger } from 'moleculer';
import { availableParallelism } from 'node:os';
import { ChannelDirectory, DEFAULT_TENANT_ID, ensureDefaultChannel } from '../actors/directory/channel.repository.ts';
import { Directory } from '../actors/directory/directory.ts';
import { PasswordHasher } from '../actors/directory/passwords.ts';
import { ensureTenant } from '../actors/directory/tenant.repository.ts';
import { directoryService, DIRECTORY_CHANGED_EVENT } from '../actors/directory/directory.service.ts';
import { apiDocsRoutes } from '../gateways/api/docs.routes.ts';
import { apiRouteTable } from '../gateways/api/routes.ts';
import { Fts5MessageSearch, History } from '../actors/history/history.ts';
import { apiRoutes } from '../gateways/api/server.ts';
import { ensureSetupToken, type SetupState } from '../actors/directory/setup.ts';
import { VisitorDirectory } from '../actors/directory/visitor.repository.ts';
import { announceBlock, announceConversation, inviteVisitor, onlineVisitors, visitorGatewayService } from '../gateways/visitor/gateway.service.ts';
import { cachedAgentNames } from '../gateways/visitor/pushes.ts';
import { visitorGateway, type VisitorGateway } from '../gateways/visitor/server.ts';
import { widgetRoutes } from '../gateways/visitor/widget.routes.ts';
import { opsRoutes, type Readiness } from '../gateways/ops.routes.ts';
import { startHttpServer, type HttpServer, type RouteModule } from '../gateways/server.ts';
import { FileStore, UNSENT_FILE_TTL_MS } from '../actors/conversation/file.repository.ts';
import { filesRoutes } from '../gateways/files/files.routes.ts';
import { pushInboxService } from '../gateways/push-inbox.service.ts';
import { ConversationSubscriptions } from './push-routing.ts';
import { webRoutes } from '../gateways/web.routes.ts';
import { agentGatewayService } from '../gateways/agent/gateway.service.ts';
import { agentGateway, type AgentGateway } from '../gateways/agent/server.ts';
import { brokerOptions } from '../moleculer.config.ts';
import type { ActorClient } from './actor-runtime.ts';
import type { Backends } from './backends.ts';
import { installContactCenter } from './contact-center.ts';
import { checkHeartbeatsEverySecond } from './failure-detection.ts';
import type { KefuConfig } from './config.ts';
import { migrateDatabase, openDatabase, type Database, type DatabaseTarget } from './database.ts';
import { ensureLogTopics, KafkaMessageLog } from './message-log.kafka.ts';
import { KafkaEventLog } from './event-log.kafka.ts';
import { SqlEventLog, type EventLog } from './event-log.ts';
import { BatchingProducer } from './kafka-producer.ts';
import { ConversationRecords } from '../actors/conversation/conversation-record.repository.ts';
import { SqlMessageLog } from './message-log.sql.ts';
import { Persister } from '../workers/persister.ts';
import { Indexer } from '../workers/indexer.ts';
import { ElasticsearchMessageSearch } from '../actors/history/elasticsearch.ts';
import { createNodeMetrics } from './metrics.ts';
import { moleculerMetricsRenderer } from './moleculer-metrics.ts';
import { KEFU_VERSION } from './version.ts';

export const EMBEDDED_DATABASE_FILE = 'kefu.sqlite';
const BACKEND_START_TIMEOUT_MS = 60_000;
/** How often a gateway node deletes the uploads that were never sent. */
const FILE_SWEEP_MS = 60 * 60 * 1000;

export type KefuNode = {
  readonly config: KefuConfig;
  readonly broker: ServiceBroker;
  readonly database: Database;
  readonly backends: Backends | null;
  /** Sends commands to the contact-center actors (conversation, agent, queue), wherever they live. */
  readonly actors: ActorClient;
  /** The bound HTTP port (the configured one, or the OS's choice when KEFU_PORT=0). */
  readonly port: number;
  readonly url: string;
  readonly setup: SetupState;
  /** Visitor WebSockets open on this node (0 without the gateway role). */
  visitorConnections(): number;
  stop(): Promise<void>;
};

function databaseTarget(config: KefuConfig): DatabaseTarget {
  return config.cluster
    ? { dialect: 'mysql', url: config.cluster.mysqlUrl }
    : { dialect: 'sqlite', file: join(config.dataDir, EMBEDDED_DATABASE_FILE) };
}

function announceSetup(logger: Logger, setup: SetupState, url: string): void {
  switch (setup.status) {
    case 'complete':
      return;
    case 'issued':
      // Printed once, on purpose outside the logger's formatting so it is easy to copy.
      process.stdout.write(
        [
          '',
          '  ┌─ First-run setup ──────────────────────────────────────────────────────',
          '  │ No administrator exists yet. Create the first one with this one-time token:',
          `  │   ${setup.token}`,
          `  │ at ${url}/setup  (valid until ${setup.expiresAt.toISOString()})`,
          '  └────────────────────────────────────────────────────────────────────────',
          '',
        ].join('\n') + '\n',
      );
      return;
    case 'pending':
      logger.info(
        `First-run setup is pending: use the token printed by node ${setup.issuedByNode} ` +
          `(valid until ${setup.expiresAt.toISOString()}), or issue a new one with \`kefu setup-token\`.`,
      );
      return;
    default: {
      const never: never = setup;
      throw new Error(`unknown setup state ${JSON.stringify(never)}`);
    }
  }
}

/**
 * A cluster gateway configures the queues once the actor nodes answer: tries every 2 s for up to
 * 2 minutes. Until it has, the gateway is not ready (a visitor routed to a queue that does not
 * exist yet would wait for nobody).
 */
async function syncQueuesUntilDone(directory: Directory, stopped: () => boolean, logger: Logger, done: () => void): Promise<void> {
  for (let attempt = 1; attempt <= 60 && !stopped(); attempt++) {
    try {
      await directory.departments.syncAllSkillGroups();
      done();
      return;
    } catch (error) {
      if (attempt === 60) logger.warn('could not configure the skill groups’ queues:', error instanceof Error ? error.message : error);
      await new Promise((r) => setTimeout(r, 2_000).unref());
    }
  }
}

export async function startNode(config: KefuConfig): Promise<KefuNode> {
  // KEFU_METRICS=off: nothing is counted at all (and /metrics answers 404) — to measure what metrics cost.
  const metrics = config.metrics ? createNodeMetrics({ node: config.nodeId, mode: config.mode, roles: [...config.roles], version: KEFU_VERSION }) : null;
  const broker = new ServiceBroker(brokerOptions(config));
  const moleculerMetrics = moleculerMetricsRenderer(broker);
  const logger = broker.getLogger('kefu-node');

  let database: Database | null = null;
  let backends: Backends | null = null;
  let http: HttpServer | null = null;
  let visitors: VisitorGateway | null = null;
  let agents: AgentGateway | null = null;
  let subscriptions: ConversationSubscriptions | null = null;
  let producer: BatchingProducer | null = null;
  let messageLog: KafkaMessageLog | null = null;
  let persister: Persister | null = null;
  let indexer: Indexer | null = null;
  let ready = false;
  let stopping: Promise<void> | null = null;
  let stopChecking: (() => void) | null = null;
  let stopSweeping: (() => void) | null = null;

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      ready = false;
      stopChecking?.();
      stopSweeping?.();
      await Promise.all([visitors?.shutdown(1_000), agents?.shutdown(1_000)]);
      subscriptions?.stop();
      http?.close();
      await broker.stop().catch((e: unknown) => logger.warn('broker stop failed', e));
      await Promise.all([
        producer?.stop().catch((e: unknown) => logger.warn('Kafka producer stop failed', e)),
        persister?.stop().catch((e: unknown) => logger.warn('persister stop failed', e)),
        indexer?.stop().catch((e: unknown) => logger.warn('indexer stop failed', e)),
      ]);
      await backends?.close();
      await database?.close();
    })());

  try {
    database = await openDatabase(databaseTarget(config));
    const applied = await migrateDatabase(database);
    if (applied.length > 0) logger.info(`database migrated: ${applied.join(', ')}`);
    // The single-company tenant with its root department, the `default` skill group and the built-in roles.
    await ensureTenant(database.orm.em.fork(), { id: DEFAULT_TENANT_ID, name: 'Kefu' }, new Date());
    const setup = await ensureSetupToken(database.orm.em.fork(), {
      tenantId: DEFAULT_TENANT_ID,
      now: new Date(),
      nodeId: config.nodeId,
      rotate: config.mode === 'embedded',
    });

    if (config.cluster) {
      // Loaded only in cluster mode: the Redis, Kafka and Elasticsearch clients cost ~30 MB of RSS
      // that an embedded node has no use for.
      const { connectBackends } = await import('./backends.ts');
      backends = await connectBackends(config.cluster, { clientId: `kefu-${config.nodeId}`, timeoutMs: BACKEND_START_TIMEOUT_MS });
    }

    // The single-company channel (key `web`), so a fresh installation can chat at once.
    await ensureDefaultChannel(database.orm.em.fork(), new Date());

    // Cluster mode commits messages and events to Kafka (actor nodes) and stores them in MySQL from there (worker nodes).
    let events: EventLog | null = null;
    if (config.cluster && backends) {
      const kafka = { topicPrefix: config.cluster.kafkaTopicPrefix, partitions: config.cluster.kafkaPartitions };
      if (config.roles.has('actors') || config.roles.has('workers')) await ensureLogTopics(backends.kafkaAdmin, kafka);
      if (config.roles.has('actors')) {
        producer = new BatchingProducer(backends.kafka, metrics ? { metrics: metrics.log } : {});
        await producer.start();
        messageLog = new KafkaMessageLog(producer, kafka);
        events = new KafkaEventLog(producer, kafka);
      }
      if (config.roles.has('workers')) {
        persister = new Persister({ kafka: backends.kafka, database, topicPrefix: kafka.topicPrefix, ...(metrics ? { metrics: metrics.log } : {}), logger: broker.getLogger('persister') });
        await persister.start();
        indexer = new Indexer({
          kafka: backends.kafka,
          es: backends.elasticsearch,
          database,
          topicPrefix: kafka.topicPrefix,
          indexPrefix: config.cluster.elasticsearchIndexPrefix,
          ...(metrics ? { metrics: metrics.log } : {}),
          logger: broker.getLogger('indexer'),
        });
        await indexer.start();
      }
    } else {
      events = new SqlEventLog(new ConversationRecords(database));
    }
    const actors = installContactCenter({ broker, config, database, backends, log: messageLog, events, metrics: metrics ? { actors: metrics.actors, registry: metrics.registry } : null });
    const db = database;
    const directory = config.roles.has('gateway')
      ? new Directory({
          em: () => db.orm.em.fork(),
          dialect: db.dialect,
          now: () => new Date(),
          // Hashing takes ≈0.5 s of a core: half the cores at most, so chat traffic keeps the rest.
          hasher: new PasswordHasher({ concurrency: Math.max(1, Math.floor(availableParallelism() / 2)), queue: 16 }),
          changed: (tenantId) => void broker.broadcast(DIRECTORY_CHANGED_EVENT, { tenantId }).catch((e: unknown) => logger.warn('directory.changed broadcast failed', e)),
          skillGroupChanged: async (tenantId, skillGroupId, settings) => {
            await actors.send('queue', skillGroupId, { type: 'create', tenantId, settings: { policy: settings.routingPolicy, maxWaiting: settings.maxWaiting } });
          },
          visitorBlocked: announceBlock(broker),
          // The agent actor mirrors its account: an inactive one serves no skill group and goes offline.
          agentChanged: async (agent) => {
            await actors.send('agent', agent.accountId, {
              type: 'create',
              tenantId: agent.tenantId,
              displayName: agent.displayName,
              skillGroups: agent.active ? agent.skillGroupIds : [],
              maxConversations: agent.active ? agent.maxConversations : 0,
            });
            if (!agent.active) await actors.send('agent', agent.accountId, { type: 'force-status', status: 'offline', by: 'directory' });
          },
        })
      : null;
    if (directory) broker.createService(directoryService(directory));
    if (config.roles.has('gateway')) {
      broker.createService(visitorGatewayService(() => visitors));
      broker.createService(agentGatewayService(() => agents));
      broker.createService(pushInboxService(config.nodeId, () => ({ visitors, agents }), () => metrics?.pushesReceived.inc()));
    }
    await broker.start();
    if (config.cluster) stopChecking = checkHeartbeatsEverySecond(broker);
    // Every skill group's queue runs with the directory's settings. Embedded mode waits for it (the
    // default channel chats as soon as the node is ready); a cluster gateway retries until the
    // actor nodes answer, and is not ready before.
    if (directory && !config.cluster) await directory.departments.syncAllSkillGroups();
    let queuesConfigured = !(directory && config.cluster);
    if (directory && config.cluster) {
      const synced = syncQueuesUntilDone(directory, () => stopping !== null, logger, () => (queuesConfigured = true));
      // A node that hosts actors itself takes the queues before it reports ready; a gateway-only node listens meanwhile.
      if (config.roles.has('actors')) await synced;
    }

    const cluster = backends;
    const readiness = async (): Promise<Readiness> => {
      if (!ready) return { ready: false, checks: { node: stopping ? 'stopping' : 'starting' } };
      const checks: Record<string, string> = {};
      const probe = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
        try {
          await fn();
          checks[name] = 'ok';
        } catch (error) {
          checks[name] = error instanceof Error ? error.message : String(error);
        }
      };
      await Promise.all([probe('database', () => db.ping()), ...(cluster ? [probe('backends', () => cluster.check())] : [])]);
      if (!queuesConfigured) checks.queues = 'the skill groups’ queues are not configured yet (waiting for actor nodes)';
      return { ready: Object.values(checks).every((v) => v === 'ok'), checks };
    };
    const routes: RouteModule[] = [
      opsRoutes({
        node: config.nodeId,
        mode: config.mode,
        readiness,
        metrics: metrics
          ? async () => ({ contentType: metrics.registry.contentType, body: (await metrics.registry.metrics()) + moleculerMetrics() })
          : null,
        onError: (error) => logger.error('HTTP handler failed', error),
      }),
    ];
    let url = config.publicUrl;
    if (config.roles.has('gateway')) {
      const channels = new ChannelDirectory(db.orm.em.fork());
      const fileStore = new FileStore(() => db.orm.em.fork());
      // Uploads never sent go after a day; every gateway node sweeps (the deletes are idempotent).
      const sweep = setInterval(() => {
        fileStore.deleteUnsent(new Date(Date.now() - UNSENT_FILE_TTL_MS)).then(
          (n) => n > 0 && logger.info(`deleted ${n} uploaded files never sent`),
          (e: unknown) => logger.warn('unsent files sweep failed', e),
        );
      }, FILE_SWEEP_MS);
      sweep.unref();
      stopSweeping = () => clearInterval(sweep);
      const subs = new ConversationSubscriptions(broker, actors, (error) => logger.warn('push registration failed:', error instanceof Error ? error.message : error));
      subscriptions = subs;
      const ownOrigin = () => new URL(url).origin;
      // History search: SQLite FTS5 embedded, Elasticsearch in cluster mode.
      const search = config.cluster && backends ? new ElasticsearchMessageSearch(backends.elasticsearch, db, { indexPrefix: config.cluster.elasticsearchIndexPrefix }) : new Fts5MessageSearch(db);
      const history = new History(db, search);
      // Cluster mode: the persister stores messages a moment after their ack; reads wait for it — up to
      // 15 s, longer than a dead worker node's partitions take to move to another (6 s session timeout).
      const log = new SqlMessageLog(db, { awaitPersister: config.cluster ? { pollMs: 20, maxWaitMs: 15_000 } : null });
      visitors = visitorGateway({
        channels,
        visitors: new VisitorDirectory(db.orm.em.fork()),
        log,
        files: fileStore,
        subscriptions: subs,
        names: cachedAgentNames(async (agentId) => {
          const r = await actors.send<unknown, { type: string; displayName?: string }>('agent', agentId, { type: 'describe' });
          return r.ok ? (r.effects.find((e) => e.type === 'profile')?.displayName ?? null) : null;
        }),
        send: (conversationId, command) => actors.send('conversation', conversationId, command),
        announce: announceConversation(broker),
        ownOrigin,
        connectionsPerAddress: config.visitorConnectionsPerIp,
        heartbeatMs: config.visitorHeartbeatSeconds * 1_000,
        onError: (what, error) => logger.warn(`visitor gateway: ${what} failed:`, error instanceof Error ? error.message : error),
        ...(metrics ? { metrics: metrics.gateways.forRole('visitor', () => visitors?.connectionCount ?? 0) } : {}),
      });
      const dir = directory!;
      agents = agentGateway({
        authenticator: dir.authenticator,
        account: async (who) => {
          const me = await dir.authenticator.me(who);
          return { displayName: me.displayName, isAgent: me.isAgent && !me.disabled, skillGroupIds: me.skillGroupIds };
        },
        onlineVisitors: (tenantId) => onlineVisitors(broker, tenantId),
        inviteVisitor: (tenantId, visitorId, invitation) => inviteVisitor(broker, tenantId, visitorId, invitation),
        agentScope: (tenantId, accountId) => dir.agentScope(tenantId, accountId),
        agentsIn: (tenantId, departmentPath, limit) => dir.agentsIn(tenantId, departmentPath, limit),
        skillGroupScope: (tenantId, skillGroupId) => dir.skillGroupScope(tenantId, skillGroupId),
        conversation: (conversationId, command) => actors.send('conversation', conversationId, command),
        agent: (agentId, command) => actors.send('agent', agentId, command),
        queue: (skillGroupId, command) => actors.send('queue', skillGroupId, command),
        log,
        visitorHistory: (principal, visitorId, limit) => history.list(principal, { visitorId }, { limit }),
        blockVisitor: (who, ban) => dir.bans.blockFromConversation(who, ban),
        files: fileStore,
        subscriptions: subs,
        ownOrigin,
        heartbeatMs: config.visitorHeartbeatSeconds * 1_000,
        watchGraceMs: config.watchGraceSeconds * 1_000,
        onError: (what, error) => logger.warn(`agent gateway: ${what} failed:`, error instanceof Error ? error.message : error),
        ...(metrics ? { metrics: metrics.gateways.forRole('agent', () => agents?.connectionCount ?? 0) } : {}),
      });
      const files = filesRoutes({
        files: fileStore,
        channels,
        visitors: new VisitorDirectory(db.orm.em.fork()),
        authenticator: dir.authenticator,
        conversation: (conversationId, command) => actors.send('conversation', conversationId, command),
        skillGroupScope: (tenantId, skillGroupId) => dir.skillGroupScope(tenantId, skillGroupId),
        ownOrigin,
        onError: (error) => logger.error('file route failed', error),
      });
      const apiTable = apiRouteTable({ directory: directory!, history, secureCookies: url.startsWith('https:') });
      routes.push(
        webRoutes(),
        visitors.routes,
        agents.routes,
        widgetRoutes({ channels, ownOrigin, onError: (error) => logger.error('widget route failed', error) }),
        files,
        apiRoutes({ routes: apiTable, authenticator: directory!.authenticator, ownOrigin, signInsPerMinute: config.signInsPerMinute, ...(metrics ? { timing: metrics.http } : {}), onError: (error) => logger.error('API route failed', error) }),
        apiDocsRoutes(apiTable, ownOrigin),
      );
    }
    http = await startHttpServer({ host: config.host, port: config.port, routes });

    if (config.port === 0) url = config.publicUrl.replace(/:0$/, `:${http.port}`);
    ready = true;
    metrics?.startupSeconds.set(process.uptime());
    logger.info(`Kefu ${KEFU_VERSION} ${config.mode} node ${config.nodeId} [${[...config.roles].join(',')}] ready at ${url}`);
    announceSetup(logger, setup, url);
    const gateway = visitors;
    return { config, broker, database, backends, actors, port: http.port, url, setup, visitorConnections: () => gateway?.connectionCount ?? 0, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
