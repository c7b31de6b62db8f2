/**
 * The history API in embedded mode, on conversations made the real way (a visitor over the
 * WebSocket, an agent through the conversation actor): records with their filters, transcripts,
 * and FTS5 search — Chinese and English, highlights, hostile queries. Who may see what is the
 * authorization matrix's part (authorization-matrix.test.ts).
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CHANNEL_KEY, DEFAULT_TENANT_ID } from '../../actors/directory/channel.repository.ts';
import { loadConfig } from '../../cluster/config.ts';
import { startNode, type KefuNode } from '../../cluster/node.ts';
import { ApiClient, expectStatus } from '../../tests/api-client.ts';
import { waitFor } from '../../tests/support.ts';
import { VisitorClient } from '../../tests/visitor-client.ts';

const PASSWORD = 'history password 1';
let dir: string;
let node: KefuNode;
let boss: ApiClient;
const conversations: Record<'refund' | 'delivery', string> = { refund: '', delivery: '' };
const clients: VisitorClient[] = [];

/** A conversation of the default channel served by `agentId`: the visitor's lines, the agent's answers, then closed and rated. */
async function conversation(agentId: string, visitorLines: string[], agentLines: string[], score: number): Promise<string> {
  await node.actors.send('agent', agentId, { type: 'create', tenantId: DEFAULT_TENANT_ID, displayName: agentId, skillGroups: ['default'], maxConversations: 5 });
  await node.actors.send('agent', agentId, { type: 'connect', connectionId: `${agentId}-desk`, status: 'ready' });
  const visitor = await VisitorClient.connect(`ws://127.0.0.1:${node.port}/ws/visitor/${DEFAULT_CHANNEL_KEY}`);
  clients.push(visitor);
  const welcome = await visitor.hello();
  visitor.send({ type: 'start' });
  await visitor.next('status', (f) => f.status === 'assigned');
  const probe = await VisitorClient.connect(`ws://127.0.0.1:${node.port}/ws/visitor/${DEFAULT_CHANNEL_KEY}`);
  const conversationId = (await probe.hello({ token: welcome.token })).conversationId!;
  probe.close();
  await node.actors.send('conversation', conversationId, { type: 'accept', agentId });
  for (const [i, text] of visitorLines.entries()) {
    visitor.send({ type: 'message', clientMsgId: `v${i}`, text });
    await visitor.next('ack', (a) => a.clientMsgId === `v${i}`);
  }
  for (const [i, text] of agentLines.entries()) await node.actors.send('conversation', conversationId, { type: 'post-message', from: { kind: 'agent', agentId }, clientMsgId: `a${i}`, text });
  await node.actors.send('conversation', conversationId, { type: 'close', by: { kind: 'agent', agentId }, summary: `served by ${agentId}` });
  await node.actors.send('conversation', conversationId, { type: 'rate', score, comment: null });
  await node.actors.send('agent', agentId, { type: 'set-status', status: 'busy' });
  return conversationId;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-history-'));
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  node = await startNode(loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'error', KEFU_NODE_ID: 'history' }));
  const base = `http://127.0.0.1:${node.port}`;
  if (node.setup.status !== 'issued') throw new Error('expected a setup token');
  expectStatus(await new ApiClient(base).post('/api/v1/setup', { token: node.setup.token, email: 'boss@example.com', displayName: 'Boss', password: PASSWORD }), 201);
  boss = await new ApiClient(base).login('boss@example.com', PASSWORD);
  conversations.refund = await conversation('li-na', ['我要申请退款，订单 A-1001', 'Refund please, the box was DAMAGED'], ['好的，已为您办理退款'], 5);
  conversations.delivery = await conversation('wang-wei', ['快递什么时候到？', '<script>alert(1)</script> "quoted" OR NEAR(x)'], ['预计明天送达 delivery tomorrow'], 2);
  // The records are folded from the lifecycle events after the answers: wait for the ratings.
  await waitFor('both records to be rated', async () => {
    const list = expectStatus(await boss.get('/api/v1/history/conversations'), 200) as { rating: unknown }[];
    return list.filter((c) => c.rating !== null).length === 2 ? true : undefined;
  });
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await node?.stop();
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

type Record_ = { id: string; agentId: string; status: string; summary: string; rating: { score: number } | null; createdAt: string; channelId: string; skillGroupId: string };
type Hit = { conversationId: string; message: { seq: number; text: string; from: { kind: string } }; highlights: [number, number][]; conversation: Record_ };
const list = async (query = ''): Promise<Record_[]> => expectStatus(await boss.get(`/api/v1/history/conversations${query}`), 200) as Record_[];
const search = async (q: string, more = ''): Promise<Hit[]> => expectStatus(await boss.get(`/api/v1/history/search?q=${encodeURIComponent(q)}${more}`), 200) as Hit[];

test('conversations are listed newest first with how they went, and filtered', async () => {
  const all = await list();
  expect(all.map((c) => c.id)).toEqual([conversations.delivery, conversations.refund]);
  expect(all[1]).toMatchObject({ agentId: 'li-na', status: 'closed', summary: 'served by li-na', rating: { score: 5, comment: null }, skillGroupId: 'default', closedBy: 'agent', closeReason: 'agent' });
  expect((await list('?agentId=wang-wei')).map((c) => c.id)).toEqual([conversations.delivery]);
  expect((await list('?score=5')).map((c) => c.id)).toEqual([conversations.refund]);
  expect(await list('?status=open')).toEqual([]);
  const created = Date.parse(all[1]!.createdAt);
  expect((await list(`?to=${new Date(created + 1).toISOString()}`)).map((c) => c.id)).toEqual([conversations.refund]);
  expect(await list(`?from=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
  // Keyset pages.
  const first = await list('?limit=1');
  const second = await list(`?limit=1&before=${Date.parse(first[0]!.createdAt)},${first[0]!.id}`);
  expect([...first, ...second].map((c) => c.id)).toEqual(all.map((c) => c.id));
});

test('a record and its transcript, in seq order and pages', async () => {
  const record = expectStatus(await boss.get(`/api/v1/history/conversations/${conversations.refund}`), 200) as Record_;
  expect(record).toMatchObject({ id: conversations.refund, agentId: 'li-na' });
  const transcript = expectStatus(await boss.get(`/api/v1/history/conversations/${conversations.refund}/messages`), 200) as Hit['message'][];
  expect(transcript.map((m) => m.text)).toEqual(expect.arrayContaining(['我要申请退款，订单 A-1001', 'Refund please, the box was DAMAGED', '好的，已为您办理退款']));
  expect(transcript.map((m) => m.seq)).toEqual(transcript.map((_, i) => i + 1));
  const page = expectStatus(await boss.get(`/api/v1/history/conversations/${conversations.refund}/messages?after=1&limit=1`), 200) as Hit['message'][];
  expect(page.map((m) => m.seq)).toEqual([2]);
});

test('unknown and malformed ids are NOT_FOUND; bad filters are INVALID', async () => {
  expect((await boss.get('/api/v1/history/conversations/no-such-conversation')).status).toBe(404);
  expect((await boss.get('/api/v1/history/conversations/..%2F..%2Fetc')).status).toBe(404);
  expect((await boss.get('/api/v1/history/conversations/no-such-conversation/messages')).status).toBe(404);
  for (const query of ['?score=6', '?score=x', '?from=yesterday', '?limit=0', '?before=1', '?status=lost', '?extra=1']) {
    const answer = await boss.get(`/api/v1/history/conversations${query}`);
    expect({ query, status: answer.status, code: (answer.body as { code: string }).code }).toEqual({ query, status: 400, code: 'INVALID' });
  }
  const swapped = await boss.get(`/api/v1/history/conversations?from=${new Date(2_000).toISOString()}&to=${new Date(1_000).toISOString()}`);
  expect(swapped.status).toBe(400);
  expect((await boss.get('/api/v1/history/search')).status).toBe(400); // q is required
});

test('search finds Chinese words character by character in order, English whatever the case, with highlights', async () => {
  const refund = await search('退款');
  expect(refund.map((h) => h.message.text).sort()).toEqual(['好的，已为您办理退款', '我要申请退款，订单 A-1001']);
  expect(refund.every((h) => h.conversationId === conversations.refund && h.conversation.agentId === 'li-na')).toBe(true);
  const hit = refund.find((h) => h.message.text.startsWith('我要'))!;
  expect(hit.highlights.map(([a, b]) => hit.message.text.slice(a, b))).toEqual(['退款']);
  expect(await search('退了款')).toEqual([]); // the characters must be adjacent, in order
  expect((await search('damaged')).map((h) => h.message.text)).toEqual(['Refund please, the box was DAMAGED']);
  expect((await search('REFUND box')).map((h) => h.message.seq)).toEqual([2]); // every word must match
  expect((await search('delivery 明天')).map((h) => h.conversationId)).toEqual([conversations.delivery]);
  // Pages: newest first, `before` the last hit of the previous page.
  const first = await search('退款', '&limit=1');
  const last = first[0]!;
  const next = await search('退款', `&limit=1&before=${(last.message as unknown as { atMs: number }).atMs},${last.conversationId},${last.message.seq}`);
  expect([...first, ...next].map((h) => h.message.text)).toEqual(refund.map((h) => h.message.text));
  expect(refund.map((h) => h.message.seq)).toEqual([3, 1]); // the agent's answer came after the visitor's words
  // Filters apply to the hits' conversations.
  expect(await search('退款', '&agentId=wang-wei')).toEqual([]);
  expect((await search('退款', '&score=5')).length).toBe(2);
});

test('query syntax and hostile text in a search are only text: a normal answer, never an error', async () => {
  expect((await search('<script>alert(1)</script>')).map((h) => h.conversationId)).toEqual([conversations.delivery]);
  expect((await search('"quoted"')).map((h) => h.conversationId)).toEqual([conversations.delivery]);
  for (const q of ['"', '*', 'OR', 'NEAR(', ')', "'; drop table kefu_message; --", 'a AND', '^退', '{}[]', '\\', '退款 OR damaged', '-退款', 'col:退款']) {
    const answer = await boss.get(`/api/v1/history/search?q=${encodeURIComponent(q)}`);
    expect({ q, status: answer.status }).toEqual({ q, status: 200 });
  }
  expect(await search('退款 OR damaged')).toEqual([]); // OR is a word to find here, not an operator
  expect((await list()).length).toBe(2); // and nothing was dropped
});

test('tags put on a conversation after its close are listed and filtered by, whole tags in any case; and conversations by contact', async () => {
  const tagged = await node.actors.send('conversation', conversations.refund, { type: 'tag', by: { kind: 'agent', agentId: 'li-na' }, tags: ['Refund', '售后 投诉'] });
  expect(tagged.ok).toBe(true);
  expect((await node.actors.send('conversation', conversations.refund, { type: 'tag', by: { kind: 'agent', agentId: 'wang-wei' }, tags: [] })).ok).toBe(false); // not its agent
  await waitFor('the tags in the record', async () => ((await list(`?tag=refund`)).length === 1 ? true : undefined));
  expect((await list('?tag=REFUND')).map((c) => c.id)).toEqual([conversations.refund]);
  expect((await list(`?tag=${encodeURIComponent('售后 投诉')}`)).map((c) => (c as Record_ & { tags: string[] }).tags)).toEqual([['Refund', '售后 投诉']]);
  expect(await list('?tag=ref')).toEqual([]); // a whole tag, not a part of one
  expect((await search('退款', '&tag=refund')).map((h) => h.conversationId)).toEqual(expect.arrayContaining([conversations.refund]));
  expect(await search('快递', '&tag=refund')).toEqual([]);
  for (const bad of ['%25', '"x"', 'a_b', 'x'.repeat(33)]) expect({ bad, code: (await boss.get(`/api/v1/history/conversations?tag=${bad}`)).body.code }).toEqual({ bad, code: 'INVALID' });

  // The visitor of the refund conversation is bound to a contact: their conversations are the contact's.
  const visitorId = (expectStatus(await boss.get(`/api/v1/history/conversations/${conversations.refund}`), 200) as { visitor: { id: string } }).visitor.id;
  const contact = expectStatus(await boss.post('/api/v1/contacts', { name: '王小明' }), 201) as { id: string };
  expect((await list(`?contactId=${contact.id}`)).map((c) => c.id)).toEqual([]);
  expectStatus(await boss.request('PUT', `/api/v1/visitors/${visitorId}/contact`, { contactId: contact.id }), 200);
  expect((await list(`?contactId=${contact.id}`)).map((c) => c.id)).toEqual([conversations.refund]);
});
