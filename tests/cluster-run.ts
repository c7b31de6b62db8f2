/**
 * `npm run cluster:local` as the cluster integration tests run it: the launcher in a process of
 * its own, on a database of its own, over free ports; resolves once it reports the cluster ready.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TENANT_ID } from '../actors/directory/channel.repository.ts';
import { ensureSetupToken } from '../actors/directory/setup.ts';
import { openDatabase } from '../cluster/database.ts';
import { dropScratchData, scratchMysqlDatabase } from '../cluster/local-infra.ts';
import { ApiClient, expectStatus } from './api-client.ts';
import { freePorts, uniqueName, waitFor } from './support.ts';

const LAUNCHER = fileURLToPath(new URL('../cluster/launch-local.ts', import.meta.url));

export type ClusterRun = {
  /** The cluster's name (its Moleculer namespace). */
  readonly name: string;
  /** The first node's port; gateways come first, then the actor nodes, one port each. */
  readonly port: number;
  /** The database the nodes share (a scratch one, dropped by `stop`). */
  readonly mysqlUrl: string;
  readonly launcher: ChildProcess;
  /** Everything the launcher and its nodes printed so far. */
  output(): string;
  /** The last 40 lines its nodes logged at ERROR or FATAL (for a test to print after a failure it cannot reproduce). */
  errors(): string[];
  /** SIGTERM to the launcher (it stops its nodes), then drops the database. Idempotent. */
  stop(): Promise<void>;
};

export async function launchCluster(options: { nodes: number; gateways: number; prefix: string }): Promise<ClusterRun> {
  const name = uniqueName(options.prefix);
  const port = await freePorts(options.nodes + options.gateways);
  const scratch = await scratchMysqlDatabase('kefu_test');
  const launcher = spawn(process.execPath, [LAUNCHER, '--nodes', String(options.nodes), '--gateways', String(options.gateways), '--port', String(port), '--name', name], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KEFU_MYSQL_URL: scratch.url },
  });
  let output = '';
  launcher.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  launcher.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  let stopped: Promise<void> | null = null;
  const run: ClusterRun = {
    name,
    port,
    mysqlUrl: scratch.url,
    launcher,
    output: () => output,
    errors: () =>
      output
        .split('\n')
        .filter((line) => /\b(ERROR|FATAL)\b/.test(line))
        .slice(-40),
    stop: () =>
      (stopped ??= (async () => {
        if (launcher.exitCode === null && launcher.signalCode === null) {
          const exited = new Promise((resolve) => launcher.once('exit', resolve));
          launcher.kill('SIGTERM');
          await exited;
        }
        await scratch.drop();
        await dropScratchData(name);
      })()),
  };
  try {
    // An early exit fails at once (not after the timeout), saying what went wrong.
    const outcome = await waitFor('the launcher to report the cluster ready', async () => {
      if (launcher.exitCode !== null || launcher.signalCode !== null) return 'exited';
      return output.includes(`cluster "${name}" ready`) ? 'ready' : undefined;
    }, 120_000);
    if (outcome === 'exited') {
      throw new Error(`launcher exited early (${launcher.signalCode ?? `code ${launcher.exitCode}`}); what it and its nodes said went wrong:\n${troubles(output)}`);
    }
  } catch (error) {
    await run.stop();
    throw error;
  }
  return run;
}

/** Prints what the cluster's nodes logged as errors (a consumer crash, a refused produce), so a CI failure that does not reproduce leaves its cause in the log. */
export function logClusterErrors(run: ClusterRun | undefined): void {
  const errors = run?.errors() ?? [];
  if (errors.length > 0) console.log(`the cluster's nodes logged ${errors.length} error line(s):\n${errors.join('\n')}`);
}

/** The launcher's own lines and every warning or error of its nodes (a start-up failure is among them, before the long shutdown log). */
const troubles = (text: string): string =>
  text
    .split('\n')
    .filter((line) => /\[launcher\]|WARN|ERROR|FATAL|Error|error/.test(line))
    .slice(-80)
    .join('\n');

/** A fresh first-admin token for the cluster's default tenant, as `kefu setup-token` issues it. */
export async function setupToken(run: ClusterRun): Promise<string> {
  const db = await openDatabase({ dialect: 'mysql', url: run.mysqlUrl });
  try {
    const state = await ensureSetupToken(db.orm.em.fork(), { tenantId: DEFAULT_TENANT_ID, now: new Date(), nodeId: 'test', rotate: true });
    if (state.status !== 'issued') throw new Error('expected a setup token: an administrator exists already');
    return state.token;
  } finally {
    await db.close();
  }
}

/** The cluster's first administrator (boss@example.com), signed in through `base`, and the built-in agent role's id. */
export async function firstAdmin(run: ClusterRun, base: string, password: string): Promise<{ admin: ApiClient; agentRole: string }> {
  expectStatus(await new ApiClient(base).post('/api/v1/setup', { token: await setupToken(run), email: 'boss@example.com', displayName: 'Boss', password }), 201);
  const admin = await new ApiClient(base).login('boss@example.com', password);
  const roles = expectStatus(await admin.get('/api/v1/roles'), 200) as { id: string; name: string }[];
  return { admin, agentRole: roles.find((r) => r.name.startsWith('Agent'))!.id };
}
