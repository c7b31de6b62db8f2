/**
 * The authorization matrix: every route of the API, and every action of the agent WebSocket (at
 * the end), × every kind of caller → allowed or refused
 * exactly as the rules say (policies/access.ts, restated here independently as the oracle):
 *   - no valid credentials (anonymous, a visitor's token) → 401;
 *   - nothing of another tenant is reachable → 404;
 *   - a permission route needs the permission (403 without it) over the department of the
 *     resource, which must be the caller's own or below it (404 otherwise — no probing of ids);
 *   - super-admin routes need a super admin (403).
 * The resources all live in department A1 (below A; B is A's sibling). Every route must have a case
 * here: a new route without one fails the test. Refused deletes must leave their target in place,
 * and lists must never show what lies outside the caller's subtree or tenant.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSetupToken } from '../../actors/directory/setup.ts';
import { ensureTenant } from '../../actors/directory/tenant.repository.ts';
import { BUILT_IN_ROLES, type Permission } from '../../actors/directory/policies/permissions.ts';
import { loadConfig } from '../../cluster/config.ts';
import { startNode, type KefuNode } from '../../cluster/node.ts';
import { AgentClient } from '../../tests/agent-client.ts';
import { ApiClient, expectStatus } from '../../tests/api-client.ts';
import { storedVisitor } from '../../tests/embedded.ts';
import { VisitorClient } from '../../tests/visitor-client.ts';
import { apiRouteTable } from './routes.ts';
import { ConversationRecords } from '../../actors/conversation/conversation-record.repository.ts';
import { appendStatement, searchIndexStatement } from '../../cluster/message-log.sql.ts';
import type { Route } from './route.ts';

const PASSWORD = 'matrix password 1';
let dir: string;
let node: KefuNode;
let base: string;
let boss: ApiClient;

type Persona = {
  readonly name: string;
  readonly client: () => ApiClient;
  /** null: not signed in. */
  readonly tenant: 't1' | 't2' | null;
  readonly superAdmin: boolean;
  readonly permissions: ReadonlySet<Permission>;
  /** Is department A1 (where every resource lives) the persona's own department or below it? */
  readonly reachesA1: boolean;
  readonly email?: string;
};

const perms = (key: string): Set<Permission> => new Set(BUILT_IN_ROLES.find((r) => r.key === key)!.permissions);
const org: Record<string, string> = {};
const ids: Record<string, string> = {};
const personas: Persona[] = [];
let emailSeq = 0;

const makeVisitor = (): Promise<string> => storedVisitor(node, ids.channelA1!);

const newAccountBody = () => ({ email: `made${++emailSeq}@example.com`, displayName: `Made ${emailSeq}`, password: PASSWORD, departmentId: org.A1, roleIds: [ids.agentRole] });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-matrix-'));
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  node = await startNode(loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'error', KEFU_NODE_ID: 'matrix', KEFU_SIGN_INS_PER_MINUTE: '100000' }));
  base = `http://127.0.0.1:${node.port}`;
  if (node.setup.status !== 'issued') throw new Error('expected a setup token');
  const client = () => new ApiClient(base);
  expectStatus(await client().post('/api/v1/setup', { token: node.setup.token, email: 'boss@t1.example', displayName: 'Boss', password: PASSWORD }), 201);
  // The fixtures are made by a super admin of their own, so personas ending their sessions (sign-out,
  // password change) never sign the fixture maker out.
  const first = await client().login('boss@t1.example', PASSWORD);
  expectStatus(await first.post('/api/v1/accounts', { email: 'fixtures@t1.example', displayName: 'Fixtures', password: PASSWORD, departmentId: 'root', isSuperAdmin: true }), 201);
  boss = await client().login('fixtures@t1.example', PASSWORD);

  const dept = async (name: string, parentId: string, isSkillGroup: boolean) => expectStatus(await boss.post('/api/v1/departments', { parentId, name, isSkillGroup }), 201).id as string;
  org.A = await dept('A', 'root', false);
  org.A1 = await dept('A1', org.A, true);
  org.B = await dept('B', 'root', true);
  const roles = expectStatus(await boss.get('/api/v1/roles'), 200) as { id: string; name: string }[];
  ids.agentRole = roles.find((r) => r.name.startsWith('Agent'))!.id;
  ids.adminRole = roles.find((r) => r.name.startsWith('Department admin'))!.id;
  const account = async (email: string, departmentId: string, roleId: string) =>
    expectStatus(await boss.post('/api/v1/accounts', { email, displayName: email.split('@')[0], password: PASSWORD, departmentId, roleIds: [roleId] }), 201).id as string;
  ids.agentB = await account('agent.b@t1.example', org.B, ids.agentRole);
  await account('agent.a@t1.example', org.A, ids.agentRole);
  await account('agent.a1@t1.example', org.A1, ids.agentRole);
  await account('admin.a@t1.example', org.A, ids.adminRole);
  const channelA1 = expectStatus(await boss.post('/api/v1/channels', { name: 'A1 site', skillGroupId: org.A1 }), 201);
  ids.channelA1 = channelA1.id;
  ids.channelA1Key = channelA1.key;
  ids.channelB = expectStatus(await boss.post('/api/v1/channels', { name: 'B site', skillGroupId: org.B }), 201).id;
  // A quick reply shared in B and a contact of B, which nobody in A may see or change.
  expectStatus(await boss.post('/api/v1/quick-replies', { departmentId: org.B, shortcut: 'b-only', content: 'Shared in B.' }), 201);
  expectStatus(await boss.post('/api/v1/contacts', { name: 'Customer of B', departmentId: org.B }), 201);

  // History: a conversation of skill group A1 and one of B, each with a message to search for.
  ids.conversationA1 = `matrixA1${Date.now().toString(36)}`;
  ids.conversationB = `matrixB${Date.now().toString(36)}`;
  const created = (conversationId: string, skillGroupId: string, channelId: string) =>
    ({ name: 'conversation.created', tenantId: 'default', conversationId, at: Date.now(), channelId, skillGroupId, visitor: { visitorId: 'v-history', displayName: null, identified: false, vip: false, lastAgentId: null } }) as const;
  await new ConversationRecords(node.database).apply([created(ids.conversationA1, org.A1!, ids.channelA1!), created(ids.conversationB, org.B!, ids.channelB!)]);
  const said = (conversationId: string) => ({ tenantId: 'default', conversationId, seq: 1, clientMsgId: 'm1', from: { kind: 'visitor' as const }, visibility: 'public' as const, text: `我要退款 ${conversationId}`, at: Date.now(), epoch: 1 });
  const conn = node.database.orm.em.getConnection();
  for (const statement of [appendStatement('sqlite', [said(ids.conversationA1), said(ids.conversationB)]), searchIndexStatement([said(ids.conversationA1), said(ids.conversationB)])]) {
    await conn.execute(statement.sql, statement.params, 'run');
  }

  // A second company on the same installation, with its own first admin.
  await ensureTenant(node.database.orm.em.fork(), { id: 't2', name: 'Other company' }, new Date());
  const t2Setup = await ensureSetupToken(node.database.orm.em.fork(), { tenantId: 't2', now: new Date(), nodeId: 'matrix', rotate: true });
  if (t2Setup.status !== 'issued') throw new Error('expected a t2 setup token');
  expectStatus(await client().post('/api/v1/setup', { tenant: 't2', token: t2Setup.token, email: 'boss@t2.example', displayName: 'Other boss', password: PASSWORD }), 201);

  const none = new Set<Permission>();
  personas.push(
    { name: 'anonymous', client, tenant: null, superAdmin: false, permissions: none, reachesA1: false },
    {
      name: 'visitor',
      client: () => Object.assign(client(), { bearer: 'QmFkLXZpc2l0b3ItdG9rZW4tZm9yLXRoZS1tYXRyaXg', cookie: 'kefu_session=QmFkLXZpc2l0b3ItdG9rZW4tZm9yLXRoZS1tYXRyaXg' }),
      tenant: null,
      superAdmin: false,
      permissions: none,
      reachesA1: false,
    },
    { name: 'agent in A', client, email: 'agent.a@t1.example', tenant: 't1', superAdmin: false, permissions: perms('agent'), reachesA1: true },
    { name: 'agent in A1', client, email: 'agent.a1@t1.example', tenant: 't1', superAdmin: false, permissions: perms('agent'), reachesA1: true },
    { name: 'agent in B', client, email: 'agent.b@t1.example', tenant: 't1', superAdmin: false, permissions: perms('agent'), reachesA1: false },
    { name: 'department admin of A', client, email: 'admin.a@t1.example', tenant: 't1', superAdmin: false, permissions: perms('department-admin'), reachesA1: true },
    { name: 'super admin', client, email: 'boss@t1.example', tenant: 't1', superAdmin: true, permissions: none, reachesA1: true },
    { name: 'other tenant’s admin', client, email: 'boss@t2.example', tenant: 't2', superAdmin: true, permissions: none, reachesA1: false },
  );
}, 120_000);

afterAll(async () => {
  await node?.stop();
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** One route's case: a fresh target and body (made by the super admin), and what the rule checks. */
type Case = {
  /** Where the request goes and what it sends (a fresh target for each persona). */
  readonly prepare: (as: ApiClient) => Promise<{ path: string; body?: unknown }>;
  /** The resource is tenant t1's, in A1 (false: the route acts only on the caller's own things). */
  readonly targetsA1: boolean;
  /** The permission the rule checks when it is finer than the route's declared access. */
  readonly needs?: Permission;
  /** After a refused request: the target must still be there (a path the super admin can GET). */
  readonly stillThere?: string;
};

const fixed = (path: string, body?: unknown) => async () => ({ path, ...(body === undefined ? {} : { body }) });
/** A quick reply of the caller's own when they may have one (an unknown id otherwise). */
const ownQuickReply = async (as: ApiClient): Promise<string> => {
  const made = as.cookie ? await as.post('/api/v1/me/quick-replies', { shortcut: `own${++emailSeq}`, content: 'One moment please.' }) : null;
  return made?.status === 201 ? (made.body as { id: string }).id : 'x0';
};
const contactInA1 = async (): Promise<string> => expectStatus(await boss.post('/api/v1/contacts', { name: 'Customer A1', departmentId: org.A1 }), 201).id as string;
const sharedQuickReplyInA1 = async (): Promise<string> =>
  expectStatus(await boss.post('/api/v1/quick-replies', { departmentId: org.A1, shortcut: `a1${++emailSeq}`, content: 'Shared in A1.' }), 201).id as string;
const CASES: Record<string, Case | 'public'> = {
  'GET /api/v1/setup': 'public',
  'POST /api/v1/setup': 'public',
  'POST /api/v1/session': 'public',
  'GET /api/v1/session': { prepare: fixed('/api/v1/session'), targetsA1: false },
  'DELETE /api/v1/session': { prepare: fixed('/api/v1/session'), targetsA1: false },
  'GET /api/v1/me': { prepare: fixed('/api/v1/me'), targetsA1: false },
  'PATCH /api/v1/me': {
    // Sets the caller's own name to what it is (the personas keep their names).
    prepare: async (as) => {
      const me = as.cookie || as.bearer ? await as.get('/api/v1/me') : null;
      return { path: '/api/v1/me', body: { displayName: me?.status === 200 ? (me.body as { displayName: string }).displayName : 'Someone' } };
    },
    targetsA1: false,
  },
  'POST /api/v1/me/password': { prepare: fixed('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: PASSWORD }), targetsA1: false },
  'GET /api/v1/me/sessions': { prepare: fixed('/api/v1/me/sessions'), targetsA1: false },
  'DELETE /api/v1/me/sessions/{id}': {
    prepare: async (as) => {
      const me = as.cookie ? await as.get('/api/v1/me/sessions') : null;
      const own = (me?.status === 200 ? (me.body as { id: string }[]) : [])[0];
      return { path: `/api/v1/me/sessions/${own?.id ?? 'x0'}` };
    },
    targetsA1: false,
  },
  'GET /api/v1/permissions': { prepare: fixed('/api/v1/permissions'), targetsA1: false },
  'GET /api/v1/api-tokens': { prepare: fixed('/api/v1/api-tokens'), targetsA1: false },
  'POST /api/v1/api-tokens': { prepare: fixed('/api/v1/api-tokens', { name: 'token', permissions: ['departments.read'] }), targetsA1: false },
  'DELETE /api/v1/api-tokens/{id}': {
    prepare: async (as) => {
      // A token of one's own when one may make tokens; otherwise the super admin's.
      const mine = await as.post('/api/v1/api-tokens', { name: 'own', permissions: ['departments.read'] });
      const id = mine.status === 201 ? mine.body.id : expectStatus(await boss.post('/api/v1/api-tokens', { name: 'boss', permissions: ['departments.read'] }), 201).id;
      return { path: `/api/v1/api-tokens/${id}` };
    },
    targetsA1: false,
  },
  'GET /api/v1/departments': { prepare: fixed('/api/v1/departments'), targetsA1: false },
  'POST /api/v1/departments': { prepare: async () => ({ path: '/api/v1/departments', body: { parentId: org.A1, name: 'New' } }), targetsA1: true },
  'GET /api/v1/departments/{id}': { prepare: async () => ({ path: `/api/v1/departments/${org.A1}` }), targetsA1: true },
  'PATCH /api/v1/departments/{id}': { prepare: async () => ({ path: `/api/v1/departments/${org.A1}`, body: { name: 'A1' } }), targetsA1: true, needs: 'departments.write' },
  'DELETE /api/v1/departments/{id}': {
    prepare: async () => {
      const d = expectStatus(await boss.post('/api/v1/departments', { parentId: org.A1, name: 'Doomed' }), 201);
      return { path: `/api/v1/departments/${d.id}` };
    },
    targetsA1: true,
    stillThere: 'same',
  },
  'GET /api/v1/departments/{id}/settings': { prepare: async () => ({ path: `/api/v1/departments/${org.A1}/settings` }), targetsA1: true },
  'GET /api/v1/roles': { prepare: fixed('/api/v1/roles'), targetsA1: false },
  'POST /api/v1/roles': { prepare: async () => ({ path: '/api/v1/roles', body: { name: `Role ${++emailSeq}`, permissions: ['contacts.read'] } }), targetsA1: false },
  'GET /api/v1/roles/{id}': { prepare: async () => ({ path: `/api/v1/roles/${ids.agentRole}` }), targetsA1: true },
  'PATCH /api/v1/roles/{id}': { prepare: async () => ({ path: `/api/v1/roles/${ids.agentRole}`, body: { description: 'edited' } }), targetsA1: true },
  'DELETE /api/v1/roles/{id}': {
    prepare: async () => ({ path: `/api/v1/roles/${expectStatus(await boss.post('/api/v1/roles', { name: `Doomed ${++emailSeq}`, permissions: [] }), 201).id}` }),
    targetsA1: true,
    stillThere: 'same',
  },
  'GET /api/v1/colleagues': { prepare: fixed('/api/v1/colleagues'), targetsA1: false },
  'GET /api/v1/accounts': { prepare: fixed('/api/v1/accounts'), targetsA1: false },
  'POST /api/v1/accounts': { prepare: async () => ({ path: '/api/v1/accounts', body: newAccountBody() }), targetsA1: true },
  'GET /api/v1/accounts/{id}': { prepare: async () => ({ path: `/api/v1/accounts/${expectStatus(await boss.post('/api/v1/accounts', newAccountBody()), 201).id}` }), targetsA1: true },
  'PATCH /api/v1/accounts/{id}': {
    prepare: async () => ({ path: `/api/v1/accounts/${expectStatus(await boss.post('/api/v1/accounts', newAccountBody()), 201).id}`, body: { displayName: 'Renamed' } }),
    targetsA1: true,
  },
  'POST /api/v1/accounts/{id}/password': {
    prepare: async () => ({ path: `/api/v1/accounts/${expectStatus(await boss.post('/api/v1/accounts', newAccountBody()), 201).id}/password`, body: { password: 'a new good password' } }),
    targetsA1: true,
  },
  'DELETE /api/v1/accounts/{id}': {
    prepare: async () => ({ path: `/api/v1/accounts/${expectStatus(await boss.post('/api/v1/accounts', newAccountBody()), 201).id}` }),
    targetsA1: true,
    stillThere: 'same',
  },
  'GET /api/v1/channels': { prepare: fixed('/api/v1/channels'), targetsA1: false },
  'POST /api/v1/channels': { prepare: async () => ({ path: '/api/v1/channels', body: { name: 'New site', skillGroupId: org.A1 } }), targetsA1: true },
  'GET /api/v1/channels/{id}': { prepare: async () => ({ path: `/api/v1/channels/${ids.channelA1}` }), targetsA1: true },
  'PATCH /api/v1/channels/{id}': { prepare: async () => ({ path: `/api/v1/channels/${ids.channelA1}`, body: { name: 'A1 site' } }), targetsA1: true },
  'POST /api/v1/channels/{id}/identity-secret': { prepare: async () => ({ path: `/api/v1/channels/${ids.channelA1}/identity-secret` }), targetsA1: true },
  'DELETE /api/v1/channels/{id}': {
    prepare: async () => ({ path: `/api/v1/channels/${expectStatus(await boss.post('/api/v1/channels', { name: 'Doomed site', skillGroupId: org.A1 }), 201).id}` }),
    targetsA1: true,
    stillThere: 'same',
  },
  'GET /api/v1/blacklist': { prepare: fixed('/api/v1/blacklist'), targetsA1: false },
  'POST /api/v1/blacklist': { prepare: async () => ({ path: '/api/v1/blacklist', body: { visitorId: await makeVisitor(), reason: 'spam' } }), targetsA1: true },
  'DELETE /api/v1/blacklist/{id}': {
    prepare: async () => ({ path: `/api/v1/blacklist/${expectStatus(await boss.post('/api/v1/blacklist', { visitorId: await makeVisitor() }), 201).id}` }),
    targetsA1: true,
  },
  'GET /api/v1/me/quick-replies': { prepare: fixed('/api/v1/me/quick-replies'), targetsA1: false },
  'POST /api/v1/me/quick-replies': { prepare: async () => ({ path: '/api/v1/me/quick-replies', body: { shortcut: `mine${++emailSeq}`, content: 'Thanks for waiting!' } }), targetsA1: false },
  'PATCH /api/v1/me/quick-replies/{id}': { prepare: async (as) => ({ path: `/api/v1/me/quick-replies/${await ownQuickReply(as)}`, body: { content: 'Changed' } }), targetsA1: false },
  'DELETE /api/v1/me/quick-replies/{id}': { prepare: async (as) => ({ path: `/api/v1/me/quick-replies/${await ownQuickReply(as)}` }), targetsA1: false },
  'GET /api/v1/quick-replies': { prepare: fixed('/api/v1/quick-replies'), targetsA1: false },
  'POST /api/v1/quick-replies': { prepare: async () => ({ path: '/api/v1/quick-replies', body: { departmentId: org.A1, shortcut: `shared${++emailSeq}`, content: 'Our hours are 9–18.' } }), targetsA1: true },
  'PATCH /api/v1/quick-replies/{id}': { prepare: async () => ({ path: `/api/v1/quick-replies/${await sharedQuickReplyInA1()}`, body: { content: 'Changed' } }), targetsA1: true },
  'DELETE /api/v1/quick-replies/{id}': { prepare: async () => ({ path: `/api/v1/quick-replies/${await sharedQuickReplyInA1()}` }), targetsA1: true },
  'GET /api/v1/contacts': { prepare: fixed('/api/v1/contacts'), targetsA1: false },
  'POST /api/v1/contacts': { prepare: async () => ({ path: '/api/v1/contacts', body: { name: 'New customer', departmentId: org.A1 } }), targetsA1: true },
  'GET /api/v1/contacts/{id}': { prepare: async () => ({ path: `/api/v1/contacts/${await contactInA1()}` }), targetsA1: true },
  'PATCH /api/v1/contacts/{id}': { prepare: async () => ({ path: `/api/v1/contacts/${await contactInA1()}`, body: { notes: 'Prefers email.' } }), targetsA1: true },
  'DELETE /api/v1/contacts/{id}': { prepare: async () => ({ path: `/api/v1/contacts/${await contactInA1()}` }), targetsA1: true, stillThere: 'same' },
  'GET /api/v1/visitors/{id}/contact': { prepare: async () => ({ path: `/api/v1/visitors/${await makeVisitor()}/contact` }), targetsA1: true },
  'PUT /api/v1/visitors/{id}/contact': { prepare: async () => ({ path: `/api/v1/visitors/${await makeVisitor()}/contact`, body: { contactId: await contactInA1() } }), targetsA1: true },
  'GET /api/v1/audit': { prepare: fixed('/api/v1/audit'), targetsA1: false },
  'GET /api/v1/audit/export': { prepare: fixed('/api/v1/audit/export'), targetsA1: false },
  'GET /api/v1/history/conversations': { prepare: fixed('/api/v1/history/conversations'), targetsA1: false },
  'GET /api/v1/history/conversations/{id}': { prepare: async () => ({ path: `/api/v1/history/conversations/${ids.conversationA1}` }), targetsA1: true },
  'GET /api/v1/history/conversations/{id}/messages': { prepare: async () => ({ path: `/api/v1/history/conversations/${ids.conversationA1}/messages` }), targetsA1: true },
  'GET /api/v1/history/search': { prepare: fixed(`/api/v1/history/search?q=${encodeURIComponent('退款')}`), targetsA1: false },
};

const key = (r: Route) => `${r.method.toUpperCase()} ${r.path}`;
const ROUTES = apiRouteTable({ directory: null as never, history: null as never, secureCookies: false });

test('every route of the API has a case in the matrix', () => {
  expect(ROUTES.map(key).filter((k) => !(k in CASES))).toEqual([]);
  expect(Object.keys(CASES).filter((k) => !ROUTES.some((r) => key(r) === k))).toEqual([]);
});

/** The oracle: the status class the rules give `persona` on `route`. */
function expected(route: Route, c: Case, p: Persona): 'allowed' | 401 | 403 | 404 {
  if (p.tenant === null) return 401;
  const superAdmin = p.superAdmin;
  switch (route.access.kind) {
    case 'public':
    case 'signed-in':
    case 'session':
      return 'allowed';
    case 'super-admin':
      if (!superAdmin) return 403;
      return c.targetsA1 && p.tenant !== 't1' ? 404 : 'allowed';
    case 'permission': {
      const needed = [route.access.permission, ...(c.needs ? [c.needs] : [])];
      if (!superAdmin && !needed.every((n) => p.permissions.has(n))) return 403;
      if (c.targetsA1 && (p.tenant !== 't1' || !p.reachesA1)) return 404;
      return 'allowed';
    }
  }
}

const matrix = ROUTES.filter((r) => CASES[key(r)] !== 'public');

describe.each(matrix.map((r) => [key(r), r] as const))('%s', (_, route) => {
  test.each([0, 1, 2, 3, 4, 5, 6, 7])('persona %i', async (i) => {
    const persona = personas[i]!;
    const c = CASES[key(route)] as Case;
    const as = persona.client();
    if (persona.email) await as.login(persona.email, PASSWORD, persona.tenant === 't2' ? 't2' : undefined);
    const { path, body } = await c.prepare(as);
    const answer = await as.request(route.method.toUpperCase(), path, body);
    const want = expected(route, c, persona);
    const got = answer.status < 300 ? 'allowed' : answer.status;
    expect({ persona: persona.name, status: got, body: got === want ? null : answer.body }).toEqual({ persona: persona.name, status: want, body: null });

    if (want !== 'allowed' && c.stillThere) expect((await boss.get(path)).status).toBe(200);
    // Lists show nothing beyond the caller's subtree (B is outside A) or tenant. (The audit log is
    // left out: it rightly records the ids a caller itself sent in refused requests. The colleague
    // directory is tenant-wide by design — a transfer may go to any colleague — so only the tenant
    // bound holds for it.)
    if (want === 'allowed' && route.method === 'get' && !c.targetsA1 && !path.startsWith('/api/v1/audit')) {
      const text = JSON.stringify(answer.body);
      const tenantWide = path === '/api/v1/colleagues';
      if (persona.tenant === 't2') for (const id of [org.A, org.A1, org.B, ids.channelA1, ids.agentRole, ids.agentB]) expect(text).not.toContain(id);
      if (persona.reachesA1 && !persona.superAdmin && !tenantWide) for (const id of [org.B, ids.agentB, ids.channelB, ids.conversationB]) expect(text).not.toContain(id);
      if (persona.tenant === 't2') expect(text).not.toContain(ids.conversationA1);
    }
  });
});

/**
 * The agent WebSocket, every action × every persona. The rules (protocol/agent.md): the socket
 * opens for a signed-in agent account with `conversations.reply`, or a supervisor with
 * `monitoring.read` who only watches (401 without a session, 403 for anyone else). Then only the
 * conversation's own agent acts on it as its agent; a supervisor's actions need `monitoring.read`
 * (watch) or `monitoring.intervene` (whisper, take over) over the department of the conversation's
 * skill group, in their own tenant, and taking over needs an agent. Everyone else is refused and
 * the conversation does not change. The conversation here is assigned to the agent in A1 (the only
 * agent of skill group A1).
 */
describe('agent WebSocket', () => {
  jest.setTimeout(60_000);
  const CONVERSATION_FRAMES = ['accept', 'message', 'read', 'typing', 'history', 'invite', 'transfer', 'request-rating', 'tag', 'close', 'block-visitor'] as const;
  const wsUrl = () => `ws://127.0.0.1:${node.port}/ws/agent`;
  const opened: { close(): void }[] = [];
  afterEach(() => {
    for (const c of opened.splice(0)) c.close();
  });

  /** The oracle. Every t1 account but the super admins is an agent, and every built-in role may reply. */
  const takesConversations = (p: Persona) => p.tenant === 't1' && !p.superAdmin;
  const connects = (p: Persona) => takesConversations(p) || (p.tenant !== null && (p.superAdmin || p.permissions.has('monitoring.read')));
  const supervisesA1 = (p: Persona, permission: Permission) => p.tenant === 't1' && p.reachesA1 && (p.superAdmin || p.permissions.has(permission));

  /** A conversation of channel A1 assigned to the agent in A1 (whose fixture tab is ready). */
  async function assignedConversation(): Promise<{ conversationId: string; visitor: VisitorClient; owner: AgentClient }> {
    const ownerApi = await new ApiClient(base).login('agent.a1@t1.example', PASSWORD);
    const owner = await AgentClient.connect(wsUrl(), { cookie: ownerApi.cookie });
    opened.push(owner);
    await owner.hello();
    await sendAndSettle(owner, { type: 'set-status', status: 'ready' }); // a persona before may have left the agent away
    const visitor = await VisitorClient.connect(`ws://127.0.0.1:${node.port}/ws/visitor/${ids.channelA1Key}`);
    opened.push(visitor);
    await visitor.hello();
    visitor.send({ type: 'start' });
    const assigned = await owner.next('conversation', (c) => c.status === 'assigned');
    return { conversationId: assigned.conversationId, visitor, owner };
  }

  const describeConversation = async (conversationId: string) => {
    const r = await node.actors.send<unknown, { type: string; status?: string; agentId?: string | null; lastSeq?: number; invitedAgentIds?: string[]; monitors?: unknown[]; tags?: string[] }>('conversation', conversationId, { type: 'describe' });
    if (!r.ok) throw new Error(r.message);
    const { status, agentId, lastSeq, invitedAgentIds, monitors, tags } = r.effects.find((e) => e.type === 'described')!;
    return { status, agentId, lastSeq, invitedAgentIds, monitors, tags };
  };

  /** Sends a frame and waits until the gateway has handled it (frames of a connection are handled in order). */
  async function sendAndSettle(tab: AgentClient, frame: object): Promise<ReturnType<AgentClient['next']> extends Promise<infer F> ? F[] : never> {
    const from = tab.frames.length;
    tab.send(frame);
    tab.send({ type: 'ping' });
    await tab.next('pong', () => true, { from });
    return tab.frames.slice(from) as never;
  }

  async function connectAs(persona: Persona): Promise<AgentClient | null> {
    const as = persona.client();
    if (persona.email) await as.login(persona.email, PASSWORD, persona.tenant === 't2' ? 't2' : undefined);
    const upgrade = AgentClient.connect(wsUrl(), { cookie: as.cookie ?? (persona.name === 'visitor' ? 'kefu_session=QmFkLXZpc2l0b3ItdG9rZW4tZm9yLXRoZS1tYXRyaXg' : null) });
    if (persona.tenant === null) {
      await expect(upgrade).rejects.toThrow('HTTP 401');
      return null;
    }
    if (!connects(persona)) {
      await expect(upgrade).rejects.toThrow('HTTP 403');
      return null;
    }
    const tab = await upgrade;
    opened.push(tab);
    expect((await tab.hello()).agent.takesConversations).toBe(takesConversations(persona));
    return tab;
  }

  let agentInA: string;
  beforeAll(async () => {
    const accounts = expectStatus(await boss.get('/api/v1/accounts?limit=500'), 200) as { id: string; email: string }[];
    await boss.patch(`/api/v1/accounts/${accounts.find((a) => a.email === 'agent.a1@t1.example')!.id}`, { skillGroupIds: [org.A1] });
    agentInA = accounts.find((a) => a.email === 'agent.a@t1.example')!.id;
  });

  test.each([0, 1, 2, 3, 4, 5, 6, 7])('persona %i: the upgrade, then every action on the A1 agent’s conversation as its agent', async (i) => {
    const persona = personas[i]!;
    const tab = await connectAs(persona);
    if (!tab) return;
    const { conversationId, visitor, owner: ownerTab } = await assignedConversation();
    const owner = persona.name === 'agent in A1';
    const before = await describeConversation(conversationId);
    const frames: Record<(typeof CONVERSATION_FRAMES)[number], object> = {
      accept: { type: 'accept', conversationId },
      message: { type: 'message', conversationId, clientMsgId: `m${i}`, text: 'hello from the matrix' },
      read: { type: 'read', conversationId, seq: 0 },
      typing: { type: 'typing', conversationId, typing: true },
      history: { type: 'history', conversationId },
      invite: { type: 'invite', conversationId, agentId: agentInA },
      transfer: { type: 'transfer', conversationId, to: { skillGroupId: org.A1 } },
      'request-rating': { type: 'request-rating', conversationId },
      tag: { type: 'tag', conversationId, tags: ['matrix'] },
      close: { type: 'close', conversationId, summary: 'matrix' },
      'block-visitor': { type: 'block-visitor', conversationId, reason: 'matrix', days: 1 },
    };
    for (const action of CONVERSATION_FRAMES) {
      if (owner && action === 'transfer') continue; // the owner's transfer is its own test (agent-gateway.test.ts); here it would requeue
      const answer = await sendAndSettle(tab, frames[action]);
      const errors = answer.filter((f) => f.type === 'error');
      if (owner) expect({ action, errors }).toEqual({ action, errors: [] });
      else if (action !== 'typing') expect({ action, refused: errors.length }).toEqual({ action, refused: 1 }); // typing is refused silently
    }
    if (owner) {
      expect((await describeConversation(conversationId)).status).toBe('closed');
      await visitor.next('typing', (t) => t.typing);
    } else {
      expect(await describeConversation(conversationId)).toEqual(before);
      expect(visitor.frames.some((f) => f.type === 'typing' || f.type === 'rating-requested' || f.type === 'error')).toBe(false);
      await sendAndSettle(ownerTab, { type: 'close', conversationId }); // frees the agent's slot for the next persona
    }
    // Every connected agent sets their own status; a supervisor who is no agent has none.
    const status = await sendAndSettle(tab, { type: 'set-status', status: 'away' });
    expect(status.filter((f) => f.type === 'error').map((e) => (e as { code: string }).code)).toEqual(takesConversations(persona) ? [] : ['NOT_AN_AGENT']);
  });

  test.each([0, 1, 2, 3, 4, 5, 6, 7])('persona %i: supervising the A1 agent’s conversation — watch, whisper, the queue view, take over', async (i) => {
    const persona = personas[i]!;
    const tab = await connectAs(persona);
    if (!tab) return;
    const { conversationId, owner } = await assignedConversation();
    const before = await describeConversation(conversationId);
    const refusals = async (frame: object) => (await sendAndSettle(tab, frame)).filter((f) => f.type === 'error').length;

    const watches = supervisesA1(persona, 'monitoring.read');
    expect({ watch: await refusals({ type: 'monitor', conversationId, mode: 'monitor' }) }).toEqual({ watch: watches ? 0 : 1 });
    const ownAgent = persona.name === 'agent in A1'; // the conversation's agent, and the skill group's only member
    expect({ history: await refusals({ type: 'history', conversationId }) }).toEqual({ history: watches || ownAgent ? 0 : 1 });
    expect({ queue: await refusals({ type: 'queue', skillGroupId: org.A1 }) }).toEqual({ queue: watches || ownAgent ? 0 : 1 });
    const intervenes = supervisesA1(persona, 'monitoring.intervene');
    expect({ whisper: await refusals({ type: 'monitor', conversationId, mode: 'whisper' }) }).toEqual({ whisper: intervenes ? 0 : 1 });
    expect({ said: await refusals({ type: 'message', conversationId, clientMsgId: `w${i}`, text: '提醒：先核对订单号', as: 'supervisor' }) }).toEqual({ said: intervenes ? 0 : 1 });
    if (intervenes) {
      const whisper = await owner.next('message', (m) => m.clientMsgId === `w${i}`);
      expect(whisper).toMatchObject({ visibility: 'internal', from: { kind: 'supervisor' } });
    }
    await sendAndSettle(tab, { type: 'monitor', conversationId, mode: 'stop' });
    const after = await describeConversation(conversationId);
    expect(after).toEqual({ ...before, lastSeq: before.lastSeq! + (intervenes ? 1 : 0) }); // the whisper, and nothing else, stayed

    const takesOver = intervenes && takesConversations(persona);
    expect({ takeOver: await refusals({ type: 'take-over', conversationId }) }).toEqual({ takeOver: takesOver ? 0 : 1 });
    expect((await describeConversation(conversationId)).agentId).toBe(takesOver ? tabAccount(tab) : before.agentId);
    await sendAndSettle(owner, { type: 'close', conversationId, summary: 'matrix' });
    if (takesOver) await sendAndSettle(tab, { type: 'close', conversationId, summary: 'matrix' });
  });

  /** The account id a tab said hello as (from its welcome). */
  const tabAccount = (tab: AgentClient): string => (tab.frames.find((f) => f.type === 'welcome') as { agent: { id: string } }).agent.id;
});
