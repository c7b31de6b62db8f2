/**
 * Files over HTTP against a running embedded node, with the real protocols on both sides: a visitor
 * uploads and shares an image, the agent sees it in the conversation and downloads it (and an image's
 * preview, made on upload); the agent
 * shares a PDF back; and every abuse is refused with its documented status and stores nothing —
 * wrong origin, no or someone else's token, no CSRF, too large, a disguised type, a path in the
 * name, someone else's file id.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ConversationFile } from '../../actors/conversation/file.entity.ts';
import { FileStore, UNSENT_FILE_TTL_MS } from '../../actors/conversation/file.repository.ts';
import { loadConfig } from '../../cluster/config.ts';
import { startNode, type KefuNode } from '../../cluster/node.ts';
import { AgentClient } from '../../tests/agent-client.ts';
import { ApiClient, expectStatus } from '../../tests/api-client.ts';
import { NOT_REALLY_PNG, png } from '../../tests/png.ts';
import { VisitorClient } from '../../tests/visitor-client.ts';
import { MAX_FILE_BYTES } from './file-policy.ts';

jest.setTimeout(60_000);

const PASSWORD = 'files test password';
/** "A PNG" by its magic number only: accepted as an image file, but no image to make a preview of. */
const PNG = NOT_REALLY_PNG;
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n');
let dir: string;
let node: KefuNode;
let agent: ApiClient;
let agentTab: AgentClient;
const open: { close(): void }[] = [];

const visitorUrl = () => `ws://127.0.0.1:${node.port}/ws/visitor/web`;
const http = (path: string, init: RequestInit = {}) => fetch(`${node.url}${path}`, init);
const storedFiles = () => node.database.orm.em.fork().count(ConversationFile, {});

/** A visitor in a conversation the agent accepted: their token and the conversation. */
async function servedVisitor(): Promise<{ visitor: VisitorClient; token: string; conversationId: string }> {
  const visitor = await VisitorClient.connect(visitorUrl());
  open.push(visitor);
  const welcome = await visitor.hello();
  // This visitor's new assignment: offered after the start, not accepted yet (the earlier tests' conversations stay open).
  const from = agentTab.frames.length;
  visitor.send({ type: 'start' });
  const assigned = await agentTab.next('conversation', (c) => c.status === 'assigned' && !c.accepted, { from });
  agentTab.send({ type: 'accept', conversationId: assigned.conversationId });
  await visitor.next('status', (s) => s.status === 'assigned' && s.agent !== null);
  return { visitor, token: welcome.token, conversationId: assigned.conversationId };
}

const upload = (token: string | null, name: string, body: Uint8Array, headers: Record<string, string> = {}) =>
  http(`/files/visitor/web?name=${encodeURIComponent(name)}`, { method: 'POST', body, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-files-'));
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  node = await startNode(loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'error', KEFU_NODE_ID: 'files', KEFU_SIGN_INS_PER_MINUTE: '1000' }));
  if (node.setup.status !== 'issued') throw new Error('expected a setup token');
  expectStatus(await new ApiClient(node.url).post('/api/v1/setup', { token: node.setup.token, email: 'boss@example.com', displayName: 'Boss', password: PASSWORD }), 201);
  const admin = await new ApiClient(node.url).login('boss@example.com', PASSWORD);
  const roles = expectStatus(await admin.get('/api/v1/roles'), 200) as { id: string; name: string }[];
  const agentRole = roles.find((r) => r.name.startsWith('Agent'))!.id;
  expectStatus(await admin.post('/api/v1/accounts', { email: 'li@example.com', displayName: '李娜', password: PASSWORD, departmentId: 'default', roleIds: [agentRole], skillGroupIds: ['default'], maxConversations: 10 }), 201);
  // An agent of another department: not in these conversations, and their history is out of reach.
  const elsewhere = expectStatus(await admin.post('/api/v1/departments', { parentId: 'root', name: 'Elsewhere', isSkillGroup: true }), 201) as { id: string };
  expectStatus(await admin.post('/api/v1/accounts', { email: 'other@example.com', displayName: 'Other', password: PASSWORD, departmentId: elsewhere.id, roleIds: [agentRole], skillGroupIds: [elsewhere.id] }), 201);
  agent = await new ApiClient(node.url).login('li@example.com', PASSWORD);
  agentTab = await AgentClient.connect(`ws://127.0.0.1:${node.port}/ws/agent`, { cookie: agent.cookie });
  await agentTab.hello({ status: 'ready' });
});
afterAll(async () => {
  for (const c of open.splice(0)) c.close();
  agentTab?.close();
  await node?.stop();
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

test('a visitor shares an image; the agent sees it and downloads it as an attachment; the agent shares a PDF back', async () => {
  const { visitor, token, conversationId } = await servedVisitor();
  const up = await upload(token, '../../截图 订单.png', PNG, { origin: node.url });
  expect(up.status).toBe(201);
  expect(up.headers.get('access-control-allow-origin')).toBe(node.url);
  const file = (await up.json()) as { id: string; name: string; contentType: string; size: number };
  expect(file).toEqual({ id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), name: '截图 订单.png', contentType: 'image/png', size: PNG.length });

  visitor.send({ type: 'message', clientMsgId: 'f1', text: '', file: { id: file.id } });
  const ack = await visitor.next('ack', (a) => a.clientMsgId === 'f1');
  expect(await agentTab.next('message', (m) => m.conversationId === conversationId && m.seq === ack.seq)).toMatchObject({ text: '', file });
  expect(await visitor.next('message', (m) => m.seq === ack.seq)).toMatchObject({ file });

  const got = await http(`/files/agent/${file.id}`, { headers: { cookie: agent.cookie! } });
  expect(got.status).toBe(200);
  expect(Buffer.from(await got.arrayBuffer())).toEqual(PNG);
  expect(got.headers.get('content-type')).toBe('image/png');
  expect(got.headers.get('content-disposition')).toBe(`attachment; filename="__ __.png"; filename*=UTF-8''${encodeURIComponent('截图 订单.png')}`);
  expect(got.headers.get('x-content-type-options')).toBe('nosniff');
  expect(got.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
  const mine = await http(`/files/visitor/web/${file.id}`, { headers: { authorization: `Bearer ${token}` } });
  expect(Buffer.from(await mine.arrayBuffer())).toEqual(PNG);

  // The agent's upload needs the CSRF header of their session, like any change a browser makes.
  const noCsrf = await http(`/files/agent/${conversationId}?name=invoice.pdf`, { method: 'POST', body: PDF, headers: { cookie: agent.cookie! } });
  expect(noCsrf.status).toBe(403);
  const sent = await http(`/files/agent/${conversationId}?name=invoice.pdf`, { method: 'POST', body: PDF, headers: { cookie: agent.cookie!, 'x-csrf-token': agent.csrf! } });
  expect(sent.status).toBe(201);
  const pdf = (await sent.json()) as { id: string };
  agentTab.send({ type: 'message', conversationId, clientMsgId: 'a1', text: '这是发票', file: { id: pdf.id } });
  const pdfAck = await agentTab.next('ack', (a) => a.clientMsgId === 'a1');
  expect(await visitor.next('message', (m) => m.seq === pdfAck.seq)).toMatchObject({ text: '这是发票', file: { id: pdf.id, contentType: 'application/pdf', name: 'invoice.pdf' } });
  expect((await http(`/files/visitor/web/${pdf.id}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

  // A reconnecting visitor gets the file again with the replayed messages.
  const again = await VisitorClient.connect(visitorUrl());
  open.push(again);
  await again.hello({ token, lastSeq: 0 });
  expect(await again.next('message', (m) => m.seq === ack.seq)).toMatchObject({ file });
});

test('an image gets a small, upright preview without its metadata; unreadable and oversized images get none but are still shared', async () => {
  const { visitor, token, conversationId } = await servedVisitor();
  // A phone photo: stored 1600 × 1200 with EXIF orientation 6 (shown turned a quarter, 1200 × 1600).
  const photo = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#3a7' } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const up = (await (await upload(token, 'photo.jpg', photo, { origin: node.url })).json()) as { id: string; preview?: unknown };
  expect(up).toMatchObject({ contentType: 'image/jpeg', size: photo.length, preview: { width: 240, height: 320 } });
  visitor.send({ type: 'message', clientMsgId: 'p1', text: '', file: { id: up.id } });
  const ack = await visitor.next('ack', (a) => a.clientMsgId === 'p1');
  expect(await agentTab.next('message', (m) => m.conversationId === conversationId && m.seq === ack.seq)).toMatchObject({ file: { id: up.id, preview: { width: 240, height: 320 } } });

  const preview = await http(`/files/agent/${up.id}/preview`, { headers: { cookie: agent.cookie! } });
  expect(preview.status).toBe(200);
  expect(preview.headers.get('content-type')).toBe('image/webp');
  expect(preview.headers.get('x-content-type-options')).toBe('nosniff');
  expect(preview.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
  const bytes = Buffer.from(await preview.arrayBuffer());
  expect(bytes.length).toBeLessThan(photo.length);
  const seen = await sharp(bytes).metadata();
  expect(seen).toMatchObject({ format: 'webp', width: 240, height: 320 });
  expect(seen.exif).toBeUndefined();
  expect(seen.orientation).toBeUndefined();
  const visitorsPreview = await http(`/files/visitor/web/${up.id}/preview`, { headers: { authorization: `Bearer ${token}`, origin: node.url } });
  expect(visitorsPreview.status).toBe(200);
  expect(visitorsPreview.headers.get('access-control-allow-origin')).toBe(node.url);
  // The preview is guarded like the file: another visitor, an outsider, nobody signed in get 404/401.
  const other = await servedVisitor();
  expect((await http(`/files/visitor/web/${up.id}/preview`, { headers: { authorization: `Bearer ${other.token}` } })).status).toBe(404);
  const outsider = await new ApiClient(node.url).login('other@example.com', PASSWORD);
  expect((await http(`/files/agent/${up.id}/preview`, { headers: { cookie: outsider.cookie! } })).status).toBe(404);
  expect((await http(`/files/agent/${up.id}/preview`)).status).toBe(401);

  // Not really an image (a PNG signature and noise), or a small file claiming 50,000 × 50,000
  // pixels: accepted as files to download, with no preview to decode.
  for (const [name, body] of [
    ['noise.png', PNG],
    ['bomb.png', png(50_000, 50_000, 'grey', Buffer.alloc(1 + 50_000))],
  ] as const) {
    const res = await upload(token, name, body, { origin: node.url });
    expect(res.status).toBe(201);
    const stored = (await res.json()) as { id: string; preview?: unknown };
    expect(stored.preview).toBeUndefined();
    expect(await (await http(`/files/agent/${stored.id}/preview`, { headers: { cookie: agent.cookie! } })).json()).toMatchObject({ code: 'PREVIEW_NONE' });
    expect((await http(`/files/agent/${stored.id}`, { headers: { cookie: agent.cookie! } })).status).toBe(200);
  }
  // A PDF is no image: no preview either.
  const pdf = (await (await upload(token, 'invoice.pdf', PDF, { origin: node.url })).json()) as { preview?: unknown };
  expect(pdf.preview).toBeUndefined();
});

test('abuse is refused with its documented answer and stores nothing', async () => {
  const { visitor, token, conversationId } = await servedVisitor();
  const other = await servedVisitor();
  const before = await storedFiles();

  expect((await upload(null, 'a.png', PNG)).status).toBe(401);
  expect((await upload('forged-token-of-nobody', 'a.png', PNG)).status).toBe(401);
  expect((await upload(token, 'a.png', PNG, { origin: 'https://evil.example' })).status).toBe(403);
  expect((await http('/files/visitor/no-such-channel?name=a.png', { method: 'POST', body: PNG, headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
  const html = Buffer.from('<html><script>alert(document.cookie)</script></html>');
  expect(await (await upload(token, 'cat.png', html)).json()).toMatchObject({ code: 'FILE_TYPE_NOT_ALLOWED' });
  expect((await upload(token, 'page.html', html)).status).toBe(415);
  expect((await upload(token, 'setup.exe', Buffer.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0]))).status).toBe(415);
  expect((await upload(token, 'empty.txt', Buffer.alloc(0))).status).toBe(400);
  const big = await upload(token, 'big.txt', Buffer.alloc(MAX_FILE_BYTES + 1, 0x61));
  expect(big.status).toBe(413);
  const newcomer = await VisitorClient.connect(visitorUrl());
  open.push(newcomer);
  const fresh = await newcomer.hello();
  expect(await (await upload(fresh.token, 'a.png', PNG)).json()).toMatchObject({ code: 'CONVERSATION_NONE' });
  expect(await storedFiles()).toBe(before);

  // Someone else's file: not downloadable, not attachable — answered as if it did not exist.
  const theirs = (await (await upload(other.token, 'theirs.png', PNG)).json()) as { id: string };
  expect((await http(`/files/visitor/web/${theirs.id}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
  visitor.send({ type: 'message', clientMsgId: 'steal', text: 'look', file: { id: theirs.id } });
  expect(await visitor.next('error', (e) => e.clientMsgId === 'steal')).toMatchObject({ code: 'FILE_UNKNOWN' });
  const outsider = await new ApiClient(node.url).login('other@example.com', PASSWORD);
  expect((await http(`/files/agent/${theirs.id}`, { headers: { cookie: outsider.cookie! } })).status).toBe(404);
  expect((await http(`/files/agent/${conversationId}?name=a.pdf`, { method: 'POST', body: PDF, headers: { cookie: outsider.cookie!, 'x-csrf-token': outsider.csrf! } })).status).toBe(404);
  expect((await http(`/files/agent/${theirs.id}`)).status).toBe(401);
  expect((await http('/files/agent/..%2F..%2Fetc%2Fpasswd', { headers: { cookie: agent.cookie! } })).status).toBe(404);
});

test('a browser on an allowed site asks first (CORS preflight); another site is refused', async () => {
  const ok = await http('/files/visitor/web', { method: 'OPTIONS', headers: { origin: node.url, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
  expect(ok.status).toBe(204);
  expect(ok.headers.get('access-control-allow-origin')).toBe(node.url);
  expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
  const evil = await http('/files/visitor/web/abc', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
  expect(evil.status).toBe(403);
  expect(evil.headers.get('access-control-allow-origin')).toBeNull();
});

test('an upload never sent is deleted after a day; a sent one is kept with the transcript', async () => {
  const { visitor, token } = await servedVisitor();
  const sentUp = (await (await upload(token, 'sent.png', PNG, { origin: node.url })).json()) as { id: string };
  const leftUp = (await (await upload(token, 'left-behind.png', PNG, { origin: node.url })).json()) as { id: string };
  visitor.send({ type: 'message', clientMsgId: 'keep', text: '', file: { id: sentUp.id } });
  await visitor.next('ack', (a) => a.clientMsgId === 'keep');
  const files = new FileStore(() => node.database.orm.em.fork());
  // Not yet a day old: both stay.
  expect(await files.deleteUnsent(new Date(Date.now() - UNSENT_FILE_TTL_MS))).toBe(0);
  // A day later (the sweep's cutoff moved past both uploads): only the unsent one goes.
  expect(await files.deleteUnsent(new Date(Date.now() + 1_000))).toBeGreaterThanOrEqual(1);
  expect(await files.describe(leftUp.id)).toBeNull();
  expect((await http(`/files/agent/${sentUp.id}`, { headers: { cookie: agent.cookie! } })).status).toBe(200);
  // An upload of a conversation gone for good cannot be attached any more either.
  visitor.send({ type: 'message', clientMsgId: 'late', text: '', file: { id: leftUp.id } });
  expect(await visitor.next('error', (e) => e.clientMsgId === 'late')).toMatchObject({ code: 'FILE_UNKNOWN' });
});
