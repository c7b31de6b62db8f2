/**
 * Identity and administration in cluster mode, as separate processes on the real MariaDB and NATS
 * (`npm run cluster:local` with two gateways): the REST API works on MySQL, and a change made
 * through one gateway takes effect at once on the other — its cached principals are dropped by
 * the `directory.changed` event, long before their 30-second expiry would.
 */
import { PRINCIPAL_CACHE_MS } from '../../actors/directory/authenticator.ts';
import { ApiClient, expectStatus } from '../api-client.ts';
import { launchCluster, setupToken, type ClusterRun } from '../cluster-run.ts';
import { waitFor } from '../support.ts';

const PASSWORD = 'cluster admin secret';
let cluster: ClusterRun | undefined;

afterAll(async () => {
  await cluster?.stop();
});

test('two gateways over MariaDB: the API works, and a role or account change on one is in force on the other at once', async () => {
  cluster = await launchCluster({ nodes: 1, gateways: 2, prefix: 'kefu-dir' });
  const { port } = cluster;
  const token = await setupToken(cluster);

  const one = `http://127.0.0.1:${port}`;
  const two = `http://127.0.0.1:${port + 1}`;
  expectStatus(await new ApiClient(one).post('/api/v1/setup', { token, email: 'boss@example.com', displayName: 'Boss', password: PASSWORD }), 201);
  const admin = await new ApiClient(one).login('boss@example.com', PASSWORD);

  const sales = expectStatus(await admin.post('/api/v1/departments', { parentId: 'root', name: '销售部 Sales' }), 201);
  const east = expectStatus(await admin.post('/api/v1/departments', { parentId: sales.id, name: '华东 East', isSkillGroup: true }), 201);
  const roles = expectStatus(await admin.get('/api/v1/roles'), 200) as { id: string; name: string; permissions: string[] }[];
  const agentRole = roles.find((r) => r.name.startsWith('Agent'))!;
  const agent = expectStatus(await admin.post('/api/v1/accounts', { email: 'li.na@example.com', displayName: '李娜', password: PASSWORD, departmentId: east.id, roleIds: [agentRole.id] }), 201);
  expect((await admin.post('/api/v1/accounts', { email: 'LI.NA@example.com', displayName: 'dup', password: PASSWORD, departmentId: east.id })).status).toBe(409);
  const inSales = expectStatus(await admin.get(`/api/v1/accounts?departmentId=${sales.id}`), 200) as { id: string }[];
  expect(inSales.map((a) => a.id)).toEqual([agent.id]);

  // The agent works on the other gateway, whose cache now holds their principal.
  const agentOnTwo = await new ApiClient(two).login('li.na@example.com', PASSWORD);
  expect((await agentOnTwo.get('/api/v1/departments')).status).toBe(403);

  // A role edit on gateway one is in force on gateway two well before the cache would expire.
  const changedAt = Date.now();
  expectStatus(await admin.patch(`/api/v1/roles/${agentRole.id}`, { permissions: [...agentRole.permissions, 'departments.read'] }), 200);
  const visible = await waitFor('gateway two to apply the new role', async () => {
    const r = await agentOnTwo.get('/api/v1/departments');
    return r.status === 200 ? (r.body as { id: string }[]) : undefined;
  }, PRINCIPAL_CACHE_MS / 2);
  expect(Date.now() - changedAt).toBeLessThan(PRINCIPAL_CACHE_MS);
  expect(visible.map((d) => d.id)).toEqual([east.id]); // their own department, nothing above or beside it

  // Disabling the account on gateway one ends its sessions everywhere.
  expectStatus(await admin.patch(`/api/v1/accounts/${agent.id}`, { disabled: true }), 200);
  await waitFor('gateway two to refuse the disabled account', async () => ((await agentOnTwo.get('/api/v1/me')).status === 401 ? true : undefined), PRINCIPAL_CACHE_MS / 2);
  expect((await new ApiClient(two).post('/api/v1/session', { email: 'li.na@example.com', password: PASSWORD })).status).toBe(401);
}, 240_000);
