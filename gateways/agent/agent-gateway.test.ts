/**
 * Agent protocol v1 against a running embedded node, with real WebSocket clients on both sides:
 * a signed-in agent's two workstation tabs and a visitor. The authenticated upgrade, presence
 * across tabs, assignment pushed to every tab, accept, chat both ways with acks, transfer within
 * capacity, close; invitations, a supervisor watching, whispering, barging in and taking over; the
 * queue view and manual pick — and the refusals: no session, another site's Origin, an account
 * that neither answers nor supervises, a session that ended, a conversation that is someone else's.
 * (Who may do what, persona by persona, is gateways/api/authorization-matrix.test.ts.)
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../cluster/config.ts';
import { startNode, type KefuNode } from '../../cluster/node.ts';
import { AgentClient } from '../../tests/agent-client.ts';
import { ApiClient, expectStatus } from '../../tests/api-client.ts';
import { VisitorClient } from '../../tests/visitor-client.ts';
import { MAX_TABS_PER_AGENT } from './server.ts';
import { AGENT_CLOSE_CODES, type AgentServerFrame } from './wire.ts';
import { scrape, waitFor } from '../../tests/support.ts';
import { ActorStore } from '../../cluster/actor-store.ts';
import type { ConversationState } from '../../actors/conversation/state.ts';

jest.setTimeout(60_000);

const PASSWORD = 'agent test password';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
let dir: string;
let node: KefuNode;
let admin: ApiClient;
const open: { close(): void }[] = [];

const agentUrl = () => `ws://127.0.0.1:${node.port}/ws/agent`;
const visitorUrl = () => `ws://127.0.0.1:${node.port}/ws/visitor/web`;
const tab = async (cookie: string | null, origin?: string) => {
  const c = await AgentClient.connect(agentUrl(), { cookie, ...(origin ? { origin } : {}) });
  open.push(c);
  return c;
};

/** A signed-in agent of the default skill group: their session cookie and account id. */
async function agentAccount(email: string, name: string, options: { role?: string; maxConversations?: number; skillGroupIds?: string[]; isAgent?: boolean } = {}): Promise<{ cookie: string; id: string; api: ApiClient }> {
  const a = expectStatus(
    await admin.post('/api/v1/accounts', {
      email,
      displayName: name,
      password: PASSWORD,
      departmentId: 'default',
      roleIds: [options.role ?? agentRole],
      skillGroupIds: options.skillGroupIds ?? ['default'],
      maxConversations: options.maxConversations ?? 3,
      ...(options.isAgent === undefined ? {} : { isAgent: options.isAgent }),
    }),
    201,
  );
  const api = await new ApiClient(node.url).login(email, PASSWORD);
  return { cookie: api.cookie!, id: a.id, api };
}
let agentRole: string;
let supervisorRole: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-agent-gw-'));
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  node = await startNode(loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'error', KEFU_NODE_ID: 'agent-gw', KEFU_SIGN_INS_PER_MINUTE: '1000', KEFU_WATCH_GRACE: '2' }));
  if (node.setup.status !== 'issued') throw new Error('expected a setup token');
  expectStatus(await new ApiClient(node.url).post('/api/v1/setup', { token: node.setup.token, email: 'boss@example.com', displayName: 'Boss', password: PASSWORD }), 201);
  admin = await new ApiClient(node.url).login('boss@example.com', PASSWORD);
  const roles = expectStatus(await admin.get('/api/v1/roles'), 200) as { id: string; name: string }[];
  agentRole = roles.find((r) => r.name.startsWith('Agent'))!.id;
  supervisorRole = roles.find((r) => r.name.startsWith('Supervisor'))!.id;
});
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});
afterAll(async () => {
  await node?.stop();
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

test('two tabs of one agent: presence, the assignment on both, accept, chat both ways with acks, close', async () => {
  const li = await agentAccount('li.na@example.com', '李娜');
  const tab1 = await tab(li.cookie);
  const welcome = await tab1.hello({ status: 'ready' });
  expect(welcome).toMatchObject({ v: 1, agent: { id: li.id, displayName: '李娜', status: 'ready' }, conversations: [] });
  const tab2 = await tab(li.cookie);
  expect((await tab2.hello()).agent.status).toBe('ready');

  const visitor = await VisitorClient.connect(visitorUrl(), { userAgent: IPHONE });
  open.push(visitor);
  await visitor.hello({ page: { url: 'https://shop.example/orders/1001', title: '我的订单' }, locale: 'zh-CN', timeZone: 'Asia/Shanghai' });
  visitor.send({ type: 'start', preChat: { name: '王小明' } });
  const assigned = await tab1.next('conversation', (c) => c.status === 'assigned');
  expect(assigned).toMatchObject({ agentId: li.id, preChat: { name: '王小明' }, skillGroupId: 'default', visitor: { identified: false, vip: false }, transferMemo: null });
  // The screen pop: where the visitor started, in what language, on what device, in what time zone.
  expect(assigned.context).toEqual({ page: { url: 'https://shop.example/orders/1001', title: '我的订单', referrer: null }, locale: 'zh-CN', device: 'Safari 17 · iPhone', timeZone: 'Asia/Shanghai' });
  await tab2.next('conversation', (c) => c.conversationId === assigned.conversationId && c.status === 'assigned');
  const conversationId = assigned.conversationId;

  tab1.send({ type: 'accept', conversationId });
  await visitor.next('status', (s) => s.status === 'assigned' && s.agent?.name === '李娜');
  tab1.send({ type: 'history', conversationId });
  expect(await tab1.next('history')).toEqual({ type: 'history', conversationId, lastSeq: 0 }); // nothing said yet
  const stranger = await tab((await agentAccount('stranger@example.com', 'Stranger')).cookie);
  await stranger.hello();
  stranger.send({ type: 'history', conversationId });
  expect(await stranger.next('error')).toMatchObject({ code: 'NOT_A_PARTICIPANT', conversationId });
  visitor.send({ type: 'message', clientMsgId: 'v1', text: '我的订单还没到' });
  for (const t of [tab1, tab2]) expect(await t.next('message', (m) => m.clientMsgId === 'v1')).toMatchObject({ conversationId, from: { kind: 'visitor' }, text: '我的订单还没到' });

  const acks = (await scrape(node.port)).sum('kefu_message_ack_seconds_count', { role: 'agent' });
  tab2.send({ type: 'message', conversationId, clientMsgId: 'a1', text: '您好，我来查一下' });
  const ack = await tab2.next('ack', (a) => a.clientMsgId === 'a1');
  expect((await scrape(node.port)).sum('kefu_message_ack_seconds_count', { role: 'agent' })).toBe(acks + 1);
  expect(ack).toMatchObject({ conversationId, seq: expect.any(Number) });
  expect(await visitor.next('message', (m) => m.seq === ack.seq)).toMatchObject({ from: { kind: 'agent', name: '李娜' }, text: '您好，我来查一下' });
  await tab1.next('message', (m) => m.clientMsgId === 'a1'); // the other tab sees it too
  const reloaded = await tab(li.cookie);
  await reloaded.hello();
  reloaded.send({ type: 'history', conversationId });
  await reloaded.next('history');
  expect(reloaded.frames.filter((f) => f.type === 'message').map((m) => (m as { text: string }).text)).toEqual(['我的订单还没到', '您好，我来查一下']);
  tab2.send({ type: 'message', conversationId, clientMsgId: 'a1', text: '您好，我来查一下' });
  expect((await tab2.next('ack', (a) => a.clientMsgId === 'a1', { from: tab2.frames.indexOf(ack) + 1 })).seq).toBe(ack.seq); // a resend gets the original ack

  // A third tab opened now is told about the conversation in its welcome.
  const tab3 = await tab(li.cookie);
  expect((await tab3.hello()).conversations).toEqual([expect.objectContaining({ conversationId, status: 'assigned', agentId: li.id })]);

  // Handed to a colleague and back: both agents' tabs follow where it is.
  const chen = await agentAccount('chen.jie@example.com', '陈杰');
  const chenTab = await tab(chen.cookie);
  await chenTab.hello({ status: 'ready' });
  tab1.send({ type: 'transfer', conversationId, to: { agentId: chen.id }, memo: '请跟进物流' });
  expect(await chenTab.next('conversation', (c) => c.conversationId === conversationId)).toMatchObject({ status: 'transferred', agentId: chen.id, transferMemo: '请跟进物流' });
  await tab2.next('conversation', (c) => c.conversationId === conversationId && c.agentId === chen.id); // the old agent sees it leave
  chenTab.send({ type: 'accept', conversationId });
  await chenTab.next('conversation', (c) => c.conversationId === conversationId && c.status === 'assigned');
  // The transfer took a slot of chen's: a tab chen opens now lists the conversation as theirs.
  const chenReload = await tab(chen.cookie);
  expect((await chenReload.hello()).conversations.map((c) => c.conversationId)).toEqual([conversationId]);
  tab1.send({ type: 'message', conversationId, clientMsgId: 'a2', text: 'still mine?' });
  expect(await tab1.next('error', (e) => e.clientMsgId === 'a2')).toMatchObject({ temporary: false });
  chenTab.send({ type: 'transfer', conversationId, to: { agentId: li.id } });
  await tab1.next('conversation', (c) => c.conversationId === conversationId && c.agentId === li.id && c.status === 'transferred');
  tab1.send({ type: 'accept', conversationId });
  await tab2.next('conversation', (c) => c.conversationId === conversationId && c.agentId === li.id && c.status === 'assigned');

  // Li asks the visitor for a rating while they chat; chen (no longer its agent) may not.
  chenTab.send({ type: 'request-rating', conversationId });
  expect(await chenTab.next('error', (e) => e.conversationId === conversationId)).toMatchObject({ code: 'NOT_ASSIGNED_AGENT', temporary: false });
  tab1.send({ type: 'request-rating', conversationId });
  expect(await tab1.next('rating-requested')).toEqual({ type: 'rating-requested', conversationId });
  await visitor.next('rating-requested');

  tab1.send({ type: 'close', conversationId, summary: '物流延迟，已催件' });
  await tab2.next('conversation', (c) => c.conversationId === conversationId && c.status === 'closed');
  await visitor.next('status', (s) => s.status === 'closed');

  tab1.send({ type: 'set-status', status: 'away' });
  for (const t of [tab1, tab2, tab3]) await t.next('presence', (p) => p.status === 'away');
});

test('the upgrade needs a signed-in agent and this site’s Origin; nothing else connects', async () => {
  await expect(AgentClient.connect(agentUrl(), {})).rejects.toThrow('HTTP 401');
  await expect(AgentClient.connect(agentUrl(), { cookie: 'kefu_session=not-a-real-session-token-at-all' })).rejects.toThrow('HTTP 401');
  const wang = await agentAccount('wang.fang@example.com', '王芳');
  await expect(AgentClient.connect(agentUrl(), { cookie: wang.cookie, origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
  const plain = expectStatus(await admin.post('/api/v1/accounts', { email: 'clerk@example.com', displayName: 'Clerk', password: PASSWORD, departmentId: 'default', roleIds: [], isAgent: false }), 201);
  expect(plain.id).toEqual(expect.any(String));
  const clerk = await new ApiClient(node.url).login('clerk@example.com', PASSWORD);
  await expect(AgentClient.connect(agentUrl(), { cookie: clerk.cookie })).rejects.toThrow('HTTP 403'); // neither answers nor supervises
  const watcher = await tab(admin.cookie); // a super admin who is not an agent connects to watch
  expect((await watcher.hello()).agent).toMatchObject({ status: 'offline', takesConversations: false });
  const ok = await tab(wang.cookie, node.url);
  expect((await ok.hello()).agent.id).toBe(wang.id);
  // A runaway script opening tab after tab is stopped at the per-agent ceiling.
  for (let i = 1; i < MAX_TABS_PER_AGENT; i++) await tab(wang.cookie);
  await expect(AgentClient.connect(agentUrl(), { cookie: wang.cookie })).rejects.toThrow('HTTP 429');
});

test('frames are refused typed and change nothing; someone else’s conversation is not this agent’s; a session that ends closes with 4501', async () => {
  const zhao = await agentAccount('zhao.lei@example.com', '赵磊');
  const t = await tab(zhao.cookie);
  t.send({ type: 'accept', conversationId: 'x' });
  expect(await t.next('error')).toMatchObject({ code: 'INVALID_FIELD', temporary: false });
  expect(await t.closed).toBe(AGENT_CLOSE_CODES.PROTOCOL_VIOLATION); // hello first

  const t2 = await tab(zhao.cookie);
  await t2.hello();
  for (const bad of ['{"type":"message"', JSON.stringify({ type: 'transfer-all' }), JSON.stringify({ type: 'message', conversationId: 'c', clientMsgId: 'm', text: 'x'.repeat(6000) })]) t2.send(bad);
  await t2.next('error', (e) => e.code === 'BAD_FRAME');
  await t2.next('error', (e) => e.code === 'UNKNOWN_FRAME_TYPE');
  await t2.next('error', (e) => e.code === 'INVALID_FIELD');
  t2.send({ type: 'message', conversationId: 'nobody-has-this-one', clientMsgId: 'm1', text: 'hello?' });
  expect(await t2.next('error', (e) => e.clientMsgId === 'm1')).toMatchObject({ conversationId: 'nobody-has-this-one', temporary: false });

  expectStatus(await zhao.api.delete('/api/v1/session'), 204); // signs out in another window
  t2.send({ type: 'set-status', status: 'busy' });
  expect(await t2.next('error', (e) => e.code === 'UNAUTHENTICATED')).toMatchObject({ temporary: false });
  expect(await t2.closed).toBe(AGENT_CLOSE_CODES.UNAUTHORIZED);
});

/** A visitor whose conversation is assigned to (and accepted by) the given ready agent tab. */
async function servedVisitor(agentTab: AgentClient, text = '你好'): Promise<{ visitor: VisitorClient; conversationId: string }> {
  const visitor = await VisitorClient.connect(visitorUrl());
  open.push(visitor);
  await visitor.hello();
  // This visitor's assignment: offered after the start and not accepted yet (the agent may hold others).
  const from = agentTab.frames.length;
  visitor.send({ type: 'start' });
  const assigned = await agentTab.next('conversation', (c) => c.status === 'assigned' && !c.accepted, { from });
  agentTab.send({ type: 'accept', conversationId: assigned.conversationId });
  await visitor.next('status', (st) => st.status === 'assigned' && st.agent !== null);
  visitor.send({ type: 'message', clientMsgId: 'hi', text });
  await agentTab.next('message', (m) => m.conversationId === assigned.conversationId && m.clientMsgId === 'hi');
  return { visitor, conversationId: assigned.conversationId };
}

test('an invited colleague sees the conversation, writes in it and leaves; the transfer respects the target’s capacity', async () => {
  const sun = await agentAccount('sun.li@example.com', '孙丽', { skillGroupIds: ['default'] });
  const zhou = await agentAccount('zhou.min@example.com', '周敏', { skillGroupIds: [], maxConversations: 0 });
  const sunTab = await tab(sun.cookie);
  await sunTab.hello({ status: 'ready' });
  const zhouTab = await tab(zhou.cookie);
  await zhouTab.hello({ status: 'ready' });
  const { visitor, conversationId } = await servedVisitor(sunTab);

  zhouTab.send({ type: 'history', conversationId });
  expect(await zhouTab.next('error')).toMatchObject({ code: 'NOT_A_PARTICIPANT' }); // not yet invited
  sunTab.send({ type: 'invite', conversationId, agentId: zhou.id });
  expect(await zhouTab.next('conversation', (c) => c.conversationId === conversationId)).toMatchObject({ agentId: sun.id, invitedAgentIds: [zhou.id] });
  zhouTab.send({ type: 'history', conversationId });
  await zhouTab.next('history', (h) => h.conversationId === conversationId);
  expect(zhouTab.frames.some((f) => f.type === 'message' && f.conversationId === conversationId && f.clientMsgId === 'hi')).toBe(true);
  zhouTab.send({ type: 'message', conversationId, clientMsgId: 'z1', text: '我是物流组的周敏' });
  const ack = await zhouTab.next('ack', (a) => a.clientMsgId === 'z1');
  expect(await visitor.next('message', (m) => m.seq === ack.seq)).toMatchObject({ from: { kind: 'agent', name: '周敏' } });
  visitor.send({ type: 'message', clientMsgId: 'v2', text: '好的谢谢' });
  await zhouTab.next('message', (m) => m.clientMsgId === 'v2'); // the invited colleague hears the visitor

  // Invitations and transfers only reach colleagues of this organisation.
  sunTab.send({ type: 'invite', conversationId, agentId: 'no-such-account' });
  expect(await sunTab.next('error', (e) => e.conversationId === conversationId)).toMatchObject({ code: 'AGENT_UNKNOWN' });
  sunTab.send({ type: 'transfer', conversationId, to: { skillGroupId: 'no-such-group' } });
  expect(await sunTab.next('error', (e) => e.code === 'SKILL_GROUP_UNKNOWN')).toMatchObject({ conversationId });
  // Zhou takes no conversations (capacity 0): the transfer is refused and nothing moves.
  sunTab.send({ type: 'transfer', conversationId, to: { agentId: zhou.id } });
  expect(await sunTab.next('error', (e) => e.code === 'AGENT_AT_CAPACITY' || e.code === 'AGENT_NOT_IN_GROUP')).toMatchObject({ conversationId, temporary: false });

  // A tab zhou opens now lists the conversation too (the invitation is remembered by zhou's agent actor).
  const zhouReload = await tab(zhou.cookie);
  expect((await zhouReload.hello()).conversations).toEqual([expect.objectContaining({ conversationId, agentId: sun.id, invitedAgentIds: [zhou.id] })]);
  zhouReload.close();

  zhouTab.send({ type: 'leave', conversationId });
  expect(await sunTab.next('conversation', (c) => c.conversationId === conversationId && c.invitedAgentIds.length === 0)).toMatchObject({ agentId: sun.id });
  await zhouTab.next('conversation', (c) => c.conversationId === conversationId && c.invitedAgentIds.length === 0); // told they left
  const heard = zhouTab.frames.length;
  visitor.send({ type: 'message', clientMsgId: 'v3', text: '还在吗' });
  await sunTab.next('message', (m) => m.clientMsgId === 'v3');
  zhouTab.send({ type: 'ping' });
  await zhouTab.next('pong', () => true, { from: heard });
  expect(zhouTab.frames.slice(heard).some((f) => f.type === 'message')).toBe(false); // and hears no more
  sunTab.send({ type: 'close', conversationId });
  await sunTab.next('conversation', (c) => c.conversationId === conversationId && c.status === 'closed');
});

test.each([
  ['who takes no conversations', false],
  ['who is an agent too', true],
])('a watching supervisor %s: a reconnecting tab names what it watched, the welcome lists what is still watched, and its messages reach the new tab', async (_who, isAgent) => {
  const qian = await agentAccount(`qian.yu.${isAgent}@example.com`, '钱雨');
  const boss = await agentAccount(`watcher.${isAgent}@example.com`, '值班组长', { role: supervisorRole, skillGroupIds: [], isAgent });
  const qianTab = await tab(qian.cookie);
  await qianTab.hello({ status: 'ready' });
  const first = await servedVisitor(qianTab, '第一位');
  const leadTab = await tab(boss.cookie);
  expect((await leadTab.hello()).agent.takesConversations).toBe(isAgent);
  leadTab.send({ type: 'monitor', conversationId: first.conversationId, mode: 'whisper' });
  await leadTab.next('conversation', (f) => f.conversationId === first.conversationId && f.monitors.length > 0);
  const second = await servedVisitor(qianTab, '第二位');
  leadTab.send({ type: 'monitor', conversationId: second.conversationId, mode: 'monitor' });
  await leadTab.next('conversation', (f) => f.conversationId === second.conversationId && f.monitors.length > 0);
  const third = await servedVisitor(qianTab, '第三位');
  // The second one ends while the supervisor is away (back within KEFU_WATCH_GRACE); an unknown id
  // and one never watched are named too.
  leadTab.close();
  qianTab.send({ type: 'close', conversationId: second.conversationId });
  await qianTab.next('conversation', (f) => f.conversationId === second.conversationId && f.status === 'closed');

  const again = await tab(boss.cookie);
  const welcome = await again.hello({ watching: [first.conversationId, second.conversationId, third.conversationId, 'no-such-conversation', first.conversationId] });
  expect(welcome.conversations.map((c) => [c.conversationId, c.monitors])).toEqual([[first.conversationId, [{ supervisorId: boss.id, mode: 'whisper' }]]]);
  first.visitor.send({ type: 'message', clientMsgId: 'back', text: '还在吗' });
  await again.next('message', (m) => m.conversationId === first.conversationId && m.clientMsgId === 'back');
  again.send({ type: 'message', conversationId: first.conversationId, clientMsgId: 'w1', text: '继续跟进', as: 'supervisor' });
  expect(await again.next('ack', (a) => a.clientMsgId === 'w1')).toMatchObject({ conversationId: first.conversationId });

  // A hello naming more than 50 is refused as a whole.
  const greedy = await tab(boss.cookie);
  greedy.send({ type: 'hello', v: 1, watching: Array.from({ length: 51 }, (_, i) => `c${i}`) });
  expect(await greedy.next('error')).toMatchObject({ code: 'INVALID_FIELD' });
  for (const c of [first, third]) {
    qianTab.send({ type: 'close', conversationId: c.conversationId });
    await qianTab.next('conversation', (f) => f.conversationId === c.conversationId && f.status === 'closed');
  }
  qianTab.close(); // offline: the later tests' visitors go to their own agents
});

test('a closed tab’s watches end after the grace, unless another tab of the supervisor still watches; the agent sees them end', async () => {
  const tang = await agentAccount('tang.wei@example.com', '唐薇');
  const boss = await agentAccount('watch.lead@example.com', '巡检组长', { role: supervisorRole, skillGroupIds: [], isAgent: false });
  const tangTab = await tab(tang.cookie);
  await tangTab.hello({ status: 'ready' });
  const served = await servedVisitor(tangTab, '晚上的访客');
  const { conversationId } = served;
  const watchingTabs = async () =>
    (await new ActorStore(node.database).load<ConversationState>('conversation', conversationId))!.state.monitors.find((m) => m.supervisorId === boss.id)?.tabs?.length ?? 0;

  const one = await tab(boss.cookie);
  await one.hello();
  one.send({ type: 'monitor', conversationId, mode: 'monitor' });
  await tangTab.next('conversation', (f) => f.conversationId === conversationId && f.monitors.length === 1);
  const two = await tab(boss.cookie);
  expect((await two.hello({ watching: [conversationId] })).conversations.map((c) => c.conversationId)).toEqual([conversationId]);
  expect(await watchingTabs()).toBe(2);

  one.close();
  await waitFor('the closed tab to be reported gone', async () => ((await watchingTabs()) === 1 ? true : undefined), 15_000);
  served.visitor.send({ type: 'message', clientMsgId: 'still', text: '还有人吗' });
  await two.next('message', (m) => m.conversationId === conversationId && m.clientMsgId === 'still'); // still watched from the other tab

  const from = tangTab.frames.length;
  two.close();
  expect(await tangTab.next('conversation', (f) => f.conversationId === conversationId, { from })).toMatchObject({ monitors: [] });
  tangTab.send({ type: 'close', conversationId });
  await tangTab.next('conversation', (f) => f.conversationId === conversationId && f.status === 'closed');
  tangTab.close();
}, 30_000); // two graces of KEFU_WATCH_GRACE (2 s) pass in it

test('a supervisor watches, whispers, barges in and takes over; the agent is released; the supervisor sets an agent’s status', async () => {
  const he = await agentAccount('he.jun@example.com', '何军');
  const boss = await agentAccount('lead@example.com', '组长', { role: supervisorRole, skillGroupIds: [] });
  const heTab = await tab(he.cookie);
  await heTab.hello({ status: 'ready' });
  const leadTab = await tab(boss.cookie);
  await leadTab.hello({ status: 'busy' });
  const { visitor, conversationId } = await servedVisitor(heTab, '我要退货');

  leadTab.send({ type: 'message', conversationId, clientMsgId: 's0', text: 'not watching yet', as: 'supervisor' });
  expect(await leadTab.next('error', (e) => e.clientMsgId === 's0')).toMatchObject({ code: 'NOT_A_PARTICIPANT' });
  leadTab.send({ type: 'monitor', conversationId, mode: 'monitor' });
  expect(await leadTab.next('conversation', (c) => c.conversationId === conversationId)).toMatchObject({ monitors: [{ supervisorId: boss.id, mode: 'monitor' }] });
  leadTab.send({ type: 'history', conversationId });
  await leadTab.next('history', (h) => h.conversationId === conversationId);
  visitor.send({ type: 'message', clientMsgId: 'v2', text: '订单号 20261202' });
  await leadTab.next('message', (m) => m.clientMsgId === 'v2'); // live

  leadTab.send({ type: 'monitor', conversationId, mode: 'whisper' });
  await heTab.next('conversation', (c) => c.conversationId === conversationId && c.monitors.some((m) => m.mode === 'whisper'));
  leadTab.send({ type: 'message', conversationId, clientMsgId: 's1', text: '先确认是否在七天内', as: 'supervisor' });
  const whisper = await leadTab.next('ack', (a) => a.clientMsgId === 's1');
  expect(await heTab.next('message', (m) => m.seq === whisper.seq)).toMatchObject({ visibility: 'internal', from: { kind: 'supervisor', supervisorId: boss.id } });

  leadTab.send({ type: 'monitor', conversationId, mode: 'barge' });
  leadTab.send({ type: 'message', conversationId, clientMsgId: 's2', text: '您好，我是组长，我来协助您', as: 'supervisor' });
  const barged = await leadTab.next('ack', (a) => a.clientMsgId === 's2');
  expect(await visitor.next('message', (m) => m.seq === barged.seq)).toMatchObject({ from: { kind: 'agent', name: '组长' } });
  expect(visitor.frames.some((f) => f.type === 'message' && f.seq === whisper.seq)).toBe(false); // the whisper never reached the visitor

  leadTab.send({ type: 'take-over', conversationId });
  expect(await heTab.next('conversation', (c) => c.conversationId === conversationId && c.agentId === boss.id)).toMatchObject({ status: 'assigned', monitors: [] });
  await visitor.next('status', (st) => st.agent?.name === '组长');
  const reloaded = await tab(he.cookie);
  expect((await reloaded.hello()).conversations).toEqual([]); // released from He's desk
  leadTab.send({ type: 'close', conversationId, summary: '组长接管处理退货' });
  await visitor.next('status', (st) => st.status === 'closed');

  // The agent board: He is there with their status and load; an agent has no board.
  leadTab.send({ type: 'agents' });
  const board = await leadTab.next('agents');
  expect(board.agents.find((a) => a.agentId === he.id)).toMatchObject({ displayName: '何军', status: 'ready', load: 0, maxConversations: 3, conversations: [] });
  expect(board.agents.find((a) => a.agentId === boss.id)).toMatchObject({ conversations: [] }); // the taken-over conversation was closed
  heTab.send({ type: 'agents' });
  expect(await heTab.next('error', (e) => e.code === 'NOT_PERMITTED')).toMatchObject({ temporary: false });

  // The supervisor sets He's status (强制置忙); He cannot do the same to the supervisor.
  leadTab.send({ type: 'force-status', agentId: he.id, status: 'busy' });
  expect(await leadTab.next('agent-status')).toEqual({ type: 'agent-status', agentId: he.id, status: 'busy' });
  await heTab.next('presence', (p) => p.status === 'busy');
  heTab.send({ type: 'force-status', agentId: boss.id, status: 'away' });
  expect(await heTab.next('error', (e) => e.code === 'NOT_PERMITTED')).toMatchObject({ temporary: false });
  leadTab.send({ type: 'force-status', agentId: 'nobody-at-all', status: 'away' });
  expect(await leadTab.next('error', (e) => e.code === 'AGENT_UNKNOWN')).toMatchObject({ temporary: false });

  // The board is live: He's own change of status, and a visitor given to He, follow as rows of their own.
  const live = leadTab.frames.length;
  heTab.send({ type: 'set-status', status: 'ready' });
  expect(await leadTab.next('board-agent', (b) => b.agent.agentId === he.id && b.agent.status === 'ready', { from: live })).toMatchObject({ agent: { displayName: '何军', load: 0 } });
  const { conversationId: given } = await servedVisitor(heTab, '实时看板');
  expect(await leadTab.next('board-agent', (b) => b.agent.agentId === he.id && b.agent.load === 1, { from: live })).toMatchObject({ agent: { status: 'ready', conversations: [given] } });
  // A tab that never asked for the board hears none of it.
  expect(heTab.frames.some((f) => f.type === 'board-agent')).toBe(false);
  heTab.send({ type: 'close', conversationId: given });
  await leadTab.next('board-agent', (b) => b.agent.agentId === he.id && b.agent.load === 0 && b.agent.conversations.length === 0, { from: live });
});

test('the queue view and manual pick: members see who waits and take them; outsiders do not', async () => {
  // A manual-routing skill group with one member and one outsider.
  const group = expectStatus(await admin.post('/api/v1/departments', { parentId: 'root', name: '售后抢单', isSkillGroup: true, settings: { routingPolicy: 'manual' } }), 201) as { id: string };
  const channel = expectStatus(await admin.post('/api/v1/channels', { name: '抢单站', skillGroupId: group.id }), 201) as { key: string };
  const member = await agentAccount('picker@example.com', '抢单员', { skillGroupIds: [group.id] });
  const outsider = await agentAccount('outsider@example.com', '外人', { skillGroupIds: ['default'] });
  const memberTab = await tab(member.cookie);
  await memberTab.hello({ status: 'ready' });
  const outsiderTab = await tab(outsider.cookie);
  await outsiderTab.hello({ status: 'ready' });

  const waiting: VisitorClient[] = [];
  for (const name of ['甲', '乙']) {
    const v = await VisitorClient.connect(`ws://127.0.0.1:${node.port}/ws/visitor/${channel.key}`);
    open.push(v);
    await v.hello();
    v.send({ type: 'start', preChat: { name } });
    await v.next('status', (st) => st.status === 'queued');
    waiting.push(v);
  }
  memberTab.send({ type: 'queue', skillGroupId: group.id });
  const view = await memberTab.next('queue');
  expect(view).toMatchObject({ skillGroupId: group.id, policy: 'manual', total: 2, agents: [] });
  expect(view.waiting.map((w) => w.preChat.name)).toEqual(['甲', '乙']);
  outsiderTab.send({ type: 'queue', skillGroupId: group.id });
  expect(await outsiderTab.next('error')).toMatchObject({ code: 'NOT_PERMITTED' });
  outsiderTab.send({ type: 'pick', skillGroupId: group.id, conversationId: view.waiting[0]!.conversationId });
  expect(await outsiderTab.next('error', (e) => e.code === 'AGENT_NOT_IN_GROUP')).toMatchObject({ temporary: false });

  memberTab.send({ type: 'pick', skillGroupId: group.id, conversationId: view.waiting[1]!.conversationId });
  expect(await memberTab.next('conversation', (c) => c.status === 'assigned')).toMatchObject({ conversationId: view.waiting[1]!.conversationId, preChat: { name: '乙' } });
  await waiting[1]!.next('status', (st) => st.status === 'assigned');
  memberTab.send({ type: 'pick', skillGroupId: group.id });
  expect(await memberTab.next('conversation', (c) => c.status === 'assigned' && c.conversationId === view.waiting[0]!.conversationId)).toMatchObject({ preChat: { name: '甲' } });
  memberTab.send({ type: 'queue', skillGroupId: group.id });
  expect(await memberTab.next('queue', (q) => q.total === 0)).toMatchObject({ waiting: [] });
  memberTab.send({ type: 'pick', skillGroupId: group.id });
  expect(await memberTab.next('error', (e) => e.code === 'CONVERSATION_UNKNOWN')).toMatchObject({ temporary: false }); // nobody left
});

test('online visitors and proactive invitation: an agent sees who is on the site, invites one, and gets the conversation', async () => {
  const tang = await agentAccount('tang.yi@example.com', '唐一');
  const elsewhere = expectStatus(await admin.post('/api/v1/departments', { parentId: 'root', name: '海外', isSkillGroup: true }), 201) as { id: string };
  const far = await agentAccount('far@example.com', 'Far away', { skillGroupIds: [elsewhere.id] });
  const tangTab = await tab(tang.cookie);
  await tangTab.hello({ status: 'ready' });
  const farTab = await tab(far.cookie);
  await farTab.hello({ status: 'ready' });

  const browsing = await VisitorClient.connect(visitorUrl(), { userAgent: IPHONE });
  open.push(browsing);
  const welcome = await browsing.hello({ page: { url: 'https://shop.example/products/42', title: '蓝牙耳机' }, locale: 'zh-CN', timeZone: 'Asia/Shanghai' });
  tangTab.send({ type: 'visitors' });
  const seen = (await tangTab.next('visitors')).visitors.find((v) => v.page?.url === 'https://shop.example/products/42');
  expect(seen).toMatchObject({ channelId: expect.any(String), skillGroupId: 'default', device: 'Safari 17 · iPhone', locale: 'zh-CN', timeZone: 'Asia/Shanghai', conversationId: null, page: { title: '蓝牙耳机' } });
  farTab.send({ type: 'visitors' });
  expect((await farTab.next('visitors')).visitors.some((v) => v.visitorId === seen!.visitorId)).toBe(false); // not a channel of theirs
  farTab.send({ type: 'invite-visitor', visitorId: seen!.visitorId });
  expect(await farTab.next('error')).toMatchObject({ code: 'VISITOR_UNKNOWN' });

  tangTab.send({ type: 'invite-visitor', visitorId: seen!.visitorId, text: '这款耳机今天有优惠，需要帮您介绍吗？' });
  expect(await tangTab.next('visitor-invited')).toEqual({ type: 'visitor-invited', visitorId: seen!.visitorId });
  expect(await browsing.next('invitation')).toEqual({ type: 'invitation', agent: { id: tang.id, name: '唐一' }, text: '这款耳机今天有优惠，需要帮您介绍吗？' });
  expect(welcome.token).toEqual(expect.any(String));

  // The visitor accepts: the conversation goes to the agent who invited them (other agents of the group are ready too).
  browsing.send({ type: 'start', requestedAgentId: tang.id });
  const assigned = await tangTab.next('conversation', (c) => c.status === 'assigned' && c.visitor.id === seen!.visitorId);
  expect(assigned).toMatchObject({ agentId: tang.id, context: { page: { url: 'https://shop.example/products/42' } } });
  tangTab.send({ type: 'invite-visitor', visitorId: seen!.visitorId });
  expect(await tangTab.next('error', (e) => e.code === 'VISITOR_BUSY')).toMatchObject({ temporary: false });
  tangTab.send({ type: 'invite-visitor', visitorId: 'nobody-by-this-id' });
  expect(await tangTab.next('error', (e) => e.code === 'VISITOR_UNKNOWN')).toMatchObject({ temporary: false });
});

test('the screen pop’s history: the visitor’s earlier conversations, with summary and rating, for the conversation’s agent', async () => {
  // A skill group and channel of their own: agents of other tests do not take these visitors.
  const group = expectStatus(await admin.post('/api/v1/departments', { parentId: 'root', name: '回访组', isSkillGroup: true }), 201) as { id: string };
  const channel = expectStatus(await admin.post('/api/v1/channels', { name: '回访站', skillGroupId: group.id }), 201) as { key: string };
  const zhao = await agentAccount('zhao.screenpop@example.com', '赵磊', { maxConversations: 5, skillGroupIds: [group.id] });
  const desk = await tab(zhao.cookie);
  await desk.hello({ status: 'ready' });
  const visitor = await VisitorClient.connect(`ws://127.0.0.1:${node.port}/ws/visitor/${channel.key}`);
  open.push(visitor);
  await visitor.hello();
  visitor.send({ type: 'start' });
  const current = await desk.next('conversation', (c) => c.status === 'assigned');
  desk.send({ type: 'accept', conversationId: current.conversationId });

  // An earlier conversation of the same visitor (from another tab, long ago): served by 赵磊, closed with a summary, rated.
  const earlier = `earlier-${current.conversationId}`;
  const visitorOf = { visitorId: current.visitor.id, displayName: null, identified: false, vip: false, lastAgentId: null };
  await node.actors.send('conversation', earlier, { type: 'start', tenantId: 'default', channelId: current.channelId, visitor: visitorOf, open: { skillGroupId: group.id, requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true } });
  await desk.next('conversation', (c) => c.conversationId === earlier && c.status === 'assigned');
  desk.send({ type: 'accept', conversationId: earlier });
  desk.send({ type: 'close', conversationId: earlier, summary: '已补发优惠券' });
  await desk.next('conversation', (c) => c.conversationId === earlier && c.status === 'closed');
  expect((await node.actors.send('conversation', earlier, { type: 'rate', score: 4, comment: '还行' })).ok).toBe(true);

  let answer: Extract<AgentServerFrame, { type: 'visitor-history' }> | undefined;
  await waitFor('the earlier conversation, rated, in the visitor’s history', async () => {
    const from = desk.frames.length;
    desk.send({ type: 'visitor-history', conversationId: current.conversationId });
    answer = await desk.next('visitor-history', (h) => h.conversationId === current.conversationId, { from });
    return answer.conversations[0]?.rating ? true : undefined;
  });
  expect(answer!.conversations).toEqual([
    { conversationId: earlier, status: 'closed', createdAt: expect.any(Number), closedAt: expect.any(Number), agentId: zhao.id, skillGroupId: group.id, summary: '已补发优惠券', rating: { score: 4, comment: '还行' } },
  ]);

  // Someone not on the conversation is told so, and learns nothing.
  const other = await tab((await agentAccount('qian.screenpop@example.com', '钱宇')).cookie);
  await other.hello();
  other.send({ type: 'visitor-history', conversationId: current.conversationId });
  expect(await other.next('error')).toMatchObject({ code: 'NOT_A_PARTICIPANT', conversationId: current.conversationId });
  expect(other.frames.some((f) => f.type === 'visitor-history')).toBe(false);
});

test('a long history reaches a reader that stops reading for a while: paced by the reader, every message once, in order, the connection kept', async () => {
  const group = expectStatus(await admin.post('/api/v1/departments', { parentId: 'root', name: '长记录组', isSkillGroup: true }), 201) as { id: string };
  const qian = await agentAccount('qian.longhistory@example.com', '钱多', { maxConversations: 5, skillGroupIds: [group.id] });
  const desk = await tab(qian.cookie);
  await desk.hello({ status: 'away' });
  const conversationId = `long-history-${qian.id}`;
  const visitor = { visitorId: `v-${conversationId}`, displayName: null, identified: false, vip: false, lastAgentId: null };
  await node.actors.send('conversation', conversationId, { type: 'start', tenantId: 'default', channelId: 'web', visitor, open: { skillGroupId: group.id, requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true } });
  // About 10 MB written while the visitor waits (not pushed): more than the gateway's slow-consumer
  // limit (1 MiB) and the loopback's socket buffers together.
  const COUNT = 5_000;
  const text = (i: number) => `${i}:${'长'.repeat(600)}`;
  for (let i = 1; i <= COUNT; i++) {
    const r = await node.actors.send('conversation', conversationId, { type: 'post-message', from: { kind: 'visitor' }, clientMsgId: `v${i}`, text: text(i) });
    expect(r.ok).toBe(true);
  }
  desk.send({ type: 'set-status', status: 'ready' });
  await desk.next('conversation', (c) => c.conversationId === conversationId && c.status === 'assigned');

  const from = desk.frames.length;
  const pauses = (await scrape(node.port)).sum('kefu_gateway_backpressure_total', { role: 'agent', reason: 'paused' });
  (desk.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
  desk.send({ type: 'history', conversationId });
  await new Promise((r) => setTimeout(r, 1_500));
  (desk.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.resume();
  const end = await desk.next('history', (h) => h.conversationId === conversationId, { from });
  const seqs = desk.frames.slice(from).filter((f): f is Extract<AgentServerFrame, { type: 'message' }> => f.type === 'message' && f.conversationId === conversationId).map((m) => m.seq);
  expect(seqs).toHaveLength(COUNT);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(new Set(seqs).size).toBe(COUNT);
  expect(end.lastSeq).toBe(seqs[seqs.length - 1]);
  // The pauses are counted as backpressure; the connection was never closed for it.
  expect((await scrape(node.port)).sum('kefu_gateway_backpressure_total', { role: 'agent', reason: 'paused' })).toBeGreaterThan(pauses);
  desk.send({ type: 'ping' });
  await desk.next('pong', undefined, { from: desk.frames.length });
}, 120_000);

test('a supervisor moves a visitor who waits: to another skill group, then to a named agent, who accepts; an agent may not', async () => {
  const quiet = expectStatus(await admin.post('/api/v1/departments', { parentId: 'default', name: '夜班组', isSkillGroup: true }), 201) as { id: string };
  // The VIP group's agents pick their visitors (manual routing): nothing is assigned there by itself.
  const vip = expectStatus(await admin.post('/api/v1/departments', { parentId: 'default', name: 'VIP 组', isSkillGroup: true, settings: { routingPolicy: 'manual' } }), 201) as { id: string };
  const lead = await agentAccount('night.lead@example.com', '夜班组长', { role: supervisorRole, skillGroupIds: [] });
  const ma = await agentAccount('ma.li@example.com', '马丽', { skillGroupIds: [vip.id] });
  const maTab = await tab(ma.cookie);
  await maTab.hello({ status: 'ready' });
  const leadTab = await tab(lead.cookie);
  await leadTab.hello();
  const conversationId = `waiting-${lead.id}`;
  const visitor = { visitorId: `v-${conversationId}`, displayName: '等待的访客', identified: false, vip: false, lastAgentId: null };
  await node.actors.send('conversation', conversationId, { type: 'start', tenantId: 'default', channelId: 'web', visitor, open: { skillGroupId: quiet.id, requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true } });
  const describe = async () => {
    const r = await node.actors.send<unknown, { type: string; status?: string; skillGroupId?: string; agentId?: string | null }>('conversation', conversationId, { type: 'describe' });
    return r.ok ? r.effects.find((e) => e.type === 'described')! : null;
  };
  expect(await describe()).toMatchObject({ status: 'queued', skillGroupId: quiet.id });

  // An agent may not move it; the supervisor moves it to the VIP group, where it waits on.
  maTab.send({ type: 'transfer', conversationId, to: { skillGroupId: vip.id } });
  expect(await maTab.next('error', (e) => e.conversationId === conversationId)).toMatchObject({ temporary: false });
  leadTab.send({ type: 'transfer', conversationId, to: { skillGroupId: vip.id }, memo: '老客户', as: 'supervisor' });
  await waitFor('the visitor in the VIP queue', async () => ((await describe())?.skillGroupId === vip.id ? true : undefined), 10_000);
  expect(await describe()).toMatchObject({ status: 'queued', skillGroupId: vip.id });
  leadTab.send({ type: 'queue', skillGroupId: vip.id });
  expect((await leadTab.next('queue', (q) => q.skillGroupId === vip.id)).waiting.map((w) => w.conversationId)).toEqual([conversationId]);

  // Then to Ma by name: she is offered it and accepts.
  leadTab.send({ type: 'transfer', conversationId, to: { agentId: ma.id }, as: 'supervisor' });
  expect(await maTab.next('conversation', (c) => c.conversationId === conversationId)).toMatchObject({ status: 'transferred', agentId: ma.id });
  maTab.send({ type: 'accept', conversationId });
  await maTab.next('conversation', (c) => c.conversationId === conversationId && c.status === 'assigned');
  maTab.send({ type: 'close', conversationId });
  await maTab.next('conversation', (c) => c.conversationId === conversationId && c.status === 'closed');
});

test('the agent blocks the visitor from the desk: on the blacklist, their widgets closed (4504), the conversation ended; nobody else may', async () => {
  const group = expectStatus(await admin.post('/api/v1/departments', { parentId: 'root', name: '风控组', isSkillGroup: true }), 201) as { id: string };
  const channel = expectStatus(await admin.post('/api/v1/channels', { name: '风控站', skillGroupId: group.id }), 201) as { key: string };
  const sun = await agentAccount('sun.block@example.com', '孙丽', { skillGroupIds: [group.id] });
  const desk = await tab(sun.cookie);
  await desk.hello({ status: 'ready' });
  const visitorAt = `ws://127.0.0.1:${node.port}/ws/visitor/${channel.key}`;
  const visitor = await VisitorClient.connect(visitorAt);
  const secondTab = await VisitorClient.connect(visitorAt);
  open.push(visitor, secondTab);
  const welcome = await visitor.hello();
  await secondTab.hello({ token: welcome.token });
  visitor.send({ type: 'start' });
  const assigned = await desk.next('conversation', (c) => c.status === 'assigned');
  const { conversationId } = assigned;
  const visitorId = assigned.visitor.id;
  desk.send({ type: 'accept', conversationId });

  // Someone else's agent may not, and nothing changes.
  const other = await tab((await agentAccount('zhou.block@example.com', '周明')).cookie);
  await other.hello();
  other.send({ type: 'block-visitor', conversationId, reason: 'not mine' });
  expect(await other.next('error')).toMatchObject({ code: 'NOT_ASSIGNED_AGENT', conversationId });
  expect(expectStatus(await admin.get('/api/v1/blacklist'), 200)).toEqual([]);

  desk.send({ type: 'block-visitor', conversationId, reason: '广告骚扰', days: 7 });
  const blocked = await desk.next('visitor-blocked');
  expect(blocked).toMatchObject({ conversationId, visitorId });
  expect(blocked.until! - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
  for (const t of [visitor, secondTab]) {
    expect(await t.next('error', (e) => e.code === 'VISITOR_BLOCKED')).toMatchObject({ temporary: false });
    expect(await t.closed).toBe(4504);
  }
  await desk.next('conversation', (c) => c.conversationId === conversationId && c.status === 'closed');
  const bans = expectStatus(await admin.get('/api/v1/blacklist'), 200) as { visitorId: string; reason: string; createdBy: string; expiresAt: string | null }[];
  expect(bans).toEqual([expect.objectContaining({ visitorId, reason: '广告骚扰', createdBy: sun.id })]);
  const audit = expectStatus(await admin.get('/api/v1/audit?action=visitor.ban'), 200) as { actorId: string; details: { conversationId?: string } }[];
  expect(audit[0]).toMatchObject({ actorId: sun.id, details: { conversationId } });

  // Coming back is refused; a second block says so; after the close, still only its agent may.
  const back = await VisitorClient.connect(visitorAt);
  open.push(back);
  back.send({ type: 'hello', v: 1, token: welcome.token });
  expect(await back.next('error')).toMatchObject({ code: 'VISITOR_BLOCKED' });
  desk.send({ type: 'block-visitor', conversationId });
  expect(await desk.next('error', (e) => e.conversationId === conversationId)).toMatchObject({ code: 'ALREADY_BLOCKED' });
  const from = other.frames.length;
  other.send({ type: 'block-visitor', conversationId });
  expect(await other.next('error', () => true, { from })).toMatchObject({ code: 'NOT_ASSIGNED_AGENT', conversationId });
});
