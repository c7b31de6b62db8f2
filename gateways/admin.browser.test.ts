/**
 * The admin console in a real Chromium, on an embedded node — the start of a new team's day:
 * the first admin builds the org tree (a department and a skill group in it, with a welcome
 * message and working hours set on the group), makes an agent
 * account serving that group, and a widget channel routed to it; a visitor on that channel's
 * preview page reaches the new agent's desk. The audit log shows what was done. The console is
 * a chunk of its own, fetched only when opened. Screenshots of each tab in artifacts/screenshots/.
 */
import { jest } from '@jest/globals';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { type KefuNode } from '../cluster/node.ts';
import { ApiClient, expectStatus } from '../tests/api-client.ts';
import { waitFor } from '../tests/support.ts';
import { chooseOption, launchChromium, openAdminTab, picturedOnFailure, screenshot, signIn, watchProblems } from '../tests/browser.ts';
import { startEmbeddedNode } from '../tests/embedded.ts';

jest.setTimeout(120_000);

const PASSWORD = 'admin browser secret';
let stopNode: (() => Promise<void>) | undefined;
let node: KefuNode;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  ({ node, stop: stopNode } = await startEmbeddedNode('admin-page'));
  browser = await launchChromium();
  if (node.setup.status !== 'issued') throw new Error('expected a setup token');
  expectStatus(await new ApiClient(node.url).post('/api/v1/setup', { token: node.setup.token, email: 'boss@admin.example', displayName: 'Boss', password: PASSWORD }), 201);
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stopNode?.();
  jest.restoreAllMocks();
});

async function newPage(locale = 'en-US'): Promise<{ page: Page; problems: string[]; scripts: string[] }> {
  const context = await browser.newContext({ locale, viewport: { width: 1440, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  const problems = watchProblems(page);
  const scripts: string[] = [];
  page.on('request', (r) => (r.resourceType() === 'script' ? scripts.push(new URL(r.url()).pathname) : undefined));
  return { page, problems, scripts };
}

const signInAs = (page: Page, email: string): Promise<void> => signIn(page, node.url, email, PASSWORD);

test('the first admin builds the org tree, an agent and a channel; a visitor on the channel reaches the new agent', async () => {
  await picturedOnFailure(browser, 'admin', async () => {
    const { page: boss, problems, scripts } = await newPage();
    await signInAs(boss, 'boss@admin.example');
    expect(scripts.some((s) => s.includes('/Admin-'))).toBe(false); // not fetched until opened
    await boss.getByRole('menuitem', { name: 'Administration' }).click();
    await boss.getByTestId('admin').waitFor();
    expect(scripts.some((s) => s.includes('/Admin-'))).toBe(true);

    // The org tree: a department below the root, a skill group below it.
    const tree = boss.locator('.ant-tree');
    await tree.getByText('Kefu', { exact: true }).click(); // the tenant's root department
    await boss.getByRole('button', { name: 'Add department' }).click();
    await boss.getByRole('dialog').getByLabel('Name of the new one').fill('销售部 Sales');
    await boss.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await tree.getByText('销售部 Sales').waitFor();
    await boss.getByRole('button', { name: 'Add skill group' }).click(); // the new department is selected
    await boss.getByRole('dialog').getByLabel('Name of the new one').fill('华东 East');
    await boss.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await tree.getByText('华东 East').waitFor();

    // The new skill group's settings: inherited until set here; a welcome message and working hours set here.
    const settings = boss.getByTestId('department-settings');
    await settings.getByLabel('Welcome message').waitFor();
    await settings.getByLabel('Welcome message').fill('您好，华东客服为您服务');
    await settings.getByLabel('Open at set hours').click();
    await settings.getByLabel('Sat', { exact: true }).fill('10:00-16:00');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.getByText('set here ·').first().waitFor();
    await boss.screenshot({ path: screenshot('admin-org-tree.png'), fullPage: true });

    const admin = await new ApiClient(node.url).login('boss@admin.example', PASSWORD);
    const east = (expectStatus(await admin.get('/api/v1/departments'), 200) as { id: string; name: string }[]).find((d) => d.name === '华东 East')!;
    const inForce = expectStatus(await admin.get(`/api/v1/departments/${east.id}/settings`), 200) as { settings: { welcomeMessage: string; workingHours: { weekly: Record<string, string> } | null }; from: Record<string, string | null> };
    expect(inForce.settings.welcomeMessage).toBe('您好，华东客服为您服务');
    expect(inForce.settings.workingHours?.weekly).toMatchObject({ mon: '09:00-18:00', sat: '10:00-16:00' });
    expect(inForce.from).toMatchObject({ welcomeMessage: east.id, workingHours: east.id });
    expect(inForce.from.routingPolicy).not.toBe(east.id); // untouched: still inherited

    // An agent serving the new group.
    await openAdminTab(boss, 'Accounts');
    await boss.getByRole('button', { name: 'New account' }).click();
    const form = boss.getByRole('dialog');
    await form.getByLabel('Name').fill('王芳');
    await form.getByLabel('Email').fill('wang.fang@admin.example');
    await form.getByLabel('Password').fill(PASSWORD);
    await chooseOption(boss, form, 'Department', '华东 East');
    await chooseOption(boss, form, 'Roles', 'Agent · 坐席');
    await chooseOption(boss, form, 'Serves skill groups', '华东 East');
    await form.getByRole('button', { name: 'Save' }).click();
    await boss.locator('tr', { hasText: 'wang.fang@admin.example' }).waitFor();
    await boss.screenshot({ path: screenshot('admin-accounts.png') });

    // A channel routed to it, with its one-line snippet.
    await openAdminTab(boss, 'Channels');
    await boss.getByRole('button', { name: 'New channel' }).click();
    await boss.getByRole('dialog').getByLabel('Channel name').fill('华东商城 Shop');
    await chooseOption(boss, boss.getByRole('dialog'), 'Skill group', '华东 East');
    await boss.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    const card = boss.locator('[data-channel-key]', { hasText: '华东商城 Shop' });
    await card.waitFor();
    const key = (await card.getAttribute('data-channel-key'))!;
    expect(await card.locator('.kefu-snippet').textContent()).toContain(`<script src="${node.url}/widget.js" data-channel="${key}" async></script>`);
    await boss.screenshot({ path: screenshot('admin-channels.png') });

    await openAdminTab(boss, 'Roles');
    await boss.getByText('monitoring.intervene').first().waitFor();
    // A role of the tenant's own, from the permission catalogue.
    await boss.getByRole('button', { name: 'New role' }).click();
    const roleForm = boss.getByRole('dialog');
    await roleForm.getByLabel('Role name').fill('QA 质检');
    await roleForm.getByText('Read the audit log').click();
    await roleForm.getByText('See conversations and their messages').click();
    await roleForm.getByRole('button', { name: 'Save' }).click();
    const qa = boss.locator('tr', { hasText: 'QA 质检' });
    await qa.getByText('audit.read').waitFor();
    expect((await qa.locator('.ant-tag').allTextContents()).sort()).toEqual(['audit.read', 'conversations.read']);
    await boss.screenshot({ path: screenshot('admin-roles.png') });
    await openAdminTab(boss, 'Audit log');
    await boss.locator('tr', { hasText: 'account.create' }).first().waitFor();
    await boss.screenshot({ path: screenshot('admin-audit.png') });

    // The new agent opens the desk; a visitor on the channel's preview page reaches them.
    const { page: wang, problems: wangProblems } = await newPage();
    await signInAs(wang, 'wang.fang@admin.example');
    await wang.getByText('No conversations yet').waitFor();
    const { page: visitor } = await newPage('zh-CN');
    await visitor.goto(`${node.url}/test/widget?channel=${encodeURIComponent(key)}`);
    await visitor.locator('#kefu-widget .launcher').click();
    const input = visitor.locator('#kefu-widget textarea[aria-label]').last();
    await input.fill('你好，想咨询华东的发货时间');
    await input.press('Enter');
    await wang.locator('.kefu-bubble-text', { hasText: '华东的发货时间' }).waitFor();
    await wang.getByRole('button', { name: 'Accept' }).waitFor();

    expect([...problems, ...wangProblems]).toEqual([]);
  });
});

test('an admin changes how a channel’s widget looks and what it asks first: the preview follows each change, and the widget shows it', async () => {
  await picturedOnFailure(browser, 'admin-channel-editor', async () => {
    const admin = await new ApiClient(node.url).login('boss@admin.example', PASSWORD);
    const channel = expectStatus(await admin.post('/api/v1/channels', { name: 'Outlet 奥莱', skillGroupId: 'default' }), 201) as { id: string; key: string };
    const { page, problems } = await newPage();
    await signInAs(page, 'boss@admin.example');
    await page.getByRole('menuitem', { name: 'Administration' }).click();
    await openAdminTab(page, 'Channels');
    await page.locator(`[data-channel-key="${channel.key}"]`).getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog');
    const preview = dialog.getByTestId('widget-preview');
    await preview.getByText('Outlet 奥莱').waitFor();

    await dialog.getByText('Left', { exact: true }).click();
    await dialog.getByLabel('Greeting', { exact: true }).fill('您好！Outlet orders ship in 24 h. <b>not bold</b>');
    await dialog.getByRole('button', { name: 'Add a question' }).click();
    await dialog.getByLabel('Question 1', { exact: true }).fill('Order number 订单号');
    await dialog.getByLabel('Field name 1', { exact: true }).fill('order');
    await dialog.getByText('Required', { exact: true }).click();
    await dialog.locator('.ant-color-picker-trigger').click();
    const hex = page.locator('.ant-color-picker-hex-input input');
    await hex.fill('13a8a8');
    await hex.press('Enter');
    await dialog.locator('.ant-modal-title').click(); // the colour panel closes
    await waitFor('the colour panel to close', async () => ((await page.locator('.ant-color-picker:visible').count()) === 0 ? true : undefined));
    // The preview follows before anything is saved.
    await preview.getByText('您好！Outlet orders ship in 24 h. <b>not bold</b>').waitFor();
    await preview.getByText('Order number 订单号').waitFor();
    expect(await preview.getAttribute('class')).toContain('kefu-widget-preview-left');
    expect(await preview.getAttribute('style')).toContain('--c: #13a8a8');
    await page.screenshot({ path: screenshot('admin-channel-editor.png') });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });

    expect((expectStatus(await admin.get(`/api/v1/channels/${channel.id}`), 200) as { appearance: object }).appearance).toEqual({
      color: '#13a8a8',
      position: 'left',
      greeting: '您好！Outlet orders ship in 24 h. <b>not bold</b>',
      preChatFields: [{ name: 'order', label: 'Order number 订单号', required: true }],
    });
    // The widget itself: on the left, the greeting as text, the question asked first.
    const visitor = await newPage();
    await visitor.page.goto(`${node.url}/test/widget?channel=${encodeURIComponent(channel.key)}`);
    await visitor.page.locator('#kefu-widget .launcher').click();
    await visitor.page.locator('#kefu-widget').getByText('Order number 订单号').first().waitFor();
    expect(await visitor.page.locator('#kefu-widget .root').evaluate((el) => el.classList.contains('left'))).toBe(true);
    expect(await visitor.page.locator('#kefu-widget b').count()).toBe(0);
    expect([...problems, ...visitor.problems]).toEqual([]);
  });
});
