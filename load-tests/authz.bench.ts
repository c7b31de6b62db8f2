/**
 * Permission check benchmark: `npm run bench:authz [-- --checks 200000]`
 *
 * What every REST call and agent frame pays before its work: find who the session cookie is (a
 * SHA-256 of the token and a cache lookup) and decide a permission over a department subtree
 * (policies/access.ts). Measured in-process on an embedded node's directory, against a baseline
 * in the same run: the SHA-256 of the token alone. Also the uncached path (principal loaded from
 * SQLite: session, account, roles), which a request takes after an invalidation.
 * Target (issue 7): ≤ 20 µs per cached check.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Directory } from '../actors/directory/directory.ts';
import { secretHash } from '../actors/directory/ids.ts';
import { PasswordHasher } from '../actors/directory/passwords.ts';
import { may } from '../actors/directory/policies/access.ts';
import { loadConfig } from '../cluster/config.ts';
import { startNode } from '../cluster/node.ts';
import { ApiClient, expectStatus } from '../tests/api-client.ts';
import { cookieValue, SESSION_COOKIE } from '../gateways/api/server.ts';

const { values } = parseArgs({ options: { checks: { type: 'string', default: '200000' }, uncached: { type: 'string', default: '2000' } } });
const CHECKS = Number(values.checks);
const UNCACHED = Number(values.uncached);

const perOp = (ms: number, n: number): number => (ms * 1000) / n;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-authz-bench-'));
  const node = await startNode(loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'warn', KEFU_NODE_ID: 'authz-bench' }));
  try {
    if (node.setup.status !== 'issued') throw new Error('expected a setup token');
    const password = 'bench admin secret';
    expectStatus(await new ApiClient(node.url).post('/api/v1/setup', { token: node.setup.token, email: 'boss@example.com', displayName: 'Boss', password }), 201);
    const admin = await new ApiClient(node.url).login('boss@example.com', password);
    // A department 10 levels deep, and an agent at its bottom.
    let parent = 'root';
    for (let i = 0; i < 10; i++) parent = expectStatus(await admin.post('/api/v1/departments', { parentId: parent, name: `Level ${i}` }), 201).id;
    const roles = expectStatus(await admin.get('/api/v1/roles'), 200) as { id: string; name: string }[];
    const agentRole = roles.find((r) => r.name.startsWith('Agent'))!.id;
    expectStatus(await admin.post('/api/v1/accounts', { email: 'agent@example.com', displayName: 'Agent', password, departmentId: parent, roleIds: [agentRole] }), 201);
    const agent = await new ApiClient(node.url).login('agent@example.com', password);
    const token = cookieValue(agent.cookie!, SESSION_COOKIE)!;

    const directory = new Directory({ em: () => node.database.orm.em.fork(), dialect: node.database.dialect, now: () => new Date(), hasher: new PasswordHasher({ concurrency: 1, queue: 1 }), skillGroupChanged: async () => {}, agentChanged: async () => {}, visitorBlocked: () => {} });
    const auth = directory.authenticator;
    const who = (await auth.fromSession(token))!;
    const scope = { tenantId: who.principal.tenantId, departmentPath: who.principal.departmentPath };

    let sink = 0;
    const t0 = performance.now();
    for (let i = 0; i < CHECKS; i++) sink += secretHash(token).length;
    const baselineMs = performance.now() - t0;

    const t1 = performance.now();
    for (let i = 0; i < CHECKS; i++) {
      const w = await auth.fromSession(token);
      if (w && may(w.principal, 'conversations.read', scope).allowed) sink++;
    }
    const cachedMs = performance.now() - t1;

    const t2 = performance.now();
    for (let i = 0; i < UNCACHED; i++) {
      auth.invalidate(who.principal.tenantId);
      const w = await auth.fromSession(token);
      if (w && may(w.principal, 'conversations.read', scope).allowed) sink++;
    }
    const uncachedMs = performance.now() - t2;
    if (sink === 0) throw new Error('nothing was checked');

    const baseline = perOp(baselineMs, CHECKS);
    const cached = perOp(cachedMs, CHECKS);
    console.log(`permission check benchmark (Node ${process.version}, ${CHECKS} cached checks, ${UNCACHED} uncached; an agent 10 departments deep)`);
    console.log(`  baseline  SHA-256 of the session token        ${baseline.toFixed(2)} µs`);
    console.log(`  cached    session → principal → may()         ${cached.toFixed(2)} µs  (${(cached / baseline).toFixed(1)}× baseline; target ≤ 20 µs: ${cached <= 20 ? 'met' : 'NOT met'})`);
    console.log(`  uncached  principal loaded from SQLite        ${perOp(uncachedMs, UNCACHED).toFixed(1)} µs`);
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
