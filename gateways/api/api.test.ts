/**
 * The REST API of an embedded node (SQLite) over real HTTP: first-run setup, sign-in abuse, CSRF,
 * sessions ending on password and role changes, request validation, the org tree, API tokens, the
 * audit log, and the OpenAPI document against the routes the server really answers.
 */
import { jest } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorStore } from '../../cluster/actor-store.ts';
import { loadConfig } from '../../cluster/config.ts';
import { startNode, type KefuNode } from '../../cluster/node.ts';
import { ApiClient, expectStatus } from '../../tests/api-client.ts';
import { scrape } from '../../tests/support.ts';

let dir: string;
let node: KefuNode;
let base: string;
let admin: ApiClient;
const ADMIN = { email: 'boss@example.com', displayName: 'Boss', password: 'correct horse battery' };
const PASSWORD = 'a long enough secret';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-api-'));
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true); // the setup banner
  node = await startNode(loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'error', KEFU_NODE_ID: 'api-test', KEFU_SIGN_INS_PER_MINUTE: '1000' }));
  base = `http://127.0.0.1:${node.port}`;
});
afterAll(async () => {
  await node?.stop();
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const client = () => new ApiClient(base);

describe('first-run setup', () => {
  test('only the printed one-time token creates the first admin, once', async () => {
    if (node.setup.status !== 'issued') throw new Error('a fresh node issues a setup token');
    const anon = client();
    expect(expectStatus(await anon.get('/api/v1/setup'), 200)).toEqual({ tenant: 'default', status: 'pending' });
    const wrong = await anon.post('/api/v1/setup', { ...ADMIN, token: 'not-the-token' });
    expect(wrong.status).toBe(401);
    expect((await anon.post('/api/v1/session', { email: ADMIN.email, password: ADMIN.password })).status).toBe(401);

    const weak = await anon.post('/api/v1/setup', { ...ADMIN, password: 'short', token: node.setup.token });
    expect(weak.status).toBe(400);
    expect(weak.body.details.fields.password).toMatch(/at least 10/);

    const created = expectStatus(await anon.post('/api/v1/setup', { ...ADMIN, token: node.setup.token }), 201);
    expect(created).toMatchObject({ email: ADMIN.email, isSuperAdmin: true, departmentId: 'root' });
    expect(JSON.stringify(created)).not.toMatch(/scrypt|password/i);
    expect((await anon.post('/api/v1/setup', { ...ADMIN, email: 'again@example.com', token: node.setup.token })).status).toBe(401);
    expect(expectStatus(await anon.get('/api/v1/setup'), 200).status).toBe('complete');
    admin = await client().login(ADMIN.email, ADMIN.password);
  });
});

describe('sign-in', () => {
  let agentId: string;
  beforeAll(async () => {
    const roles = expectStatus(await admin.get('/api/v1/roles'), 200) as { id: string; name: string }[];
    const agentRole = roles.find((r) => r.name.startsWith('Agent'))!;
    const a = expectStatus(await admin.post('/api/v1/accounts', { email: 'Li.Na@Example.com', displayName: 'Li Na', password: PASSWORD, departmentId: 'default', roleIds: [agentRole.id] }), 201);
    agentId = a.id;
    expect(a.email).toBe('li.na@example.com');
  });

  test('an unknown email and a wrong password get the same answer; the cookie is HttpOnly and SameSite', async () => {
    const unknown = await client().post('/api/v1/session', { email: 'nobody@example.com', password: PASSWORD });
    const wrong = await client().post('/api/v1/session', { email: 'li.na@example.com', password: 'wrong password!' });
    expect([unknown.status, wrong.status]).toEqual([401, 401]);
    expect(unknown.body.message).toBe(wrong.body.message);
    const ok = await client().post('/api/v1/session', { email: 'LI.NA@example.com', password: PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('set-cookie')).toMatch(/^kefu_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
  });

  test('five wrong passwords lock the account, even against the right one; an admin re-enabling lifts it', async () => {
    const victim = expectStatus(await admin.post('/api/v1/accounts', { email: 'victim@example.com', displayName: 'Victim', password: PASSWORD, departmentId: 'default' }), 201);
    for (let i = 0; i < 5; i++) expect((await client().post('/api/v1/session', { email: 'victim@example.com', password: `guess number ${i}` })).status).toBe(401);
    const locked = await client().post('/api/v1/session', { email: 'victim@example.com', password: PASSWORD });
    expect(locked.status).toBe(423);
    expect(locked.body).toMatchObject({ code: 'LOCKED', temporary: true });
    expectStatus(await admin.patch(`/api/v1/accounts/${victim.id}`, { disabled: false }), 200);
    await client().login('victim@example.com', PASSWORD);

    const log = expectStatus(await admin.get('/api/v1/audit?action=login&limit=50'), 200) as { outcome: string; details: Record<string, unknown> }[];
    expect(log.filter((e) => e.outcome === 'failure').length).toBeGreaterThanOrEqual(5);
    expect(log.some((e) => e.outcome === 'denied' && e.details.reason === 'locked')).toBe(true);
    expect(JSON.stringify(log)).not.toContain('guess number');
  });

  test('a state-changing request with the cookie but without the CSRF token, or from another origin, is refused and changes nothing', async () => {
    const before = (expectStatus(await admin.get('/api/v1/departments'), 200) as unknown[]).length;
    const noToken = await admin.request('POST', '/api/v1/departments', { parentId: 'root', name: 'Sneaky' }, { csrf: false });
    expect(noToken.status).toBe(403);
    expect(noToken.body.code).toBe('CSRF_INVALID');
    const otherSite = await admin.request('POST', '/api/v1/departments', { parentId: 'root', name: 'Sneaky' }, { headers: { origin: 'https://evil.example' } });
    expect(otherSite.status).toBe(403);
    expect((expectStatus(await admin.get('/api/v1/departments'), 200) as unknown[]).length).toBe(before);
  });

  test('changing one’s password ends every other session; a role change ends all of them', async () => {
    const requests = (code: string) => ({ route: '/api/v1/me', method: 'GET', code });
    const before = await scrape(node.port);
    const tab1 = await client().login('li.na@example.com', PASSWORD);
    const tab2 = await client().login('li.na@example.com', PASSWORD);
    const sessions = expectStatus(await tab1.get('/api/v1/me/sessions'), 200) as { current: boolean }[];
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    expect((await tab1.post('/api/v1/me/password', { currentPassword: 'not it at all', newPassword: 'another good secret' })).status).toBe(400);
    expectStatus(await tab1.post('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: 'another good secret' }), 204);
    expect((await tab2.get('/api/v1/me')).status).toBe(401);
    expect((await tab1.get('/api/v1/me')).status).toBe(200);
    // Each answer is timed under its route template and status class.
    const after = await scrape(node.port);
    expect(after.sum('kefu_http_request_seconds_count', requests('4xx')) - before.sum('kefu_http_request_seconds_count', requests('4xx'))).toBe(1);
    expect(after.sum('kefu_http_request_seconds_count', requests('2xx')) - before.sum('kefu_http_request_seconds_count', requests('2xx'))).toBe(1);

    expectStatus(await admin.patch(`/api/v1/accounts/${agentId}`, { roleIds: [] }), 200);
    expect((await tab1.get('/api/v1/me')).status).toBe(401);
    await client().login('li.na@example.com', 'another good secret');
  });

  test('one ends one’s own other session by id, never someone else’s', async () => {
    const laptop = await client().login(ADMIN.email, ADMIN.password);
    const phone = await client().login(ADMIN.email, ADMIN.password);
    const phoneSession = (expectStatus(await phone.get('/api/v1/me/sessions'), 200) as { id: string; current: boolean }[]).find((s) => s.current)!;
    const agent = await client().login('li.na@example.com', 'another good secret');
    expect((await agent.delete(`/api/v1/me/sessions/${phoneSession.id}`)).status).toBe(404);
    expect((await phone.get('/api/v1/me')).status).toBe(200);
    expectStatus(await laptop.delete(`/api/v1/me/sessions/${phoneSession.id}`), 204);
    expect((await phone.get('/api/v1/me')).status).toBe(401);
  });
});

describe('requests are validated before anything happens', () => {
  test.each([
    ['an unknown field', JSON.stringify({ parentId: 'root', name: 'X', colour: 'red' }), 'application/json', 400, 'INVALID'],
    ['a __proto__ key', '{"parentId":"root","name":"X","__proto__":{"isSkillGroup":true}}', 'application/json', 400, 'INVALID'],
    ['a wrong type', JSON.stringify({ parentId: 'root', name: 42 }), 'application/json', 400, 'INVALID'],
    ['invalid JSON', '{"parentId":', 'application/json', 400, 'INVALID'],
    ['a form body', 'parentId=root&name=X', 'application/x-www-form-urlencoded', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['an oversized body', JSON.stringify({ parentId: 'root', name: 'x'.repeat(70_000) }), 'application/json', 413, 'PAYLOAD_TOO_LARGE'],
  ])('%s', async (_, raw, contentType, status, code) => {
    const before = (expectStatus(await admin.get('/api/v1/departments'), 200) as unknown[]).length;
    const r = await admin.request('POST', '/api/v1/departments', undefined, { raw, headers: { 'content-type': contentType } });
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
    expect((expectStatus(await admin.get('/api/v1/departments'), 200) as unknown[]).length).toBe(before);
  });

  test('a hostile name is stored as text and answered as JSON, never interpreted', async () => {
    const name = '<img src=x onerror=alert(1)> 售后 \u202e';
    const d = expectStatus(await admin.post('/api/v1/departments', { parentId: 'root', name }), 201);
    expect(expectStatus(await admin.get(`/api/v1/departments/${d.id}`), 200).name).toBe(name);
    expect((await admin.get(`/api/v1/departments/${d.id}`)).headers.get('content-type')).toBe('application/json; charset=utf-8');
    expectStatus(await admin.delete(`/api/v1/departments/${d.id}`), 204);
  });
});

describe('accounts', () => {
  test('email and mobile are unique per tenant; many accounts may have no mobile', async () => {
    const make = (email: string, mobile?: string) => admin.post('/api/v1/accounts', { email, displayName: email, password: PASSWORD, departmentId: 'default', ...(mobile ? { mobile } : {}) });
    const a = expectStatus(await make('m1@example.com', '+86 138 0000 0001'), 201);
    expect(a.mobile).toBe('+86 138 0000 0001');
    expect(expectStatus(await make('m2@example.com'), 201).mobile).toBeNull();
    expectStatus(await make('m3@example.com'), 201);
    const taken = await make('m4@example.com', '+86 138 0000 0001');
    expect(taken.status).toBe(409);
    expect((await make('M1@EXAMPLE.com')).status).toBe(409);
    expect(expectStatus(await admin.patch(`/api/v1/accounts/${a.id}`, { mobile: null }), 200).mobile).toBeNull();
    expectStatus(await make('m4@example.com', '+86 138 0000 0001'), 201);
  });
});

test('an agent account is mirrored to its agent actor: name, skill groups, capacity; disabling takes it offline', async () => {
  expect((await admin.post('/api/v1/accounts', { email: 'nogroup@example.com', displayName: 'X', password: PASSWORD, departmentId: 'default', skillGroupIds: ['root'] })).status).toBe(400);
  const a = expectStatus(await admin.post('/api/v1/accounts', { email: 'wang.fang@example.com', displayName: '王芳', password: PASSWORD, departmentId: 'default', skillGroupIds: ['default'], maxConversations: 3 }), 201);
  expect(a.skillGroupIds).toEqual(['default']);
  const profile = async () => {
    const r = await node.actors.send<unknown, { type: string; displayName?: string; status?: string }>('agent', a.id, { type: 'describe' });
    if (!r.ok) throw new Error(r.message);
    return r.effects.find((e) => e.type === 'profile')!;
  };
  expect(await profile()).toMatchObject({ displayName: '王芳', status: 'offline' });
  await node.actors.send('agent', a.id, { type: 'connect', connectionId: 'desk', status: 'ready' });
  expectStatus(await admin.patch(`/api/v1/accounts/${a.id}`, { displayName: '王芳 Fang' }), 200);
  expect(await profile()).toMatchObject({ displayName: '王芳 Fang', status: 'ready' });
  expectStatus(await admin.patch(`/api/v1/accounts/${a.id}`, { disabled: true }), 200);
  expect((await profile()).status).toBe('offline');
});

test('one changes one’s own display name: it is what colleagues and visitors see from then on, and audited', async () => {
  const a = expectStatus(await admin.post('/api/v1/accounts', { email: 'zhao.min@example.com', displayName: '赵敏', password: PASSWORD, departmentId: 'default', skillGroupIds: ['default'] }), 201);
  const zhao = await client().login('zhao.min@example.com', PASSWORD);
  expect(expectStatus(await zhao.patch('/api/v1/me', { displayName: '  赵敏 Min  ' }), 200)).toMatchObject({ id: a.id, displayName: '赵敏 Min' });
  expect(expectStatus(await zhao.get('/api/v1/me'), 200).displayName).toBe('赵敏 Min');
  const r = await node.actors.send<unknown, { type: string; displayName?: string }>('agent', a.id, { type: 'describe' });
  expect(r.ok && r.effects.find((e) => e.type === 'profile')).toMatchObject({ displayName: '赵敏 Min' });
  expect((await zhao.patch('/api/v1/me', { displayName: '' })).status).toBe(400);
  expect((await zhao.patch('/api/v1/me', { displayName: 'x'.repeat(101) })).status).toBe(400);
  expect((await zhao.patch('/api/v1/me', { displayName: 'ok', email: 'other@example.com' })).status).toBe(400); // only the name
  const audit = expectStatus(await admin.get('/api/v1/audit?action=account.profile-change'), 200) as { actorId: string; details: { before: { displayName: string } } }[];
  expect(audit).toContainEqual(expect.objectContaining({ actorId: a.id, details: expect.objectContaining({ before: { displayName: '赵敏' } }) }));
});

test('the colleague directory names the tenant’s active agents and its skill groups, to anyone who handles conversations', async () => {
  const roles = expectStatus(await admin.get('/api/v1/roles'), 200) as { id: string; name: string }[];
  const agentRole = roles.find((r) => r.name.startsWith('Agent'))!.id;
  const group = expectStatus(await admin.post('/api/v1/departments', { parentId: 'root', name: '售后 After-sales <b>', isSkillGroup: true }), 201);
  const li = expectStatus(await admin.post('/api/v1/accounts', { email: 'li.lei@example.com', displayName: '李雷', password: PASSWORD, departmentId: group.id, roleIds: [agentRole], skillGroupIds: [group.id] }), 201);
  const gone = expectStatus(await admin.post('/api/v1/accounts', { email: 'gone.agent@example.com', displayName: 'Gone', password: PASSWORD, departmentId: group.id, roleIds: [agentRole] }), 201);
  expectStatus(await admin.patch(`/api/v1/accounts/${gone.id}`, { disabled: true }), 200);
  const clerk = expectStatus(await admin.post('/api/v1/accounts', { email: 'clerk@example.com', displayName: 'Clerk', password: PASSWORD, departmentId: group.id, isAgent: false }), 201);

  const asLi = await client().login('li.lei@example.com', PASSWORD);
  const colleagues = expectStatus(await asLi.get('/api/v1/colleagues'), 200) as { agents: { id: string; displayName: string; skillGroupIds: string[] }[]; skillGroups: { id: string; name: string }[]; channels: { id: string; name: string }[] };
  expect(colleagues.agents).toContainEqual({ id: li.id, displayName: '李雷', skillGroupIds: [group.id] });
  expect(colleagues.agents.map((a) => a.id)).not.toContain(gone.id);
  expect(colleagues.agents.map((a) => a.id)).not.toContain(clerk.id);
  expect(colleagues.skillGroups).toContainEqual({ id: group.id, name: '售后 After-sales <b>' });
  expect(colleagues.skillGroups.map((g) => g.id)).not.toContain('root');
  expect(colleagues.channels).toContainEqual({ id: expect.any(String), name: expect.any(String) }); // the default channel
  expect(colleagues.agents.map((a) => a.displayName)).toEqual([...colleagues.agents.map((a) => a.displayName)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));

  const asClerk = await client().login('clerk@example.com', PASSWORD);
  expect((await asClerk.get('/api/v1/colleagues')).status).toBe(403);
});

test('account lists page by keyset in tree order, each account exactly once', async () => {
  const full = expectStatus(await admin.get('/api/v1/accounts?limit=500'), 200) as { id: string; departmentId: string }[];
  expect(full.length).toBeGreaterThan(5);
  const paged: string[] = [];
  let after = '';
  for (;;) {
    const page = expectStatus(await admin.get(`/api/v1/accounts?limit=2${after ? `&after=${after}` : ''}`), 200) as { id: string }[];
    if (page.length === 0) break;
    paged.push(...page.map((a) => a.id));
    after = page.at(-1)!.id;
  }
  expect(paged).toEqual(full.map((a) => a.id));
  expect((await admin.get('/api/v1/accounts?after=ffffffffffffffff')).status).toBe(400);
});

describe('the org tree', () => {
  test('settings are inherited from the nearest department that sets them; a move carries the subtree and its accounts', async () => {
    const sales = expectStatus(await admin.post('/api/v1/departments', { parentId: 'root', name: 'Sales', settings: { welcomeMessage: 'Hi from sales', maxConversationsPerAgent: 8 } }), 201);
    const east = expectStatus(await admin.post('/api/v1/departments', { parentId: sales.id, name: 'East', isSkillGroup: true, settings: { maxConversationsPerAgent: 3 } }), 201);
    expect(east.path).toBe(`/root/${sales.id}/${east.id}/`);
    const eff = expectStatus(await admin.get(`/api/v1/departments/${east.id}/settings`), 200);
    expect(eff.settings).toMatchObject({ welcomeMessage: 'Hi from sales', maxConversationsPerAgent: 3, routingPolicy: 'idle-first' });
    expect(eff.from).toMatchObject({ welcomeMessage: sales.id, maxConversationsPerAgent: east.id, routingPolicy: null });

    // The skill group's queue actor runs with the settings in force, and follows an ancestor's change.
    const queueSettings = async () => (await new ActorStore(node.database).load<{ settings: { policy: string; maxWaiting: number | null } }>('queue', east.id))?.state.settings;
    expect(await queueSettings()).toMatchObject({ policy: 'idle-first', maxWaiting: null });
    expectStatus(await admin.patch(`/api/v1/departments/${sales.id}`, { settings: { routingPolicy: 'least-busy', maxWaiting: 40 } }), 200);
    expect(await queueSettings()).toMatchObject({ policy: 'least-busy', maxWaiting: 40 });

    expectStatus(await admin.patch(`/api/v1/departments/${east.id}`, { settings: { maxConversationsPerAgent: null } }), 200);
    expect(expectStatus(await admin.get(`/api/v1/departments/${east.id}/settings`), 200).settings.maxConversationsPerAgent).toBe(8);

    const member = expectStatus(await admin.post('/api/v1/accounts', { email: 'east@example.com', displayName: 'East agent', password: PASSWORD, departmentId: east.id }), 201);
    expect((await admin.patch(`/api/v1/departments/${sales.id}`, { parentId: east.id })).status).toBe(400);
    const moved = expectStatus(await admin.patch(`/api/v1/departments/${sales.id}`, { parentId: 'default' }), 200);
    expect(moved.path).toBe(`/root/default/${sales.id}/`);
    expect(expectStatus(await admin.get(`/api/v1/departments/${east.id}`), 200).path).toBe(`/root/default/${sales.id}/${east.id}/`);
    const listed = expectStatus(await admin.get(`/api/v1/accounts?departmentId=${east.id}`), 200) as { id: string }[];
    expect(listed.map((a) => a.id)).toEqual([member.id]);

    expect((await admin.delete(`/api/v1/departments/${east.id}`)).status).toBe(409);
    expectStatus(await admin.delete(`/api/v1/accounts/${member.id}`), 204);
    expectStatus(await admin.delete(`/api/v1/departments/${east.id}`), 204);
    expect((await admin.delete('/api/v1/departments/root')).status).toBe(409);
  });
});

describe('API tokens', () => {
  test('a token acts with the permissions it was given, needs no CSRF token, and stops at revocation', async () => {
    const made = expectStatus(await admin.post('/api/v1/api-tokens', { name: 'CRM sync', permissions: ['departments.read'] }), 201);
    expect(made.token).toMatch(/^kefu_[A-Za-z0-9_-]{43}$/);
    const integration = client();
    integration.bearer = made.token;
    expect((await integration.get('/api/v1/departments')).status).toBe(200);
    expect((await integration.get('/api/v1/accounts')).status).toBe(403);
    expect((await integration.post('/api/v1/roles', { name: 'Sneaky', permissions: [] })).status).toBe(403);
    expect(JSON.stringify(expectStatus(await admin.get('/api/v1/api-tokens'), 200))).not.toContain(made.token);
    expectStatus(await admin.delete(`/api/v1/api-tokens/${made.id}`), 204);
    expect((await integration.get('/api/v1/departments')).status).toBe(401);
  });

  test('an audit export is CSV, neutralises formulas, and is itself audited', async () => {
    await admin.post('/api/v1/departments', { parentId: 'root', name: '=HYPERLINK("http://evil")' });
    const r = await admin.get('/api/v1/audit/export?action=department.create');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(r.body.split('\r\n')[0]).toBe('at,actorName,actorId,action,outcome,targetType,targetId,ip,details');
    expect(r.body).not.toMatch(/(^|,)=HYPERLINK/m);
    const exports = expectStatus(await admin.get('/api/v1/audit?action=audit.export'), 200) as unknown[];
    expect(exports.length).toBeGreaterThanOrEqual(1);
  });
});

describe('the OpenAPI document', () => {
  test('is a valid OpenAPI 3.1 document', async () => {
    const doc = expectStatus(await client().get('/api/v1/openapi.json'), 200);
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  test('every documented operation is answered by a real route, and the docs page loads', async () => {
    const doc = expectStatus(await client().get('/api/v1/openapi.json'), 200) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => [method.toUpperCase(), path.replace(/\{\w+\}/g, 'x0')] as const));
    expect(operations.length).toBeGreaterThan(30);
    for (const [method, path] of operations) {
      const r = await client().request(method, path);
      // The catch-all answers NOT_FOUND "no such route"; a real route answers anything else (401 here, mostly).
      expect([method, path, r.body?.message]).not.toEqual([method, path, 'no such route']);
    }
    const undocumented = await client().get('/api/v1/not-a-route');
    expect(undocumented.body.message).toBe('no such route');
    const page = await client().get('/api/v1/docs');
    expect(page.status).toBe(200);
    expect(page.body).toContain('/api/v1/docs/swagger-ui-bundle.js');
    expect((await client().get('/api/v1/docs/swagger-ui-bundle.js')).status).toBe(200);
  });
});

test('sign-in attempts from one address are rate limited before any password is checked', async () => {
  const limited = await startNode(
    loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: join(dir, 'limited'), KEFU_LOG_LEVEL: 'error', KEFU_NODE_ID: 'api-limited', KEFU_SIGN_INS_PER_MINUTE: '3' }),
  );
  try {
    const attempts = [];
    for (let i = 0; i < 5; i++) attempts.push((await new ApiClient(`http://127.0.0.1:${limited.port}`).post('/api/v1/session', { email: 'x@example.com', password: 'whatever it is' })).status);
    expect(attempts).toEqual([401, 401, 401, 429, 429]);
  } finally {
    await limited.stop();
  }
});
