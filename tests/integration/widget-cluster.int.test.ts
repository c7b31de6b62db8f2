/**
 * The whole path in cluster mode, as users meet it: `npm run cluster:local` (a gateway and two
 * actor nodes as processes, over the real MariaDB, NATS, Redis); an admin creates an agent through
 * the REST API; the agent works through the agent protocol; a visitor opens the test page in
 * Chromium and chats through the widget. Screenshot in artifacts/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../browser.ts';
import { AgentClient } from '../agent-client.ts';
import { ApiClient, expectStatus } from '../api-client.ts';
import { launchCluster, setupToken, type ClusterRun } from '../cluster-run.ts';

const SCREENSHOTS = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));
const PASSWORD = 'cluster widget secret';
let cluster: ClusterRun | undefined;
let browser: Browser | undefined;
let agent: AgentClient | undefined;

afterAll(async () => {
  agent?.close();
  await browser?.close();
  await cluster?.stop();
});

async function send(page: Page, text: string): Promise<void> {
  const input = page.locator('#kefu-widget textarea[aria-label]').last();
  await input.fill(text);
  await input.press('Enter');
}

test('a visitor on the test page chats with an agent through both protocols, in cluster mode', async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  cluster = await launchCluster({ nodes: 2, gateways: 1, prefix: 'kefu-widget' });
  const { port } = cluster;
  const base = `http://127.0.0.1:${port}`;
  const token = await setupToken(cluster);
  expectStatus(await new ApiClient(base).post('/api/v1/setup', { token, email: 'boss@example.com', displayName: 'Boss', password: PASSWORD }), 201);
  const admin = await new ApiClient(base).login('boss@example.com', PASSWORD);
  const roles = expectStatus(await admin.get('/api/v1/roles'), 200) as { id: string; name: string }[];
  expectStatus(
    await admin.post('/api/v1/accounts', { email: 'li.na@example.com', displayName: '李娜', password: PASSWORD, departmentId: 'default', roleIds: [roles.find((r) => r.name.startsWith('Agent'))!.id], skillGroupIds: ['default'] }),
    201,
  );
  const li = await new ApiClient(base).login('li.na@example.com', PASSWORD);
  agent = await AgentClient.connect(`ws://127.0.0.1:${port}/ws/agent`, { cookie: li.cookie });
  await agent.hello({ status: 'ready' });

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${base}/test/widget`);
  await page.locator('#kefu-widget .launcher').click();
  await send(page, '你好，集群模式下能聊天吗？');
  await page.locator('#kefu-widget .msg.mine .meta', { hasText: '已发送' }).waitFor({ timeout: 30_000 });

  const assigned = await agent.next('conversation', (c) => c.status === 'assigned', { ms: 30_000 });
  agent.send({ type: 'accept', conversationId: assigned.conversationId });
  // The visitor wrote before an agent was there: the agent reads it from the conversation's history.
  agent.send({ type: 'history', conversationId: assigned.conversationId });
  expect(await agent.next('message', (m) => m.seq === 1)).toMatchObject({ from: { kind: 'visitor' }, text: '你好，集群模式下能聊天吗？' });
  expect(await agent.next('history')).toEqual({ type: 'history', conversationId: assigned.conversationId, lastSeq: 1 });
  agent.send({ type: 'message', conversationId: assigned.conversationId, clientMsgId: 'a1', text: '可以的，您好！' });
  await agent.next('ack', (a) => a.clientMsgId === 'a1');
  await page.locator('#kefu-widget .msg.theirs .bubble', { hasText: '可以的，您好！' }).waitFor({ timeout: 20_000 });
  expect(await page.locator('#kefu-widget .msg.theirs .meta').first().textContent()).toContain('李娜');
  await page.screenshot({ path: join(SCREENSHOTS, 'widget-cluster.png') });
  expect(problems).toEqual([]);
}, 240_000);
