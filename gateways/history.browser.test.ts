/**
 * History beyond one page, in a real Chromium on an embedded node: 230 conversations on record, the
 * list shows the newest 200 and offers the older ones; "Load older" brings the remaining 30 after
 * them, each conversation once, newest first, and then offers nothing more.
 */
import { jest } from '@jest/globals';
import { type Browser } from 'playwright-core';
import { ConversationRecords } from '../actors/conversation/conversation-record.repository.ts';
import { DEFAULT_TENANT_ID } from '../actors/directory/channel.repository.ts';
import { type KefuNode } from '../cluster/node.ts';
import { launchChromium, screenshot, signIn, watchProblems } from '../tests/browser.ts';
import { startEmbeddedNode } from '../tests/embedded.ts';
import { ApiClient, expectStatus } from '../tests/api-client.ts';

jest.setTimeout(90_000);

const PASSWORD = 'correct horse battery staple';
/** HISTORY_PAGE of web/app/src/history/History.tsx: conversations per page. */
const HISTORY_PAGE = 200;
const COUNT = HISTORY_PAGE + 30;
let stopNode: (() => Promise<void>) | undefined;
let node: KefuNode;
let browser: Browser;

beforeAll(async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  ({ node, stop: stopNode } = await startEmbeddedNode('history-page'));
  browser = await launchChromium();
  if (node.setup.status !== 'issued') throw new Error('expected a setup token');
  expectStatus(await new ApiClient(node.url).post('/api/v1/setup', { token: node.setup.token, email: 'boss@history.example', displayName: 'Boss', password: PASSWORD }), 201);
  // The records as the conversations' lifecycle events leave them (one a minute, the newest last).
  const t0 = Date.parse('2026-11-01T08:00:00Z');
  await new ConversationRecords(node.database).apply(
    Array.from({ length: COUNT }, (_, i) => ({
      name: 'conversation.created' as const,
      conversationId: `c-${String(i).padStart(3, '0')}`,
      tenantId: DEFAULT_TENANT_ID,
      at: t0 + i * 60_000,
      channelId: 'web',
      visitor: { visitorId: `v-${i}`, displayName: `访客 ${String(i).padStart(3, '0')}`, identified: false, vip: false, lastAgentId: null },
      skillGroupId: 'default',
    })),
  );
});
afterAll(async () => {
  await browser?.close();
  await stopNode?.();
  jest.restoreAllMocks();
});

test('history pages past the first 200 conversations: newest first, each once, then no more to load', async () => {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const problems = watchProblems(page);
  await signIn(page, node.url, 'boss@history.example', PASSWORD);
  await page.getByRole('menuitem', { name: 'History' }).click();
  await page.getByTestId('history').waitFor();

  // The first page: the newest 200, fifty to a table page; older ones on offer.
  await page.getByText('访客 229', { exact: true }).waitFor();
  const more = page.getByRole('button', { name: `Load older (${HISTORY_PAGE} listed)` });
  await more.waitFor();
  await page.screenshot({ path: screenshot('history-list.png'), fullPage: true });
  await more.click();
  await more.waitFor({ state: 'detached' });

  // All 230 listed: the last table page holds the oldest, in order, and the offer is gone.
  const pages = page.locator('.ant-pagination-item');
  await expect(pages.last().textContent()).resolves.toBe(String(Math.ceil(COUNT / 50)));
  await pages.last().click();
  const names = await page.locator('.kefu-history-row td:nth-child(2)').allTextContents();
  expect(names).toEqual(Array.from({ length: COUNT % 50 }, (_, i) => `访客 ${String(COUNT % 50 - 1 - i).padStart(3, '0')}`));
  expect(await page.getByRole('button', { name: /Load older/ }).count()).toBe(0);
  expect(problems).toEqual([]);
  await context.close();
});
