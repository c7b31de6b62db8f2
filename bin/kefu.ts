/**
 * The `kefu` command.
 *
 *   kefu start                                  start a node (embedded by default; KEFU_MODE=cluster with KEFU_ROLES …)
 *   kefu setup-token [--tenant T]               issue a new one-time first-admin token and print it (while setup is pending)
 *   kefu admin create --email E --name N [--tenant T]
 *                                               create the first super admin from the command line; the password
 *                                               comes from KEFU_ADMIN_PASSWORD or is read from standard input
 *   kefu tenant create <id> <name>              add a company to a cluster; prints its first-admin setup token
 *   kefu reindex                                rebuild the history search index from the database, with a progress bar
 *                                               (Elasticsearch in cluster mode, SQLite FTS5 in embedded mode)
 *
 * Configuration comes from KEFU_* environment variables (README.md, "Configuration").
 */
import { DEFAULT_TENANT_ID } from '../actors/directory/channel.repository.ts';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ensureSetupToken } from '../actors/directory/setup.ts';
import { PasswordHasher } from '../actors/directory/passwords.ts';
import { createFirstAdmin, ensureTenant } from '../actors/directory/tenant.repository.ts';
import { isDomainError } from '../actors/kernel/domain-error.ts';
import { ConfigError, loadConfig, type KefuConfig } from '../cluster/config.ts';
import { migrateDatabase, openDatabase, type Database } from '../cluster/database.ts';
import { EMBEDDED_DATABASE_FILE, startNode } from '../cluster/node.ts';
import { hasNodeFlags, NODE_FLAGS } from '../cluster/node-flags.ts';
import { progressLine, reindexElasticsearch, reindexFts5 } from '../workers/reindex.ts';

async function start(config: KefuConfig): Promise<void> {
  if (!hasNodeFlags()) console.error(`warning: started without ${NODE_FLAGS.join(' ')}; every node should run with it (cluster/node-flags.ts) — it costs CPU on every message otherwise`);
  const node = await startNode(config);
  let signals = 0;
  const shutdown = (signal: string): void => {
    if (++signals > 1) {
      console.error(`${signal} again: exiting without a clean stop`);
      process.exit(1);
    }
    console.error(`${signal}: stopping Kefu node ${config.nodeId}…`);
    node.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('stop failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

async function withDatabase<T>(config: KefuConfig, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(
    config.cluster ? { dialect: 'mysql', url: config.cluster.mysqlUrl } : { dialect: 'sqlite', file: join(config.dataDir, EMBEDDED_DATABASE_FILE) },
  );
  try {
    await migrateDatabase(db);
    await ensureTenant(db.orm.em.fork(), { id: DEFAULT_TENANT_ID, name: 'Kefu' }, new Date());
    return await fn(db);
  } finally {
    await db.close();
  }
}

const tenantOption = { tenant: { type: 'string', default: DEFAULT_TENANT_ID } } as const;

async function setupToken(config: KefuConfig, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: tenantOption });
  await withDatabase(config, async (db) => {
    const state = await ensureSetupToken(db.orm.em.fork(), { tenantId: values.tenant, now: new Date(), nodeId: `cli@${config.nodeId}`, rotate: true });
    if (state.status === 'issued') {
      console.log(`${state.token}\n(valid until ${state.expiresAt.toISOString()}; earlier tokens no longer work)`);
    } else {
      console.error('Setup is already complete: an administrator exists. Nothing issued.');
      process.exitCode = 1;
    }
  });
}

/** The password: KEFU_ADMIN_PASSWORD, or the first line of standard input (typed without echo at a terminal). */
async function readPassword(): Promise<string> {
  const fromEnv = process.env.KEFU_ADMIN_PASSWORD;
  if (fromEnv) return fromEnv;
  const tty = process.stdin.isTTY;
  if (tty) process.stderr.write('Password for the new admin (not shown): ');
  const rl = createInterface({ input: process.stdin, terminal: tty });
  if (tty) (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
    if (tty) process.stderr.write('\n');
  }
}

async function admin(config: KefuConfig, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...tenantOption, email: { type: 'string' }, name: { type: 'string' } } });
  if (positionals[0] !== 'create' || !values.email || !values.name) {
    console.error('usage: kefu admin create --email EMAIL --name "DISPLAY NAME" [--tenant ID]   (password: KEFU_ADMIN_PASSWORD or stdin)');
    process.exitCode = 2;
    return;
  }
  const password = await readPassword();
  await withDatabase(config, async (db) => {
    // The command line has the database itself, so it issues the one-time token and redeems it at once.
    const state = await ensureSetupToken(db.orm.em.fork(), { tenantId: values.tenant, now: new Date(), nodeId: `cli@${config.nodeId}`, rotate: true });
    if (state.status !== 'issued') {
      console.error('Setup is already complete: an administrator exists. Nothing created.');
      process.exitCode = 1;
      return;
    }
    const ctx = {
      em: () => db.orm.em.fork(),
      dialect: db.dialect,
      now: () => new Date(),
      hasher: new PasswordHasher({ concurrency: 1, queue: 1 }),
      changed: () => {},
      skillGroupChanged: async () => {},
      agentChanged: async () => {},
      visitorBlocked: () => {},
    };
    try {
      const account = await createFirstAdmin(ctx, { tenantId: values.tenant, token: state.token, email: values.email!, displayName: values.name!, password, ip: 'cli' });
      console.log(`Created super admin ${account.displayName} <${account.email}> (${account.id}) in tenant ${values.tenant}.`);
    } catch (error) {
      if (!isDomainError(error)) throw error;
      console.error(error.message);
      process.exitCode = 1;
    }
  });
}

async function tenant(config: KefuConfig, args: string[]): Promise<void> {
  const [verb, id, ...name] = args;
  if (verb !== 'create' || !id || name.length === 0) {
    console.error('usage: kefu tenant create ID "COMPANY NAME"   (ID: lowercase letters, digits and -, at most 20)');
    process.exitCode = 2;
    return;
  }
  await withDatabase(config, async (db) => {
    await ensureTenant(db.orm.em.fork(), { id, name: name.join(' ') }, new Date());
    const state = await ensureSetupToken(db.orm.em.fork(), { tenantId: id, now: new Date(), nodeId: `cli@${config.nodeId}`, rotate: true });
    if (state.status === 'issued') console.log(`Tenant ${id} is ready. Its first admin is created at /setup with tenant "${id}" and this one-time token:\n${state.token}\n(valid until ${state.expiresAt.toISOString()})`);
    else console.log(`Tenant ${id} exists and has an administrator.`);
  });
}

async function reindex(config: KefuConfig): Promise<void> {
  const started = performance.now();
  const tty = process.stderr.isTTY;
  let shown = 0;
  const progress = (done: number, total: number) => {
    // A redrawn line on a terminal; a line per 10 % (and the last) in a log.
    const line = progressLine(done, total, performance.now() - started);
    if (tty) process.stderr.write(`\r${line}`);
    else if (done === total || done - shown >= total / 10) {
      process.stderr.write(`${line}\n`);
      shown = done;
    }
  };
  await withDatabase(config, async (db) => {
    let indexed: number;
    if (config.cluster) {
      const { Client } = await import('@elastic/elasticsearch');
      const es = new Client({ node: config.cluster.elasticsearchUrl, requestTimeout: 60_000 });
      try {
        indexed = await reindexElasticsearch(db, es, config.cluster.elasticsearchIndexPrefix, progress);
      } finally {
        await es.close();
      }
    } else {
      indexed = await reindexFts5(db, progress);
    }
    if (tty) process.stderr.write('\n');
    console.log(`Reindexed ${indexed.toLocaleString('en-US')} messages in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  });
}

const COMMANDS: Record<string, (config: KefuConfig, args: string[]) => Promise<void>> = {
  start,
  'setup-token': setupToken,
  admin,
  tenant,
  reindex,
};

const name = process.argv[2] ?? 'start';
const command = COMMANDS[name];
if (!command) {
  console.error(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
  process.exit(2);
}
try {
  await command(loadConfig(), process.argv.slice(3));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78); // EX_CONFIG
  }
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
}
