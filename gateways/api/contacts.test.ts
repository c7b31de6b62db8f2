/**
 * Contacts through the REST API in embedded mode: created in one's own department by default,
 * found by part of any detail, bound to the visitors of one's conversations (one contact per
 * visitor), kept from sibling departments, following their department when it moves; bad input is
 * refused typed and changes nothing; deleting unbinds and is audited. Who may call each route is the
 * authorization matrix's part.
 */
import { jest } from '@jest/globals';
import { type KefuNode } from '../../cluster/node.ts';
import { ApiClient, expectStatus } from '../../tests/api-client.ts';
import { firstAdmin, startEmbeddedNode, storedVisitor, supportAndSales } from '../../tests/embedded.ts';

const PASSWORD = 'correct horse battery staple';
let stopNode: (() => Promise<void>) | undefined;
let node: KefuNode;
let base: string;
let boss: ApiClient;
let ann: ApiClient;
let bob: ApiClient;
const org: Record<'support' | 'afterSales' | 'sales', string> = { support: '', afterSales: '', sales: '' };
const channels: Record<'afterSales' | 'sales', string> = { afterSales: '', sales: '' };

type ContactAnswer = { id: string; name: string; email: string; phone: string; company: string; notes: string; departmentId: string; visitors: number };

const visitorOf = (channelId: string): Promise<string> => storedVisitor(node, channelId);

beforeAll(async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  ({ node, stop: stopNode } = await startEmbeddedNode('contacts'));
  base = node.url;
  boss = await firstAdmin(node, { email: 'boss@example.com', displayName: 'Boss', password: PASSWORD });
  Object.assign(org, await supportAndSales(boss));
  channels.afterSales = expectStatus(await boss.post('/api/v1/channels', { name: 'Help centre', skillGroupId: org.afterSales }), 201).id as string;
  channels.sales = expectStatus(await boss.post('/api/v1/channels', { name: 'Shop', skillGroupId: org.sales }), 201).id as string;
  const agentRole = (expectStatus(await boss.get('/api/v1/roles'), 200) as { id: string; name: string }[]).find((r) => r.name.startsWith('Agent'))!.id;
  for (const [email, departmentId] of [['ann@example.com', org.afterSales], ['bob@example.com', org.sales]] as const) {
    expectStatus(await boss.post('/api/v1/accounts', { email, displayName: email.split('@')[0], password: PASSWORD, departmentId, roleIds: [agentRole] }), 201);
  }
  ann = await new ApiClient(base).login('ann@example.com', PASSWORD);
  bob = await new ApiClient(base).login('bob@example.com', PASSWORD);
}, 60_000);

afterAll(async () => {
  await stopNode?.();
  jest.restoreAllMocks();
});

test('an agent creates a contact in their department, finds it by any detail, and binds their visitors to it; a sibling department sees none of it', async () => {
  const wang = expectStatus(await ann.post('/api/v1/contacts', { name: '王小明', email: 'wang@shop.example', phone: '+86 138 0000 0000', company: '示例科技', notes: 'VIP since 2024' }), 201) as ContactAnswer;
  expect(wang).toMatchObject({ departmentId: org.afterSales, visitors: 0, notes: 'VIP since 2024' });
  for (const q of ['小明', 'WANG@shop', '0000 0000', '科技']) expect({ q, found: (expectStatus(await ann.get(`/api/v1/contacts?q=${encodeURIComponent(q)}`), 200) as ContactAnswer[]).map((c) => c.id) }).toEqual({ q, found: [wang.id] });
  expect(expectStatus(await ann.get('/api/v1/contacts?q=%25'), 200)).toEqual(expectStatus(await ann.get('/api/v1/contacts'), 200)); // a wildcard is no wildcard

  // Two browsers of the same customer: both bound to the one contact.
  const phone = await visitorOf(channels.afterSales);
  const laptop = await visitorOf(channels.afterSales);
  expect(expectStatus(await ann.get(`/api/v1/visitors/${phone}/contact`), 200)).toBeNull();
  expectStatus(await ann.request('PUT', `/api/v1/visitors/${phone}/contact`, { contactId: wang.id }), 200);
  expect(expectStatus(await ann.request('PUT', `/api/v1/visitors/${laptop}/contact`, { contactId: wang.id }), 200)).toMatchObject({ id: wang.id, visitors: 2 });
  expect(expectStatus(await ann.get(`/api/v1/visitors/${laptop}/contact`), 200)).toMatchObject({ id: wang.id, name: '王小明' });

  // Sales is a sibling: Bob finds nothing, and cannot read or bind either side.
  expect(expectStatus(await bob.get('/api/v1/contacts?q=%E5%B0%8F%E6%98%8E'), 200)).toEqual([]);
  expect((await bob.get(`/api/v1/contacts/${wang.id}`)).status).toBe(404);
  expect((await bob.get(`/api/v1/visitors/${phone}/contact`)).status).toBe(404);
  const shopper = await visitorOf(channels.sales);
  expect((await bob.request('PUT', `/api/v1/visitors/${shopper}/contact`, { contactId: wang.id })).status).toBe(404);
  expect((await bob.patch(`/api/v1/contacts/${wang.id}`, { notes: 'hijacked' })).status).toBe(404);

  // Rebinding moves the visitor; null unbinds.
  const other = expectStatus(await ann.post('/api/v1/contacts', { name: 'Other person' }), 201) as ContactAnswer;
  expectStatus(await ann.request('PUT', `/api/v1/visitors/${laptop}/contact`, { contactId: other.id }), 200);
  expect(expectStatus(await ann.get(`/api/v1/contacts/${wang.id}`), 200)).toMatchObject({ visitors: 1, notes: 'VIP since 2024' });
  expect(expectStatus(await ann.request('PUT', `/api/v1/visitors/${laptop}/contact`, { contactId: null }), 200)).toBeNull();
  expect(expectStatus(await ann.get(`/api/v1/visitors/${laptop}/contact`), 200)).toBeNull();
});

test('bad input is refused with a typed error and changes nothing; hostile text is kept as text', async () => {
  const before = expectStatus(await ann.get('/api/v1/contacts?limit=100'), 200);
  const refused = [{ name: '' }, { name: 'x'.repeat(101) }, { name: 'x', email: 'not-an-email' }, { name: 'x', phone: 'call me' }, { name: 'x', notes: 'x'.repeat(5_001) }, { name: 'x', owner: 'me' }, { name: 42 }];
  for (const body of refused) expect({ body, code: (await ann.post('/api/v1/contacts', body)).body.code }).toEqual({ body, code: 'INVALID' });
  expect((await ann.post('/api/v1/contacts', { name: 'x', departmentId: org.sales })).status).toBe(404);
  expect((await ann.request('PUT', '/api/v1/visitors/nobody/contact', { contactId: null })).status).toBe(404);
  expect((await ann.get('/api/v1/contacts?limit=1000')).body.code).toBe('INVALID');
  expect(expectStatus(await ann.get('/api/v1/contacts?limit=100'), 200)).toEqual(before);

  const hostile = '<img src=x onerror=alert(1)> \'; DROP TABLE kefu_contact; --';
  const kept = expectStatus(await ann.post('/api/v1/contacts', { name: hostile, notes: hostile }), 201) as ContactAnswer;
  expect(kept).toMatchObject({ name: hostile, notes: hostile });
  expectStatus(await ann.delete(`/api/v1/contacts/${kept.id}`), 204);
});

test('a contact follows its department when it moves, keeps it from being deleted, and its deletion unbinds and is audited', async () => {
  const li = expectStatus(await boss.post('/api/v1/contacts', { name: '李四', departmentId: org.afterSales }), 201) as ContactAnswer;
  const visitor = await visitorOf(channels.afterSales);
  expectStatus(await boss.request('PUT', `/api/v1/visitors/${visitor}/contact`, { contactId: li.id }), 200);
  // After-sales moves under Sales: Bob (in Sales) now reaches it.
  expectStatus(await boss.patch(`/api/v1/departments/${org.afterSales}`, { parentId: org.sales }), 200);
  expect(expectStatus(await bob.get(`/api/v1/contacts/${li.id}`), 200)).toMatchObject({ name: '李四' });
  expectStatus(await boss.patch(`/api/v1/departments/${org.afterSales}`, { parentId: org.support }), 200);
  expect((await bob.get(`/api/v1/contacts/${li.id}`)).status).toBe(404);

  const empty = expectStatus(await boss.post('/api/v1/departments', { parentId: org.support, name: 'Temp', isSkillGroup: false }), 201).id as string;
  const parked = expectStatus(await boss.post('/api/v1/contacts', { name: 'Parked', departmentId: empty }), 201) as ContactAnswer;
  expect((await boss.delete(`/api/v1/departments/${empty}`)).body.code).toBe('CONFLICT');
  expect(expectStatus(await boss.patch(`/api/v1/contacts/${parked.id}`, { departmentId: org.support }), 200)).toMatchObject({ departmentId: org.support });
  expectStatus(await boss.delete(`/api/v1/departments/${empty}`), 204);

  expectStatus(await boss.delete(`/api/v1/contacts/${li.id}`), 204);
  expect(expectStatus(await boss.get(`/api/v1/visitors/${visitor}/contact`), 200)).toBeNull();
  const audit = expectStatus(await boss.get('/api/v1/audit?action=contact.delete'), 200) as { targetId: string; details: { name: string } }[];
  expect(audit[0]).toMatchObject({ targetId: li.id, details: { name: '李四' } });
});
