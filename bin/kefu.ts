/**
 * The `kefu` command.
 *
 *   kefu start          start a node (embedded by default; KEFU_MODE=cluster with KEFU_ROLES …)
 *   kefu setup-token    issue a new one-time first-admin token and print it (while setup is pending)
 *
 * Configuration comes from KEFU_* environment variables (README.md, "Configuration").
 */
import { DEFAULT_TENANT_ID } from '../actors/directory/channel.repository.ts';
import { ensureSetupToken } from '../actors/directory/setup.ts';
import { ConfigError, loadConfig, type KefuConfig } from '../cluster/config.ts';
import { migrateDatabase, openDatabase } from '../cluster/database.ts';
import { EMBEDDED_DATABASE_FILE, startNode } from '../cluster/node.ts';
import { join } from 'node:path';

async function start(config: KefuConfig): Promise<void> {
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

async function setupToken(config: KefuConfig): Promise<void> {
  const db = await openDatabase(
    config.cluster ? { dialect: 'mysql', url: config.cluster.mysqlUrl } : { dialect: 'sqlite', file: join(config.dataDir, EMBEDDED_DATABASE_FILE) },
  );
  try {
    await migrateDatabase(db);
    const state = await ensureSetupToken(db.orm.em.fork(), { tenantId: DEFAULT_TENANT_ID, now: new Date(), nodeId: `cli@${config.nodeId}`, rotate: true });
    if (state.status === 'issued') {
      console.log(`${state.token}\n(valid until ${state.expiresAt.toISOString()}; earlier tokens no longer work)`);
    } else {
      console.error('Setup is already complete: an administrator exists. Nothing issued.');
      process.exitCode = 1;
    }
  } finally {
    await db.close();
  }
}

const COMMANDS: Record<string, (config: KefuConfig) => Promise<void>> = {
  start,
  'setup-token': setupToken,
};

const name = process.argv[2] ?? 'start';
const command = COMMANDS[name];
if (!command) {
  console.error(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
  process.exit(2);
}
try {
  await command(loadConfig());
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78); // EX_CONFIG
  }
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
}
