/**
 * Visitor protocol v1 against a running embedded node, with a real WebSocket client: the happy
 * path, resume, de-duplication, tabs, and hostile input. The agent side is driven through the
 * actors directly here (the agent protocol has its own tests).
 */
import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChannel, DEFAULT_CHANNEL_KEY, DEFAULT_TENANT_ID, type ChannelConfig } from '../../actors/directory/channel.repository.ts';
import { VisitorToken } from '../../actors/directory/visitor.entity.ts';
import { identityHash } from '../../actors/directory/visitor.repository.ts';
import { ActorStore } from '../../cluster/actor-store.ts';
import { ConversationRecords } from '../../actors/conversation/conversation-record.repository.ts';
import { scrape, waitFor } from '../../tests/support.ts';
import { loadConfig } from '../../cluster/config.ts';
import { startNode, type KefuNode } from '../../cluster/node.ts';
import { ApiClient, expectStatus } from '../../tests/api-client.ts';
import { VisitorClient } from '../../tests/visitor-client.ts';
import { CLOSE_CODES, VISITOR_LIMITS } from './wire.ts';

let dir: string;
let node: KefuNode;
let ws: (channel?: string) => string;
const clients: VisitorClient[] = [];
const busyAgents: string[] = [];

async function startEmbedded(env: Record<string, string> = {}): Promise<KefuNode> {
  return startNode(loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: mkdtempSync(join(dir, 'node-')), KEFU_LOG_LEVEL: 'error', KEFU_NODE_ID: 'visitor-gw', ...env }));
}

const connect = async (channel = DEFAULT_CHANNEL_KEY, origin?: string): Promise<VisitorClient> => {
  const c = await VisitorClient.connect(ws(channel), origin ? { origin } : {});
  clients.push(c);
  return c;
};

/** An agent of the default skill group, ready to take conversations. */
async function readyAgent(agentId: string, displayName = agentId): Promise<string> {
  await node.actors.send('agent', agentId, { type: 'create', tenantId: DEFAULT_TENANT_ID, displayName, skillGroups: ['default'], maxConversations: 5 });
  await node.actors.send('agent', agentId, { type: 'connect', connectionId: `${agentId}-desk`, status: 'ready' });
  busyAgents.push(agentId);
  return agentId;
}
const agentSays = (conversationId: string, agentId: string, clientMsgId: string, text: string) =>
  node.actors.send('conversation', conversationId, { type: 'post-message', from: { kind: 'agent', agentId }, clientMsgId, text });
const lastSeqOf = async (conversationId: string): Promise<number> => {
  const r = await node.actors.send<unknown, { type: string; lastSeq?: number }>('conversation', conversationId, { type: 'describe' });
  if (!r.ok) throw new Error(r.message);
  return r.effects.find((e) => e.type === 'described')!.lastSeq!;
};

/** The conversation a visitor token is in (what a new tab of that visitor is told). */
async function conversationOf(token: string): Promise<string> {
  const probe = await VisitorClient.connect(ws());
  const { conversationId } = await probe.hello({ token });
  probe.close();
  await probe.closed;
  return conversationId!;
}

/** A visitor in a conversation an agent has accepted. */
async function chatting(agentId: string, displayName = agentId) {
  const visitor = await connect();
  const welcome = await visitor.hello();
  await readyAgent(agentId, displayName);
  visitor.send({ type: 'start', preChat: { name: '王小明' } });
  const assigned = await visitor.next('status', (f) => f.status === 'assigned');
  const conversationId = await conversationOf(welcome.token);
  await node.actors.send('conversation', conversationId, { type: 'accept', agentId });
  return { visitor, welcome, assigned, conversationId };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-visitor-gw-'));
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true); // the setup banner
  node = await startEmbedded();
  ws = (channel = DEFAULT_CHANNEL_KEY) => `ws://127.0.0.1:${node.port}/ws/visitor/${channel}`;
});
afterEach(async () => {
  await Promise.all(
    clients.splice(0).map((c) => {
      c.close();
      return c.closed;
    }),
  );
  // Agents of a finished test take no more conversations.
  for (const agentId of busyAgents.splice(0)) await node.actors.send('agent', agentId, { type: 'set-status', status: 'busy' });
});
afterAll(async () => {
  await node?.stop();
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('the happy path', () => {
  test('visitor → queue → agent → chat both ways → close → rating', async () => {
    const before = await scrape(node.port);
    const { visitor, welcome, assigned, conversationId } = await chatting('li-na', '李娜');
    expect(welcome).toMatchObject({ v: 1, conversationId: null, status: null, lastSeq: 0, agent: null, heartbeatMs: 25_000 });
    expect(welcome.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(visitor.frames.some((f) => f.type === 'status' && f.status === 'queued')).toBe(true);
    expect(assigned.agent).toEqual({ name: '李娜' });

    visitor.send({ type: 'message', clientMsgId: 'v-1', text: '你好，我的订单还没到 📦' });
    expect(await visitor.next('ack')).toEqual({ type: 'ack', clientMsgId: 'v-1', seq: 1 });
    expect(await visitor.next('message', (m) => m.seq === 1)).toMatchObject({ clientMsgId: 'v-1', from: { kind: 'visitor', name: null }, text: '你好，我的订单还没到 📦' });

    await node.actors.send('conversation', conversationId, { type: 'typing', from: { kind: 'agent', agentId: 'li-na' }, typing: true });
    expect(await visitor.next('typing')).toEqual({ type: 'typing', from: { kind: 'agent', name: '李娜' }, typing: true });
    expect((await agentSays(conversationId, 'li-na', 'a-1', '您好，请提供订单号')).ok).toBe(true);
    expect(await visitor.next('message', (m) => m.seq === 2)).toMatchObject({ clientMsgId: null, from: { kind: 'agent', name: '李娜' }, text: '您好，请提供订单号' });
    await node.actors.send('conversation', conversationId, { type: 'read', by: { kind: 'agent', agentId: 'li-na' }, seq: 1 });
    expect(await visitor.next('read')).toEqual({ type: 'read', by: { kind: 'agent', name: '李娜' }, seq: 1 });
    visitor.send({ type: 'read', seq: 2 });
    visitor.send({ type: 'typing', typing: true });

    await node.actors.send('conversation', conversationId, { type: 'close', by: { kind: 'agent', agentId: 'li-na' }, summary: 'order found' });
    await visitor.next('status', (f) => f.status === 'closed');
    await visitor.next('rating-requested');
    visitor.send({ type: 'rate', score: 5, comment: '很快' });
    visitor.send({ type: 'ping' });
    await visitor.next('pong');
    expect(visitor.frames.filter((f) => f.type === 'error')).toEqual([]);

    // What the node's metrics tell of it.
    const after = await scrape(node.port);
    const grew = (name: string, labels: Record<string, string> = {}) => after.sum(name, labels) - before.sum(name, labels);
    const tenant = { tenant: DEFAULT_TENANT_ID };
    expect(grew('kefu_message_ack_seconds_count', { role: 'visitor' })).toBe(1);
    expect(grew('kefu_gateway_frames_received_total', { role: 'visitor' })).toBeGreaterThanOrEqual(7); // hello, start, message, read, typing, rate, ping
    expect(grew('kefu_gateway_frames_sent_total', { role: 'visitor' })).toBeGreaterThanOrEqual(8);
    expect(grew('kefu_gateway_received_bytes_total', { role: 'visitor' })).toBeGreaterThan(100);
    expect(grew('kefu_conversations_started_total', tenant)).toBe(1);
    expect(grew('kefu_assignments_total', { ...tenant, group: 'default' })).toBe(1);
    expect(grew('kefu_queue_wait_seconds_count', { ...tenant, group: 'default' })).toBe(1);
    expect(grew('kefu_assignment_latency_seconds_count', { ...tenant, group: 'default' })).toBe(1);
    expect(grew('kefu_conversations_closed_total', { ...tenant, reason: 'agent' })).toBe(1);
    expect(after.sum('kefu_gateway_connections', { role: 'visitor' })).toBeGreaterThanOrEqual(1);
    expect(after.sum('kefu_agents', { ...tenant, status: 'ready' })).toBeGreaterThanOrEqual(1);
    expect(after.sum('kefu_agent_capacity', tenant)).toBeGreaterThanOrEqual(5);

    const stored = await new ActorStore(node.database).load<{ rating: unknown; visitorReadSeq: number }>('conversation', conversationId);
    expect(stored?.state).toMatchObject({ rating: { score: 5, comment: '很快' }, visitorReadSeq: 2 });
    // History's record of it (embedded: the lifecycle events folded as they are published, after the answer).
    const records = new ConversationRecords(node.database);
    await waitFor('the conversation record to show the rating', async () => ((await records.find(DEFAULT_TENANT_ID, conversationId))?.score === 5 ? true : undefined));
    expect(await records.find(DEFAULT_TENANT_ID, conversationId)).toMatchObject({
      channelId: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/), // the default channel's id
      skillGroupId: 'default',
      agentId: 'li-na',
      status: 'closed',
      closeReason: 'agent',
      closedBy: 'agent',
      summary: 'order found',
      score: 5,
      comment: '很快',
      firstReplyAt: expect.any(Number),
    });

    // Writing again in the same tab re-opens the conversation (within its reopen window): the
    // message to the closed conversation is refused, and the gateway re-opens it and posts again.
    visitor.send({ type: 'message', clientMsgId: 'v-2', text: '还有一个问题' });
    expect(await visitor.next('ack', (f) => f.clientMsgId === 'v-2')).toEqual({ type: 'ack', clientMsgId: 'v-2', seq: 3 });
    expect((await new ActorStore(node.database).load<{ status: string }>('conversation', conversationId))?.state.status).not.toBe('closed');
    expect(visitor.frames.filter((f) => f.type === 'error')).toEqual([]);
  });
});

describe('resume, de-duplication and tabs', () => {
  test('after a dropped connection the visitor gets exactly the missed messages, in order, and the same conversation', async () => {
    const { visitor, welcome, conversationId } = await chatting('resume-agent');
    visitor.send({ type: 'message', clientMsgId: 'r-1', text: 'one' });
    visitor.send({ type: 'message', clientMsgId: 'r-2', text: 'two' });
    await visitor.next('ack', (a) => a.clientMsgId === 'r-2');
    visitor.ws.terminate(); // dropped, no close handshake
    await visitor.closed;
    for (const [i, text] of ['three', 'four', 'five'].entries()) await agentSays(conversationId, 'resume-agent', `ra-${i}`, text);

    const again = await connect();
    const back = await again.hello({ token: welcome.token, lastSeq: 2 });
    expect(back).toMatchObject({ token: welcome.token, conversationId, status: 'assigned', lastSeq: 5, agent: { name: 'resume-agent' } });
    await again.next('message', (m) => m.seq === 5);
    expect(again.messages().map((m) => [m.seq, m.text])).toEqual([
      [3, 'three'],
      [4, 'four'],
      [5, 'five'],
    ]);
    await agentSays(conversationId, 'resume-agent', 'ra-9', 'six');
    await again.next('message', (m) => m.seq === 6);
    expect(again.messages().map((m) => m.seq)).toEqual([3, 4, 5, 6]); // live pushes follow, nothing twice
  });

  test('a resent message gets its original ack and is stored once', async () => {
    const { visitor, welcome, conversationId } = await chatting('dedupe-agent');
    visitor.send({ type: 'message', clientMsgId: 'd-1', text: 'only once' });
    const first = await visitor.next('ack');
    visitor.ws.terminate();
    const again = await connect();
    await again.hello({ token: welcome.token, lastSeq: first.seq });
    again.send({ type: 'message', clientMsgId: 'd-1', text: 'only once' });
    expect(await again.next('ack')).toEqual(first);
    expect(await lastSeqOf(conversationId)).toBe(first.seq);
    const fresh = await connect();
    await fresh.hello({ token: welcome.token });
    await fresh.next('message', (m) => m.seq === first.seq);
    expect(fresh.messages().filter((m) => m.text === 'only once')).toHaveLength(1);
  });

  test('two tabs of one visitor both see everything, the other tab’s messages included', async () => {
    const { visitor: tab1, welcome, conversationId } = await chatting('tabs-agent');
    const tab2 = await connect();
    expect(await tab2.hello({ token: welcome.token })).toMatchObject({ conversationId });
    tab1.send({ type: 'message', clientMsgId: 't1-1', text: 'from tab 1' });
    await tab1.next('ack');
    await agentSays(conversationId, 'tabs-agent', 'ta-1', 'to both tabs');
    for (const tab of [tab1, tab2]) {
      await tab.next('message', (m) => m.text === 'to both tabs');
      expect(tab.messages().map((m) => [m.text, m.clientMsgId])).toEqual([
        ['from tab 1', 't1-1'],
        ['to both tabs', null],
      ]);
    }
  });

  test('a second tab that starts the conversation brings the first one along', async () => {
    const tab1 = await connect();
    const welcome = await tab1.hello();
    const tab2 = await connect();
    await tab2.hello({ token: welcome.token });
    tab2.send({ type: 'message', clientMsgId: 's-1', text: 'hello from tab 2' });
    await tab2.next('ack');
    await tab1.next('message', (m) => m.text === 'hello from tab 2');
    expect(tab1.frames.some((f) => f.type === 'status' && f.status === 'queued')).toBe(true);
  });
});

describe('identity', () => {
  let secured: ChannelConfig;
  beforeAll(async () => {
    secured = await createChannel(
      node.database.orm.em.fork(),
      { tenantId: DEFAULT_TENANT_ID, key: 'members', name: 'Members', skillGroupId: 'default', allowedOrigins: ['https://shop.example'], identityEnforced: true, appearance: {} },
      new Date(),
    );
  });

  test('a valid HMAC identifies the visitor: the same user on two devices is one visitor in one conversation', async () => {
    const identity = { userId: 'user-42', hash: identityHash(secured.identitySecret, 'user-42'), name: '王小明' };
    const phone = await connect('members', 'https://shop.example');
    const first = await phone.hello({ identity });
    phone.send({ type: 'start' });
    await phone.next('status');
    const laptop = await connect('members', 'https://shop.example');
    const second = await laptop.hello({ identity });
    expect(second.token).not.toBe(first.token);
    expect(second.status).toBe('queued');
    phone.send({ type: 'message', clientMsgId: 'p-1', text: 'sent from the phone' });
    await laptop.next('message', (m) => m.text === 'sent from the phone');
  });

  test.each([
    ['a wrong HMAC', { identity: { userId: 'user-42', hash: 'f'.repeat(64) } }, 'IDENTITY_INVALID'],
    ['no identity on an enforcing channel', {}, 'IDENTITY_REQUIRED'],
  ])('%s is refused with 4501', async (_, fields, code) => {
    const c = await connect('members', 'https://shop.example');
    c.send({ type: 'hello', v: 1, ...fields });
    expect(await c.next('error')).toMatchObject({ code, temporary: false });
    expect(await c.closed).toBe(CLOSE_CODES.UNAUTHORIZED);
  });
});

describe('tokens', () => {
  test.each([
    ['a forged token', async () => 'A'.repeat(32)],
    [
      'an expired token',
      async () => {
        const c = await connect();
        const { token } = await c.hello();
        const tokenHash = createHash('sha256').update(token).digest('hex');
        expect(await node.database.orm.em.fork().nativeUpdate(VisitorToken, { tokenHash }, { expiresAt: new Date(Date.now() - 1_000) })).toBe(1);
        return token;
      },
    ],
    [
      'a token of another channel',
      async () => {
        const other = await createChannel(
          node.database.orm.em.fork(),
          { tenantId: DEFAULT_TENANT_ID, key: `other-${Date.now()}`, name: 'Other', skillGroupId: 'default', allowedOrigins: [], identityEnforced: false, appearance: {} },
          new Date(),
        );
        const c = await connect(other.key);
        return (await c.hello()).token;
      },
    ],
  ])('%s is refused with 4501 and changes nothing', async (_, tokenFor) => {
    const token = await tokenFor();
    const c = await connect();
    c.send({ type: 'hello', v: 1, token });
    expect(await c.next('error')).toMatchObject({ code: 'TOKEN_INVALID', temporary: false });
    expect(await c.closed).toBe(CLOSE_CODES.UNAUTHORIZED);
  });
});

describe('the blacklist', () => {
  test('a visitor an admin blocks is refused at hello with 4504 (final, token kept) until the ban is lifted', async () => {
    if (node.setup.status !== 'issued') throw new Error('expected a setup token');
    const admin = new ApiClient(`http://127.0.0.1:${node.port}`);
    expectStatus(await admin.post('/api/v1/setup', { token: node.setup.token, email: 'boss@example.com', displayName: 'Boss', password: 'correct horse battery' }), 201);
    await admin.login('boss@example.com', 'correct horse battery');

    const c = await connect();
    const { token } = await c.hello();
    const tokenHash = createHash('sha256').update(token).digest('hex');
    const { visitorId } = await node.database.orm.em.fork().findOneOrFail(VisitorToken, { tokenHash });
    const ban = expectStatus(await admin.post('/api/v1/blacklist', { visitorId, reason: 'abusive language' }), 201);

    const again = await connect();
    again.send({ type: 'hello', v: 1, token });
    expect(await again.next('error')).toMatchObject({ code: 'VISITOR_BLOCKED', temporary: false });
    expect(await again.closed).toBe(CLOSE_CODES.BLOCKED);

    expectStatus(await admin.delete(`/api/v1/blacklist/${ban.id}`), 204);
    const back = await connect();
    expect((await back.hello({ token })).token).toBe(token);
  });
});

describe('hostile input', () => {
  test('malformed frames get their typed errors and change nothing', async () => {
    const { visitor, conversationId } = await chatting('hostile-agent');
    const before = await lastSeqOf(conversationId);
    const scraped = await scrape(node.port);
    const cases: [string | Buffer, string][] = [
      ['{"type":"message","clientMsgId":"x","text":"' + 'x'.repeat(VISITOR_LIMITS.maxFrameBytes) + '"}', 'FRAME_TOO_LARGE'],
      ['{not json', 'BAD_FRAME'],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'BAD_FRAME'], // invalid UTF-8 (as a binary frame: a text frame would not even reach us)
      ['{"type":"message","clientMsgId":7,"text":"hi"}', 'INVALID_FIELD'],
      ['{"type":"launch-missiles"}', 'UNKNOWN_FRAME_TYPE'],
      ['{"type":"start","preChat":{"__proto__":{"admin":"yes"}}}', 'INVALID_FIELD'],
      [`{"type":"start","preChat":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, 'FRAME_TOO_LARGE'],
      [`{"type":"start","preChat":${'['.repeat(50)}${']'.repeat(50)}}`, 'BAD_FRAME'],
      ['{"type":"message","clientMsgId":"../../etc/passwd","text":"hi"}', 'INVALID_FIELD'],
    ];
    for (const [frame, code] of cases) {
      const n = visitor.frames.length;
      visitor.sendRaw(frame);
      expect(await visitor.next('error', () => true, { from: n })).toMatchObject({ code, temporary: false });
    }
    expect(await lastSeqOf(conversationId)).toBe(before);
    // Each refusal is counted by its code.
    const counted = await scrape(node.port);
    for (const code of new Set(cases.map(([, c]) => c))) {
      const labels = { role: 'visitor', reason: code };
      expect(counted.sum('kefu_gateway_frames_rejected_total', labels) - scraped.sum('kefu_gateway_frames_rejected_total', labels)).toBe(cases.filter(([, c]) => c === code).length);
    }
    visitor.send({ type: 'ping' });
    await visitor.next('pong'); // still connected
  });

  test('a frame before hello closes with 4500; an unsupported version with 4503; an unknown channel with 4502', async () => {
    const early = await connect();
    early.send({ type: 'message', clientMsgId: 'm', text: 'hi' });
    expect(await early.next('error')).toMatchObject({ code: 'INVALID_FIELD' });
    expect(await early.closed).toBe(CLOSE_CODES.PROTOCOL_VIOLATION);

    const future = await connect();
    future.send({ type: 'hello', v: 2 });
    expect(await future.next('error')).toMatchObject({ code: 'UNSUPPORTED_VERSION' });
    expect(await future.closed).toBe(CLOSE_CODES.UNSUPPORTED_VERSION);

    const nowhere = await connect('no-such-channel');
    expect(await nowhere.closed).toBe(CLOSE_CODES.CHANNEL_UNKNOWN);
  });

  test('a flood is rate limited (temporary errors), then closed with 4003', async () => {
    const c = await connect();
    await c.hello();
    for (let i = 0; i < 200; i++) c.send({ type: 'ping' });
    expect(await c.closed).toBe(CLOSE_CODES.RATE_LIMITED);
    const errors = c.frames.filter((f) => f.type === 'error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.code === 'RATE_LIMITED' && e.temporary)).toBe(true);
    expect(c.frames.filter((f) => f.type === 'pong').length).toBeLessThan(200);
  });

  test('a reader that stops reading is closed with 4002 instead of being buffered for without bound', async () => {
    const { visitor, conversationId } = await chatting('flood-agent');
    const closes = (await scrape(node.port)).sum('kefu_gateway_backpressure_total', { role: 'visitor', reason: 'closed' });
    const socket = (visitor.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const text = 'x'.repeat(4_000);
    let sent = 0;
    const open = node.visitorConnections();
    // Enough to fill the kernel's socket buffers and then the gateway's (loopback buffers are a few MB).
    for (; sent < 3_000 && node.visitorConnections() === open; sent++) await agentSays(conversationId, 'flood-agent', `f-${sent}`, text);
    socket.resume();
    expect(await visitor.closed).toBe(CLOSE_CODES.SLOW_CONSUMER);
    expect(sent).toBeLessThan(3_000);
    expect((await scrape(node.port)).sum('kefu_gateway_backpressure_total', { role: 'visitor', reason: 'closed' })).toBe(closes + 1);
  }, 60_000); // up to 3,000 messages, one after another: seconds on a busy machine

  test('an Origin that is not on the channel’s allow-list is refused before the upgrade (403)', async () => {
    await expect(VisitorClient.connect(ws(), { origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    const own = await connect(DEFAULT_CHANNEL_KEY, `http://127.0.0.1:${node.port}`);
    await own.hello();
  });
});

describe('limits of a node', () => {
  test('connections over the per-address ceiling are refused (429); a silent client is closed with 4001; shutdown closes with 4000', async () => {
    const limited = await startEmbedded({ KEFU_VISITOR_CONNECTIONS_PER_IP: '2', KEFU_VISITOR_HEARTBEAT: '1' });
    try {
      const url = `ws://127.0.0.1:${limited.port}/ws/visitor/${DEFAULT_CHANNEL_KEY}`;
      const silent = await VisitorClient.connect(url);
      expect((await silent.hello()).heartbeatMs).toBe(1_000);
      const talking = await VisitorClient.connect(url);
      await talking.hello();
      await expect(VisitorClient.connect(url)).rejects.toThrow('HTTP 429');
      const keepAlive = setInterval(() => talking.send({ type: 'ping' }), 200);
      try {
        expect(await silent.closed).toBe(CLOSE_CODES.HEARTBEAT_TIMEOUT);
        const third = await VisitorClient.connect(url); // the silent one's slot is free again
        await third.hello();
        await limited.stop();
        expect(await Promise.all([talking.closed, third.closed])).toEqual([CLOSE_CODES.SERVER_SHUTDOWN, CLOSE_CODES.SERVER_SHUTDOWN]);
      } finally {
        clearInterval(keepAlive);
      }
    } finally {
      await limited.stop();
    }
  });
});
