/**
 * Quick replies through the REST API in embedded mode: one's own are one's alone; shared ones reach
 * the department and everything below it (never siblings) and follow the department when it moves;
 * bad input is refused with a typed error and changes nothing; replies go with their department or
 * account. Who may call each route is the authorization matrix's part.
 */
import { jest } from '@jest/globals';
import { PERSONAL_QUICK_REPLIES } from '../../actors/directory/quick-reply.repository.ts';
import { QuickReply } from '../../actors/directory/quick-reply.entity.ts';
import { type KefuNode } from '../../cluster/node.ts';
import { ApiClient, expectStatus } from '../../tests/api-client.ts';
import { firstAdmin, startEmbeddedNode, supportAndSales } from '../../tests/embedded.ts';

const PASSWORD = 'correct horse battery staple';
let stopNode: (() => Promise<void>) | undefined;
let node: KefuNode;
let base: string;
let boss: ApiClient;
const org: Record<'support' | 'afterSales' | 'sales', string> = { support: '', afterSales: '', sales: '' };
const people: Record<'ann' | 'bob' | 'sue', { id: string; api: ApiClient }> = {} as never;

type Reply = { id: string; shortcut: string; content: string; departmentId: string | null; departmentName: string | null };
const usable = async (as: ApiClient): Promise<Reply[]> => expectStatus(await as.get('/api/v1/me/quick-replies'), 200);
const shortcuts = (replies: Reply[]) => replies.map((r) => `${r.departmentName ?? 'mine'}:${r.shortcut}`);

beforeAll(async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  ({ node, stop: stopNode } = await startEmbeddedNode('quick-replies'));
  base = node.url;
  boss = await firstAdmin(node, { email: 'boss@example.com', displayName: 'Boss', password: PASSWORD });
  Object.assign(org, await supportAndSales(boss));
  const roles = expectStatus(await boss.get('/api/v1/roles'), 200) as { id: string; name: string }[];
  const role = (prefix: string) => roles.find((r) => r.name.startsWith(prefix))!.id;
  const person = async (name: 'ann' | 'bob' | 'sue', departmentId: string, roleId: string) => {
    const email = `${name}@example.com`;
    const id = expectStatus(await boss.post('/api/v1/accounts', { email, displayName: name.toUpperCase(), password: PASSWORD, departmentId, roleIds: [roleId] }), 201).id as string;
    people[name] = { id, api: await new ApiClient(base).login(email, PASSWORD) };
  };
  await person('ann', org.afterSales, role('Agent'));
  await person('bob', org.sales, role('Agent'));
  await person('sue', org.support, role('Supervisor'));
}, 60_000);

afterAll(async () => {
  await stopNode?.();
  jest.restoreAllMocks();
});

test('an agent’s own replies: shortcuts are lowercased and unique per person, and nobody else sees or changes them', async () => {
  const { ann, bob } = people;
  const refund = expectStatus(await ann.api.post('/api/v1/me/quick-replies', { shortcut: ' Refund ', content: '退款将在 3 个工作日内原路退回。' }), 201) as Reply;
  expect(refund).toMatchObject({ shortcut: 'refund', departmentId: null, departmentName: null });
  const again = await ann.api.post('/api/v1/me/quick-replies', { shortcut: 'REFUND', content: 'twice' });
  expect(again.status).toBe(409);
  expect(again.body).toMatchObject({ code: 'CONFLICT', details: { fields: { shortcut: expect.any(String) } } });
  // The same shortcut is free for someone else.
  expectStatus(await bob.api.post('/api/v1/me/quick-replies', { shortcut: 'refund', content: 'Bob’s own words' }), 201);
  expect(shortcuts(await usable(bob.api))).toEqual(['mine:refund']);
  expect((await usable(bob.api))[0]!.content).toBe('Bob’s own words');

  expect((await bob.api.patch(`/api/v1/me/quick-replies/${refund.id}`, { content: 'hijacked' })).status).toBe(404);
  expect((await bob.api.delete(`/api/v1/me/quick-replies/${refund.id}`)).status).toBe(404);
  expect((await usable(ann.api)).find((r) => r.id === refund.id)?.content).toBe('退款将在 3 个工作日内原路退回。');

  const renamed = expectStatus(await ann.api.patch(`/api/v1/me/quick-replies/${refund.id}`, { shortcut: 'tk', content: '已为您登记退款' }), 200) as Reply;
  expect(renamed).toMatchObject({ shortcut: 'tk', content: '已为您登记退款' });
  expectStatus(await ann.api.delete(`/api/v1/me/quick-replies/${refund.id}`), 204);
  expect(await usable(ann.api)).toEqual([]);
});

test('shared replies reach their department and everything below it, never a sibling, and follow a moved department', async () => {
  const { ann, bob, sue } = people;
  expectStatus(await boss.post('/api/v1/quick-replies', { departmentId: 'root', shortcut: 'hours', content: 'We answer 9:00–18:00.' }), 201);
  const policy = expectStatus(await sue.api.post('/api/v1/quick-replies', { departmentId: org.support, shortcut: 'policy', content: '7 days, no questions asked.' }), 201) as Reply;
  expect(policy).toMatchObject({ departmentId: org.support, departmentName: 'Support' });
  // The supervisor manages Support and below, not Sales, and cannot even tell Sales exists.
  expect((await sue.api.post('/api/v1/quick-replies', { departmentId: org.sales, shortcut: 'x', content: 'x' })).status).toBe(404);
  expectStatus(await ann.api.post('/api/v1/me/quick-replies', { shortcut: 'hi', content: 'Hi, I’m Ann.' }), 201);

  expect(shortcuts(await usable(ann.api))).toEqual(['mine:hi', 'Kefu:hours', 'Support:policy']);
  expect(shortcuts(await usable(bob.api))).toEqual(['mine:refund', 'Kefu:hours']);
  // What the supervisor manages: Support's, not the root’s above them.
  expect(shortcuts(expectStatus(await sue.api.get('/api/v1/quick-replies'), 200))).toEqual(['Support:policy']);
  expect((await sue.api.patch(`/api/v1/quick-replies/${(await usable(bob.api))[1]!.id}`, { content: 'changed' })).status).toBe(404);

  // After-sales moves under Sales: Ann now gets Sales' replies, no longer Support's.
  expectStatus(await boss.post('/api/v1/quick-replies', { departmentId: org.sales, shortcut: 'promo', content: '20% off this week.' }), 201);
  expectStatus(await boss.patch(`/api/v1/departments/${org.afterSales}`, { parentId: org.sales }), 200);
  expect(shortcuts(await usable(ann.api))).toEqual(['mine:hi', 'Kefu:hours', 'Sales:promo']);
  expectStatus(await boss.patch(`/api/v1/departments/${org.afterSales}`, { parentId: org.support }), 200);

  const audit = expectStatus(await boss.get('/api/v1/audit?action=quick-reply.create'), 200) as { actorName: string; details: { shortcut: string } }[];
  expect(audit.map((e) => `${e.actorName}:${e.details.shortcut}`).sort()).toEqual(['Boss:hours', 'Boss:promo', 'SUE:policy']);
});

test('bad input is refused with a typed error and changes nothing; hostile text is kept as text', async () => {
  const { ann } = people;
  const before = await usable(ann.api);
  const refused = [
    { shortcut: 'two words', content: 'x' },
    { shortcut: 'a/b', content: 'x' },
    { shortcut: '', content: 'x' },
    { shortcut: 'x'.repeat(33), content: 'x' },
    { shortcut: 'ok', content: '   ' },
    { shortcut: 'ok', content: 'x'.repeat(2_001) },
    { shortcut: 'ok', content: 42 },
    { shortcut: 'ok', content: 'x', departmentId: org.support },
  ];
  for (const body of refused) expect({ body, code: (await ann.api.post('/api/v1/me/quick-replies', body)).body.code }).toEqual({ body, code: 'INVALID' });
  expect((await boss.post('/api/v1/quick-replies', { departmentId: 'nowhere', shortcut: 'x', content: 'x' })).status).toBe(404);
  expect((await ann.api.patch('/api/v1/me/quick-replies/not-a-reply', { content: 'x' })).status).toBe(404);
  expect(await usable(ann.api)).toEqual(before);

  const hostile = '<img src=x onerror=alert(1)> {{7*7}} \'; DROP TABLE kefu_quick_reply; --';
  const kept = expectStatus(await ann.api.post('/api/v1/me/quick-replies', { shortcut: '退款', content: hostile }), 201) as Reply;
  expect(kept).toMatchObject({ shortcut: '退款', content: hostile });
  expectStatus(await ann.api.delete(`/api/v1/me/quick-replies/${kept.id}`), 204);
});

test('one keeps at most the limit of replies; they go with one’s account, and a department’s with the department', async () => {
  const em = () => node.database.orm.em.fork();
  const temp = expectStatus(await boss.post('/api/v1/accounts', { email: 'temp@example.com', displayName: 'Temp', password: PASSWORD, departmentId: org.sales, roleIds: [] }), 201).id as string;
  // An account without `conversations.reply` has no replies to keep.
  expect((await (await new ApiClient(base).login('temp@example.com', PASSWORD)).post('/api/v1/me/quick-replies', { shortcut: 'x', content: 'x' })).status).toBe(403);
  const agentRole = (expectStatus(await boss.get('/api/v1/roles'), 200) as { id: string; name: string }[]).find((r) => r.name.startsWith('Agent'))!.id;
  expectStatus(await boss.patch(`/api/v1/accounts/${temp}`, { roleIds: [agentRole] }), 200);
  const tempApi = await new ApiClient(base).login('temp@example.com', PASSWORD);
  for (let i = 0; i < PERSONAL_QUICK_REPLIES; i++) expectStatus(await tempApi.post('/api/v1/me/quick-replies', { shortcut: `r${i}`, content: `reply ${i}` }), 201);
  const over = await tempApi.post('/api/v1/me/quick-replies', { shortcut: 'one-more', content: 'x' });
  expect(over.body.code).toBe('CONFLICT');
  expect(await em().count(QuickReply, { ownerId: temp })).toBe(PERSONAL_QUICK_REPLIES);
  expectStatus(await boss.delete(`/api/v1/accounts/${temp}`), 204);
  expect(await em().count(QuickReply, { ownerId: temp })).toBe(0);

  const doomed = expectStatus(await boss.post('/api/v1/departments', { parentId: org.support, name: 'Doomed', isSkillGroup: false }), 201).id as string;
  expectStatus(await boss.post('/api/v1/quick-replies', { departmentId: doomed, shortcut: 'bye', content: 'bye' }), 201);
  expectStatus(await boss.delete(`/api/v1/departments/${doomed}`), 204);
  expect(await em().count(QuickReply, { departmentId: doomed })).toBe(0);
}, 30_000); // 200 replies, one request each: seconds on a busy machine
