/**
 * The widget in a real Chromium (Debian's, through playwright-core) on the node's test page: chat
 * with an agent, reload in the middle and continue, lose the connection and come back, rate at the
 * end; share a photo and receive a PDF; accept an agent's invitation; screenshots on a desktop and a phone
 * (artifacts/screenshots/). The agent is driven through the actors.
 */
import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../../tests/browser.ts';
import { FileStore } from '../../actors/conversation/file.repository.ts';
import { ChannelDirectory, DEFAULT_CHANNEL_KEY, DEFAULT_TENANT_ID } from '../../actors/directory/channel.repository.ts';
import { identityHash } from '../../actors/directory/visitor.repository.ts';
import { ActorStore } from '../../cluster/actor-store.ts';
import { loadConfig } from '../../cluster/config.ts';
import { SqlMessageLog } from '../../cluster/message-log.sql.ts';
import { startNode, type KefuNode } from '../../cluster/node.ts';
import { gradientPng, NOT_REALLY_PNG } from '../../tests/png.ts';
import { freePorts, waitFor } from '../../tests/support.ts';
import { inviteVisitor, onlineVisitors } from './gateway.service.ts';

jest.setTimeout(120_000);

const SCREENSHOTS = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));

let dir: string;
let node: KefuNode;
/** A fixed port rather than 0: the page reconnects to the same address after the node restarts. */
let port: string;
const nodeConfig = () => loadConfig({ KEFU_PORT: port, KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'error', KEFU_NODE_ID: 'widget-test' });
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-widget-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true); // the setup banner
  port = String(await freePorts(1));
  node = await startNode(nodeConfig());
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await node?.stop();
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

async function readyAgent(agentId: string, displayName: string): Promise<void> {
  await node.actors.send('agent', agentId, { type: 'create', tenantId: DEFAULT_TENANT_ID, displayName, skillGroups: ['default'], maxConversations: 5 });
  await node.actors.send('agent', agentId, { type: 'connect', connectionId: `${agentId}-desk`, status: 'ready' });
}

/** The conversation of the newest visitor who has one. */
async function newestConversation(): Promise<string> {
  return waitFor('the visitor to have a conversation', async () => {
    const rows = await node.database.orm.em
      .fork()
      .getConnection()
      .execute<{ conversation_id: string }[]>("select conversation_id from kefu_visitor where conversation_id != '' order by created_at desc, id limit 1", [], 'all');
    return rows[0]?.conversation_id;
  });
}

const agentSays = async (conversationId: string, agentId: string, clientMsgId: string, text: string): Promise<void> => {
  const r = await node.actors.send('conversation', conversationId, { type: 'post-message', from: { kind: 'agent', agentId }, clientMsgId, text });
  expect(r.ok).toBe(true);
};

const bubbles = (page: Page) => page.locator('#kefu-widget .msg .bubble');

async function send(page: Page, text: string): Promise<void> {
  const input = page.locator('#kefu-widget textarea[aria-label]').last();
  await input.fill(text);
  await input.press('Enter');
}

test('a visitor chats with an agent, reloads mid-conversation, loses the connection and comes back, and rates (desktop, zh-CN)', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${node.url}/test/widget`);
  await page.locator('#kefu-widget .launcher').click();
  await readyAgent('li-na', '李娜');
  await send(page, '你好，我的订单还没到');
  await page.locator('#kefu-widget .msg.mine .meta', { hasText: '已发送' }).waitFor();
  const conversationId = await newestConversation();
  await page.locator('#kefu-widget .subtitle', { hasText: '李娜' }).waitFor();
  await node.actors.send('conversation', conversationId, { type: 'accept', agentId: 'li-na' });
  await agentSays(conversationId, 'li-na', 'a-1', '您好，请提供订单号 <b>不是标签</b>');
  await page.locator('#kefu-widget .msg.theirs .bubble', { hasText: '请提供订单号' }).waitFor();
  // Text stays text: the agent's "<b>" is shown, not rendered.
  expect(await page.locator('#kefu-widget .msg.theirs .bubble b').count()).toBe(0);
  expect(await page.locator('#kefu-widget .msg.theirs .meta').first().textContent()).toContain('李娜');

  // Reload in the middle: the whole conversation is back, and it goes on.
  await page.reload();
  await page.locator('#kefu-widget .msg.theirs .bubble', { hasText: '请提供订单号' }).waitFor();
  expect(await bubbles(page).allTextContents()).toEqual(['你好，我的订单还没到', '您好，请提供订单号 <b>不是标签</b>']);
  await send(page, '订单号 A-1001');
  await page.locator('#kefu-widget .msg.mine .meta', { hasText: '已发送' }).nth(1).waitFor();

  // The server goes away (a gateway stopping says 4000: reconnect) and the network drops; a
  // message typed meanwhile is sent after the reconnect, once.
  await node.stop();
  await context.setOffline(true);
  await page.locator('#kefu-widget .banner').waitFor();
  await send(page, '还在吗？');
  await page.locator('#kefu-widget .msg.mine .meta', { hasText: '发送中' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'widget-desktop-reconnecting.png') });
  node = await startNode(nodeConfig());
  await context.setOffline(false);
  await page.locator('#kefu-widget .msg.mine .meta', { hasText: '已发送' }).nth(2).waitFor({ timeout: 40_000 });
  await agentSays(conversationId, 'li-na', 'a-2', '在的，已经为您查到了');
  await page.locator('#kefu-widget .msg.theirs .bubble', { hasText: '已经为您查到了' }).waitFor();
  expect(await bubbles(page).allTextContents()).toEqual(['你好，我的订单还没到', '您好，请提供订单号 <b>不是标签</b>', '订单号 A-1001', '还在吗？', '在的，已经为您查到了']);
  await page.screenshot({ path: join(SCREENSHOTS, 'widget-desktop.png') });

  // The agent closes; the visitor rates.
  await node.actors.send('conversation', conversationId, { type: 'close', by: { kind: 'agent', agentId: 'li-na' }, summary: null });
  await page.locator('#kefu-widget form.rating').waitFor();
  await page.locator('#kefu-widget .stars button').nth(4).click();
  await page.locator('#kefu-widget form.rating textarea').fill('很快，谢谢');
  await page.locator('#kefu-widget form.rating button.primary').click();
  await page.locator('#kefu-widget .msg.note', { hasText: '感谢您的评价' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'widget-desktop-rated.png') });
  const stored = await waitFor('the rating to be stored', async () => {
    const s = await new ActorStore(node.database).load<{ rating: { score: number; comment: string } | null }>('conversation', conversationId);
    return s?.state.rating ?? undefined;
  });
  expect(stored).toEqual({ score: 5, comment: '很快，谢谢' });
  expect(problems).toEqual([]);
  await context.close();
});

test('on a phone the panel fills the screen, in English, and a first message waits in line for an agent', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US', isMobile: true, hasTouch: true });
  const page = await context.newPage();
  // The only agent steps away, so this visitor waits in line.
  await node.actors.send('agent', 'li-na', { type: 'set-status', status: 'away' });
  await page.goto(`${node.url}/test/widget`);
  await page.locator('#kefu-widget .launcher').click();
  const panel = await page.locator('#kefu-widget .panel').boundingBox();
  expect(panel).toEqual({ x: 0, y: 0, width: 390, height: 844 });
  await send(page, 'Hi, is anyone there?');
  await page.locator('#kefu-widget .msg.mine .meta', { hasText: 'Sent' }).waitFor();
  await page.locator('#kefu-widget .subtitle', { hasText: /Finding an agent|in line/ }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'widget-phone.png') });
  await page.locator('#kefu-widget header button').click();
  expect(await page.locator('#kefu-widget .panel').isHidden()).toBe(true);
  await page.screenshot({ path: join(SCREENSHOTS, 'widget-phone-closed.png') });
  await context.close();
});

/** The test page, as a signed-in user of the site. */
async function asSignedIn(page: Page, user: { id: string; hash: string; name: string }): Promise<void> {
  await page.goto(`${node.url}/test/widget?${new URLSearchParams({ user: user.id, hash: user.hash, name: user.name })}`);
  await page.locator('#kefu-widget .launcher').click();
}

test('a signed-in user of the site is one visitor in two browsers; a forged hash gets no chat', async () => {
  const channel = (await new ChannelDirectory(node.database.orm.em.fork()).byKey(DEFAULT_CHANNEL_KEY))!;
  const user = { id: 'shop-user-42', hash: identityHash(channel.identitySecret, 'shop-user-42'), name: '王芳 "<b>' };
  const laptop = await browser.newContext({ locale: 'en-US' });
  const phone = await browser.newContext({ locale: 'en-US', viewport: { width: 390, height: 844 }, isMobile: true });
  const onLaptop = await laptop.newPage();
  await asSignedIn(onLaptop, user);
  await send(onLaptop, 'Signed in on my laptop');
  await onLaptop.locator('#kefu-widget .msg.mine .meta', { hasText: 'Sent' }).waitFor();
  // Another browser, no shared storage: the identity alone brings the same conversation back.
  const onPhone = await phone.newPage();
  await asSignedIn(onPhone, user);
  await onPhone.locator('#kefu-widget .msg.mine .bubble', { hasText: 'Signed in on my laptop' }).waitFor();

  const forger = await browser.newContext({ locale: 'en-US' });
  const onForger = await forger.newPage();
  await asSignedIn(onForger, { ...user, hash: identityHash('not-the-secret', user.id) });
  await onForger.locator('#kefu-widget .banner.error', { hasText: 'not available' }).waitFor();
  expect(await onForger.locator('#kefu-widget .msg .bubble').count()).toBe(0);
  expect(await onForger.locator('#kefu-widget .composer textarea').isDisabled()).toBe(true);
  await Promise.all([laptop.close(), phone.close(), forger.close()]);
});

test('a visitor sends a photo (the conversation starts with it) and gets a PDF back: a preview, and a card that downloads', async () => {
  await readyAgent('zhang-san', '张三');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${node.url}/test/widget`);
  await page.locator('#kefu-widget .launcher').click();
  await page.locator('#kefu-widget .subtitle', { hasText: '在线' }).waitFor();
  await page.locator('#kefu-widget input[type=file]').setInputFiles({ name: '破损的包裹.png', mimeType: 'image/png', buffer: gradientPng(800, 400) });
  const preview = page.locator('#kefu-widget .msg.mine .bubble.file img');
  await preview.waitFor();
  await page.locator('#kefu-widget .msg.mine .meta', { hasText: '已发送' }).waitFor();
  // What loads is the server's 320 × 160 preview, not the 800 × 400 original, shown at most 220 px wide.
  await waitFor('the preview to load', async () => ((await preview.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) === 320 ? true : undefined));
  expect(await preview.evaluate((img) => [(img as unknown as { width: number }).width, (img as unknown as { height: number }).height])).toEqual([220, 110]);
  const conversationId = await newestConversation();
  const sent = await new SqlMessageLog(node.database).read(conversationId, 0, { limit: 10, publicOnly: true, through: 100 });
  expect(sent.map((m) => m.file)).toEqual([expect.objectContaining({ name: '破损的包裹.png', preview: { width: 320, height: 160 } })]);

  // An image the server cannot read (a PNG signature, then noise) has no preview: it is a card to download.
  await page.locator('#kefu-widget input[type=file]').setInputFiles({ name: 'noise.png', mimeType: 'image/png', buffer: NOT_REALLY_PNG });
  await page.locator('#kefu-widget .msg.mine .bubble.file a.doc', { hasText: 'noise.png' }).waitFor();
  expect(await page.locator('#kefu-widget .msg.mine .bubble.file img').count()).toBe(1);

  // The agent answers with a PDF (uploaded over HTTP in files.test.ts; stored directly here).
  await node.actors.send('conversation', conversationId, { type: 'accept', agentId: 'zhang-san' });
  const pdf = await new FileStore(() => node.database.orm.em.fork()).save(
    { tenantId: DEFAULT_TENANT_ID, conversationId, uploadedBy: 'account:zhang-san', name: '退货单.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.7\n%%EOF\n'), preview: null },
    new Date(),
  );
  const r = await node.actors.send('conversation', conversationId, { type: 'post-message', from: { kind: 'agent', agentId: 'zhang-san' }, clientMsgId: 'pdf-1', text: '请填写这张退货单', file: pdf });
  expect(r.ok).toBe(true);
  const card = page.locator('#kefu-widget .msg.theirs .bubble.file a.doc');
  await card.waitFor();
  expect(await card.textContent()).toContain('退货单.pdf');
  expect(await page.locator('#kefu-widget .msg.theirs .caption').textContent()).toBe('请填写这张退货单');
  await page.screenshot({ path: join(SCREENSHOTS, 'widget-desktop-files.png') });
  const [download] = await Promise.all([page.waitForEvent('download'), card.click()]);
  expect(download.suggestedFilename()).toBe('退货单.pdf');

  // A file the server refuses says why, and nothing is sent.
  await page.locator('#kefu-widget input[type=file]').setInputFiles({ name: 'cat.png', mimeType: 'image/png', buffer: Buffer.from('<html>not a picture</html>') });
  await page.locator('#kefu-widget .msg.note', { hasText: '不支持发送此类文件' }).waitFor();
  expect(await page.locator('#kefu-widget .msg.mine').count()).toBe(2);
  expect(problems).toEqual([]);
  await context.close();
});

test('an agent’s invitation rises above the launcher; accepting opens the chat with that agent (phone, zh-CN)', async () => {
  await readyAgent('wang-fang', '王芳');
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${node.url}/test/widget`);
  await page.locator('#kefu-widget .launcher').waitFor();
  // The agents' side finds the visitor online (every gateway is asked) and invites them.
  const online = await waitFor('the visitor to be online', async () => {
    const all = await onlineVisitors(node.broker, DEFAULT_TENANT_ID);
    return all.find((v) => v.page?.url.includes('/test/widget') && v.conversationId === null && v.device?.includes('Chrome'));
  });
  expect(await inviteVisitor(node.broker, DEFAULT_TENANT_ID, online.visitorId, { agent: { id: 'wang-fang', name: '王芳' }, text: '您好，需要帮您挑选吗？' })).toBeGreaterThan(0);
  const card = page.locator('#kefu-widget .invite');
  await card.waitFor();
  expect(await card.textContent()).toContain('王芳 邀请您咨询');
  expect(await card.textContent()).toContain('您好，需要帮您挑选吗？');
  await page.screenshot({ path: join(SCREENSHOTS, 'widget-phone-invitation.png') });
  await card.locator('button.primary').click();
  await page.locator('#kefu-widget .subtitle', { hasText: '王芳' }).waitFor();
  expect(await card.count()).toBe(0);
  expect(problems).toEqual([]);
  await context.close();
});
