/**
 * The desk's tools, in a real Chromium on an embedded node.
 * - Quick replies: an admin shares one with the whole company from the admin console, an agent adds
 *   their own on My profile, and in a chat the agent types `/` to pick one (filtered as they type,
 *   chosen with the keyboard), which reaches the visitor as written; Esc puts the picker aside so a
 *   plain `/` can be sent.
 * - Blocking: the agent blocks an abusive visitor; the visitor's widget closes for good, also after
 *   a reload, and the conversation ends.
 * - Contacts: the agent makes a contact of a visitor and writes a note on it; a second visitor (the
 *   same customer on another device) is found and bound to it.
 * - Tags: the agent tags a conversation, history finds it by a tag, and exports it as an Excel workbook.
 * Screenshots of each.
 */
import { jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { strFromU8, unzipSync } from 'fflate';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DEFAULT_CHANNEL_KEY } from '../actors/directory/channel.repository.ts';
import { type KefuNode } from '../cluster/node.ts';
import { type ApiClient, expectStatus } from '../tests/api-client.ts';
import { launchChromium, picturedOnFailure, screenshot, signIn, watchProblems } from '../tests/browser.ts';
import { firstAdmin, startEmbeddedNode } from '../tests/embedded.ts';
import { waitFor } from '../tests/support.ts';
import { VisitorClient } from '../tests/visitor-client.ts';

jest.setTimeout(90_000);

const PASSWORD = 'correct horse battery staple';
const SHARED = '我们的服务时间是每天 9:00–18:00。';
const MINE = 'Refunds reach your card in 3 working days. <b>Not bold</b>';
let stopNode: (() => Promise<void>) | undefined;
let node: KefuNode;
let browser: Browser;
let rootName: string;
let visitor: VisitorClient | undefined;
let admin: ApiClient;

beforeAll(async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  ({ node, stop: stopNode } = await startEmbeddedNode('quick-replies-page'));
  browser = await launchChromium();
  admin = await firstAdmin(node, { email: 'boss@replies.example', displayName: 'Boss', password: PASSWORD });
  const roles = expectStatus(await admin.get('/api/v1/roles'), 200) as { id: string; name: string }[];
  const agentRole = roles.find((r) => r.name.startsWith('Agent'))!.id;
  expectStatus(await admin.post('/api/v1/accounts', { email: 'li@replies.example', displayName: '李娜', password: PASSWORD, departmentId: 'default', roleIds: [agentRole], skillGroupIds: ['default'], maxConversations: 5 }), 201);
  rootName = (expectStatus(await admin.get('/api/v1/departments'), 200) as { id: string; name: string }[]).find((d) => d.id === 'root')!.name;
});
afterAll(async () => {
  visitor?.close();
  await browser?.close();
  await stopNode?.();
  jest.restoreAllMocks();
});

/** Li signed in on the desk, ready for conversations (the desk sets her ready when it opens). */
async function readyDesk(): Promise<{ context: BrowserContext; li: Page; problems: string[] }> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
  const li = await context.newPage();
  const problems = watchProblems(li);
  await signIn(li, node.url, 'li@replies.example', PASSWORD);
  await li.getByTestId('desk').waitFor();
  await waitFor('the desk to show the agent ready', async () => ((await li.getByRole('radio', { name: 'Ready' }).isChecked()) ? true : undefined));
  return { context, li, problems };
}

async function newReply(page: Page, fields: { department?: string; shortcut: string; content: string }): Promise<void> {
  await page.getByRole('button', { name: 'New quick reply' }).click();
  const dialog = page.getByRole('dialog');
  if (fields.department) {
    await dialog.getByLabel('Shared with', { exact: true }).click();
    const menu = page.locator('.ant-select-dropdown:visible');
    await menu.getByText(fields.department, { exact: true }).click();
    await waitFor('the menu to close', async () => ((await menu.count()) === 0 ? true : undefined));
  }
  await dialog.getByLabel('Shortcut', { exact: true }).fill(fields.shortcut);
  await dialog.getByLabel('Text', { exact: true }).fill(fields.content);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
}

test('an admin shares a reply, an agent adds their own, and picks each with / in a chat', async () => {
  await picturedOnFailure(browser, 'quick-replies', async () => {
    // The admin shares a reply with everyone (the root department).
    const bossContext = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
    const boss = await bossContext.newPage();
    const bossProblems = watchProblems(boss);
    await signIn(boss, node.url, 'boss@replies.example', PASSWORD);
    await boss.getByRole('menuitem', { name: 'Administration' }).click();
    await boss.getByRole('tab', { name: 'Quick replies' }).click();
    await newReply(boss, { department: rootName, shortcut: 'Hours', content: SHARED });
    await boss.locator('.kefu-shortcut', { hasText: '/hours' }).waitFor(); // stored lowercase
    await boss.getByText(SHARED).waitFor();
    await boss.mouse.move(0, 0);
    await boss.screenshot({ path: screenshot('admin-quick-replies.png') });
    expect(bossProblems).toEqual([]);
    await bossContext.close();

    // The agent adds one of their own on their profile, then opens the desk.
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
    const li = await context.newPage();
    const problems = watchProblems(li);
    await signIn(li, node.url, 'li@replies.example', PASSWORD);
    await li.getByTestId('desk').waitFor();
    await li.getByRole('menuitem', { name: 'My profile' }).click();
    await newReply(li, { shortcut: 'refund', content: MINE });
    await li.locator('#quick-replies .kefu-shortcut', { hasText: '/refund' }).waitFor();
    expect(await li.locator('#quick-replies').getByText(SHARED).count()).toBe(0); // one's own only here
    await li.mouse.move(0, 0);
    await li.screenshot({ path: screenshot('profile-quick-replies.png'), fullPage: true });
    await li.getByRole('menuitem', { name: 'Desk' }).click();
    await waitFor('the desk to show the agent ready', async () => ((await li.getByRole('radio', { name: 'Ready' }).isChecked()) ? true : undefined));

    // A visitor writes; the agent accepts.
    visitor = await VisitorClient.connect(`ws://127.0.0.1:${node.port}/ws/visitor/${DEFAULT_CHANNEL_KEY}`);
    await visitor.hello();
    visitor.send({ type: 'start' });
    visitor.send({ type: 'message', clientMsgId: 'q1', text: '退款多久到账？什么时候上班？' });
    await li.getByRole('button', { name: 'Accept' }).click();
    await li.getByRole('button', { name: 'Transfer' }).waitFor();

    // `/` offers both, one's own first; typing narrows; Enter inserts and a second Enter sends.
    const composer = li.getByLabel('Message', { exact: true });
    await composer.click();
    await composer.pressSequentially('/');
    const picker = li.getByRole('listbox', { name: 'Quick replies' });
    await picker.waitFor();
    expect(await picker.getByRole('option').allTextContents()).toEqual([`/refund${MINE}`, `/hours${SHARED}${rootName}`]);
    await li.screenshot({ path: screenshot('desk-quick-replies.png') });
    await composer.pressSequentially('ho');
    await waitFor('the picker to narrow', async () => ((await picker.getByRole('option').count()) === 1 ? true : undefined));
    await composer.press('Enter');
    await picker.waitFor({ state: 'detached' });
    expect(await composer.inputValue()).toBe(SHARED);
    await composer.press('Enter');
    await visitor.next('message', (m) => m.text === SHARED);

    // After other words, with the ⚡ button and Tab; then a `/` put aside with Esc is sent as it is.
    await composer.pressSequentially('您好！');
    await li.getByRole('button', { name: 'Quick replies (type /)' }).click();
    await picker.waitFor();
    await composer.pressSequentially('ref');
    await composer.press('Tab');
    expect(await composer.inputValue()).toBe(`您好！ ${MINE}`);
    await composer.pressSequentially(' /');
    await picker.waitFor();
    await composer.press('Escape');
    await picker.waitFor({ state: 'detached' });
    await composer.press('Enter');
    await visitor.next('message', (m) => m.text === `您好！ ${MINE} /`);
    await li.locator('.kefu-bubble-text', { hasText: 'Not bold' }).waitFor();
    expect(await li.locator('.kefu-bubble-text b').count()).toBe(0); // shown as text
    expect(problems).toEqual([]);
    await context.close();
  });
});

test('the agent blocks an abusive visitor: their widget closes for good, also after a reload, and the conversation ends', async () => {
  await picturedOnFailure(browser, 'block-visitor', async () => {
    const { context, li, problems } = await readyDesk();

    const shopperContext = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
    const shopper = await shopperContext.newPage();
    await shopper.goto(`${node.url}/test/widget`);
    await shopper.locator('#kefu-widget .launcher').click();
    const input = shopper.locator('#kefu-widget textarea[aria-label]').last();
    await input.fill('Buy cheap followers at spam.example');
    await input.press('Enter');

    const row = li.locator('.kefu-conv', { hasText: 'Buy cheap followers' });
    await row.click();
    await li.getByRole('button', { name: 'Accept' }).click();
    await li.getByRole('button', { name: 'Block visitor' }).click();
    const dialog = li.getByRole('dialog');
    await dialog.getByText('7 d', { exact: true }).click();
    await dialog.getByLabel('Reason', { exact: true }).fill('Spam links');
    await li.screenshot({ path: screenshot('desk-block-visitor.png') });
    await dialog.getByRole('button', { name: 'Block visitor' }).click();

    await li.locator('.kefu-chat-header').getByText('Blocked', { exact: true }).waitFor();
    await li.locator('.kefu-chat-header').getByText('Closed', { exact: true }).waitFor();
    await shopper.locator('#kefu-widget').getByText('Chat is not available right now.').first().waitFor();
    expect(await input.isDisabled()).toBe(true);
    const bans = expectStatus(await admin.get('/api/v1/blacklist'), 200) as { reason: string; expiresAt: string | null }[];
    expect(bans).toEqual([expect.objectContaining({ reason: 'Spam links', expiresAt: expect.any(String) })]);

    // A reload does not lift it: the widget keeps its token, and the gateway refuses it.
    await shopper.reload(); // the chat reopens by itself after a reload
    await shopper.locator('#kefu-widget').getByText('Chat is not available right now.').first().waitFor();
    await shopper.screenshot({ path: screenshot('widget-blocked.png') });
    expect(problems).toEqual([]);
    await shopperContext.close();
    await context.close();
  });
});

test('the agent makes a contact of a visitor, notes something on it, and binds the same customer’s second device to it', async () => {
  await picturedOnFailure(browser, 'contacts', async () => {
    const { context, li, problems } = await readyDesk();

    const devices: VisitorClient[] = [];
    const arrives = async (text: string) => {
      const device = await VisitorClient.connect(`ws://127.0.0.1:${node.port}/ws/visitor/${DEFAULT_CHANNEL_KEY}`);
      devices.push(device);
      await device.hello();
      device.send({ type: 'start' });
      device.send({ type: 'message', clientMsgId: 'c1', text });
      await li.locator('.kefu-conv', { hasText: text }).click();
      await li.getByRole('button', { name: 'Accept' }).click();
      await li.getByRole('button', { name: 'Transfer' }).waitFor();
    };
    try {
      await arrives('My phone: where is my order?');
      const card = li.getByTestId('contact-card');
      await card.getByRole('button', { name: 'New contact' }).click();
      const dialog = li.getByRole('dialog');
      await dialog.getByLabel('Name', { exact: true }).fill('王小明');
      await dialog.getByLabel('Email', { exact: true }).fill('wang@shop.example');
      await dialog.getByLabel('Phone', { exact: true }).fill('+86 138 0000 0000');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      await card.getByText('wang@shop.example').waitFor();
      await card.getByRole('button', { name: 'Edit the notes' }).click();
      const notes = card.locator('textarea');
      await notes.fill('VIP — prefers phone calls <b>not bold</b>');
      await notes.press('Enter');
      await card.getByText('VIP — prefers phone calls <b>not bold</b>').waitFor();
      await li.screenshot({ path: screenshot('desk-contact.png') });

      await arrives('My laptop now, same order');
      await card.getByText('Not bound to a contact.').or(card.getByLabel('Find a contact to bind…')).first().waitFor();
      await card.getByLabel('Find a contact to bind…').click();
      await card.getByLabel('Find a contact to bind…').fill('小明');
      await li.locator('.ant-select-dropdown:visible').getByText('王小明 · wang@shop.example · +86 138 0000 0000').click();
      await card.getByText('VIP — prefers phone calls <b>not bold</b>').waitFor();

      const contacts = expectStatus(await admin.get('/api/v1/contacts?q=wang'), 200) as { name: string; notes: string; visitors: number }[];
      expect(contacts).toEqual([expect.objectContaining({ name: '王小明', notes: 'VIP — prefers phone calls <b>not bold</b>', visitors: 2 })]);
      expect(await card.locator('b').count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      for (const d of devices) d.close();
      await context.close();
    }
  });
});

test('the agent tags a conversation; history lists it with its tags and finds it by one', async () => {
  await picturedOnFailure(browser, 'tags', async () => {
    const { context, li, problems } = await readyDesk();
    const device = await VisitorClient.connect(`ws://127.0.0.1:${node.port}/ws/visitor/${DEFAULT_CHANNEL_KEY}`);
    try {
      await device.hello();
      device.send({ type: 'start' });
      device.send({ type: 'message', clientMsgId: 't1', text: 'The parcel arrived broken' });
      await li.locator('.kefu-conv', { hasText: 'The parcel arrived broken' }).click();
      await li.getByRole('button', { name: 'Accept' }).click();
      const tags = li.getByTestId('visitor-pane').getByLabel('Tags', { exact: true });
      await tags.click();
      for (const tag of ['Damaged', '售后']) {
        await tags.pressSequentially(tag);
        await tags.press('Enter');
      }
      await tags.press('Escape');
      const pane = li.getByTestId('visitor-pane');
      await waitFor('both tags on the conversation', async () => ((await pane.locator('.ant-select-selection-item').allTextContents()).join('|') === 'Damaged|售后' ? true : undefined));

      await li.getByRole('menuitem', { name: 'History' }).click();
      await li.getByLabel('Tag', { exact: true }).fill('damaged');
      await li.getByLabel('Tag', { exact: true }).press('Enter');
      const row = li.locator('.kefu-history-row', { hasText: 'Damaged' });
      await waitFor('the tagged conversation in history', async () => {
        // The filtered list, not the unfiltered one that shows first (which holds it too).
        if ((await row.count()) === 1 && (await li.locator('.kefu-history-row').count()) === 1) return true;
        await li.getByLabel('Tag', { exact: true }).press('Enter'); // the record folds in a moment after the tag
        return undefined;
      });
      expect(await li.locator('.kefu-history-row').count()).toBe(1);
      await row.getByText('售后', { exact: true }).waitFor();
      await li.screenshot({ path: screenshot('history-tags.png') });

      // What is listed downloads as an Excel workbook: the header, then the row with its tags.
      const [download] = await Promise.all([li.waitForEvent('download'), li.getByRole('button', { name: 'Export Excel' }).click()]);
      expect(download.suggestedFilename()).toMatch(/^kefu-history-\d{4}-\d{2}-\d{2}\.xlsx$/);
      const saved = screenshot('history-export.xlsx');
      await download.saveAs(saved);
      const sheet = strFromU8(unzipSync(new Uint8Array(readFileSync(saved)))['xl/worksheets/sheet1.xml']!);
      expect(sheet).toContain('<t xml:space="preserve">tags</t>');
      expect(sheet).toContain('<t xml:space="preserve">Damaged; 售后</t>');
      expect(sheet.match(/<row /g)).toHaveLength(2);
      expect(problems).toEqual([]);
    } finally {
      device.close();
      await context.close();
    }
  });
});
