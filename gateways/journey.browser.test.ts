/**
 * The new-user journey, end to end in a real Chromium on a fresh embedded Kefu, every step through
 * the UI a person would use: the first start's setup token creates the first admin on /setup; the
 * admin builds a department with a skill group, two agents, a supervisor and a widget channel in
 * the admin console; a visitor on the channel's test page writes; the first agent gets the
 * conversation, chats and transfers it to the second, who closes it with a service summary; the
 * visitor rates it; the supervisor saw it live on the monitor; history search finds it.
 */
import { jest } from '@jest/globals';
import { type Browser, type Page } from 'playwright-core';
import { type KefuNode } from '../cluster/node.ts';
import { chooseOption, launchChromium, openAdminTab, picturedOnFailure, screenshot, signIn, watchProblems } from '../tests/browser.ts';
import { startEmbeddedNode } from '../tests/embedded.ts';
import { waitFor } from '../tests/support.ts';

jest.setTimeout(180_000);

const PASSWORD = 'correct horse battery staple';
let stopNode: (() => Promise<void>) | undefined;
let node: KefuNode;
let browser: Browser;

beforeAll(async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  ({ node, stop: stopNode } = await startEmbeddedNode('journey'));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stopNode?.();
  jest.restoreAllMocks();
});

/** What went wrong on every page opened (watchProblems), expected empty at the end. */
const problems: string[][] = [];
async function newPage(locale = 'en-US'): Promise<Page> {
  const context = await browser.newContext({ locale, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  problems.push(watchProblems(page));
  return page;
}

test('first start to history: setup, the org, a chat across two agents with a supervisor watching, a rating, and history finds it', async () => {
  await picturedOnFailure(browser, 'journey', async () => {
    // 1. The first start printed a one-time setup token; /setup makes the first admin with it.
    if (node.setup.status !== 'issued') throw new Error('expected a setup token on the first start');
    const boss = await newPage();
    await boss.goto(`${node.url}/setup`);
    await boss.fill('input[name=token]', node.setup.token);
    await boss.fill('input[name=displayName]', '张伟 Boss');
    await boss.fill('input[name=email]', 'boss@journey.example');
    await boss.fill('input[name=password]', PASSWORD);
    await boss.click('button[type=submit]');
    await boss.waitForSelector('#done:not([hidden])');

    // 2. The admin builds the org: a department, a skill group in it, two agents, a supervisor, a channel.
    await signIn(boss, node.url, 'boss@journey.example', PASSWORD);
    await boss.getByRole('menuitem', { name: 'Administration' }).click();
    const tree = boss.locator('.ant-tree');
    await tree.getByText('Kefu', { exact: true }).click();
    await boss.getByRole('button', { name: 'Add department' }).click();
    await boss.getByRole('dialog').getByLabel('Name of the new one').fill('客服中心 Service');
    await boss.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await tree.getByText('客服中心 Service').waitFor();
    await boss.getByRole('button', { name: 'Add skill group' }).click();
    await boss.getByRole('dialog').getByLabel('Name of the new one').fill('售后组 After-sales');
    await boss.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await tree.getByText('售后组 After-sales').waitFor();

    await openAdminTab(boss, 'Accounts');
    const account = async (name: string, email: string, role: string, agent: boolean) => {
      await boss.getByRole('button', { name: 'New account' }).click();
      const form = boss.getByRole('dialog');
      await form.getByLabel('Name').fill(name);
      await form.getByLabel('Email').fill(email);
      await form.getByLabel('Password').fill(PASSWORD);
      await chooseOption(boss, form, 'Department', agent ? '售后组 After-sales' : '客服中心 Service');
      await chooseOption(boss, form, 'Roles', role);
      if (agent) await chooseOption(boss, form, 'Serves skill groups', '售后组 After-sales');
      else await form.getByLabel('Takes conversations (agent)').click();
      await form.getByRole('button', { name: 'Save' }).click();
      await boss.locator('tr', { hasText: email }).waitFor();
    };
    await account('李娜', 'li.na@journey.example', 'Agent · 坐席', true);
    await account('周杰', 'zhou.jie@journey.example', 'Agent · 坐席', true);
    await account('组长 Lead', 'lead@journey.example', 'Supervisor · 质检/班长', false);

    await openAdminTab(boss, 'Channels');
    await boss.getByRole('button', { name: 'New channel' }).click();
    await boss.getByRole('dialog').getByLabel('Channel name').fill('官网 Website');
    await chooseOption(boss, boss.getByRole('dialog'), 'Skill group', '售后组 After-sales');
    await boss.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    const card = boss.locator('[data-channel-key]', { hasText: '官网 Website' });
    await card.waitFor();
    const key = (await card.getAttribute('data-channel-key'))!;

    // 3. The agents open their desks; the supervisor opens the monitor.
    const li = await newPage();
    await signIn(li, node.url, 'li.na@journey.example', PASSWORD);
    await li.getByText('No conversations yet').waitFor();
    const lead = await newPage();
    await signIn(lead, node.url, 'lead@journey.example', PASSWORD);
    await lead.getByRole('menuitem', { name: 'Monitor' }).click();
    const liOnMonitor = lead.getByTestId('monitor').locator('tr', { hasText: '李娜' });
    await liOnMonitor.waitFor();

    // 4. A visitor on the channel writes; Li gets it, accepts and answers; the supervisor sees it live.
    const visitor = await newPage('zh-CN');
    await visitor.goto(`${node.url}/test/widget?channel=${encodeURIComponent(key)}`);
    await visitor.locator('#kefu-widget .launcher').click();
    const input = visitor.locator('#kefu-widget textarea[aria-label]').last();
    await input.fill('我的耳机坏了，想换货');
    await input.press('Enter');
    await li.locator('.kefu-bubble-text', { hasText: '我的耳机坏了' }).waitFor();
    await li.getByRole('button', { name: 'Accept' }).click();
    const composer = li.getByLabel('Message', { exact: true });
    await composer.fill('您好，我是李娜，请提供订单号');
    await composer.press('Enter');
    await visitor.locator('#kefu-widget .msg.theirs .bubble', { hasText: '请提供订单号' }).waitFor();
    await liOnMonitor.getByText('1 / 5').waitFor();
    await liOnMonitor.getByRole('button', { name: /Watch/ }).click();
    await lead.locator('.kefu-bubble-text', { hasText: '请提供订单号' }).waitFor();
    await lead.getByText('You are watching this conversation.').waitFor();
    await input.fill('订单号 A-2001');
    await input.press('Enter');
    await lead.locator('.kefu-bubble-text', { hasText: '订单号 A-2001' }).waitFor(); // live, as it is said
    expect(await lead.locator('.ant-message-notice').count()).toBe(0); // watching sends nothing the gateway refuses
    await lead.screenshot({ path: screenshot('journey-supervisor-watching.png') });
    await lead.getByRole('button', { name: 'Stop' }).click();

    // 5. Li transfers it to Zhou with a note; Zhou accepts, answers and closes it with a summary.
    const zhou = await newPage();
    await signIn(zhou, node.url, 'zhou.jie@journey.example', PASSWORD);
    await zhou.getByText('No conversations yet').waitFor();
    await li.getByRole('button', { name: 'Transfer' }).click();
    const transfer = li.getByRole('dialog');
    await transfer.getByLabel('Transfer to').click();
    await li.locator('.ant-select-item-option', { hasText: '周杰' }).click();
    await transfer.getByLabel('Note for whoever takes it').fill('换货，订单 A-2001');
    await transfer.getByRole('button', { name: 'Transfer' }).click();
    await zhou.getByText('换货，订单 A-2001').waitFor();
    await zhou.getByRole('button', { name: 'Accept' }).click();
    await zhou.getByLabel('Message', { exact: true }).fill('已为您登记换货，新耳机明天发出');
    await zhou.getByLabel('Message', { exact: true }).press('Enter');
    await visitor.locator('#kefu-widget .msg.theirs .bubble', { hasText: '新耳机明天发出' }).waitFor();
    await zhou.getByRole('button', { name: 'End chat' }).click();
    await zhou.getByRole('dialog').getByLabel('Service summary').fill('耳机换货，A-2001 明日发出');
    await zhou.getByRole('dialog').getByRole('button', { name: 'End chat' }).click();
    await zhou.getByText('This conversation has ended.').waitFor();

    // 6. The visitor rates it.
    await visitor.locator('#kefu-widget form.rating').waitFor();
    await visitor.locator('#kefu-widget .stars button').nth(4).click();
    await visitor.locator('#kefu-widget form.rating button.primary').click();
    await visitor.locator('#kefu-widget .msg.note', { hasText: '感谢您的评价' }).waitFor();

    // 7. History finds it by its words, with who served it, the summary and the rating.
    await boss.getByRole('menuitem', { name: 'History' }).click();
    await boss.getByLabel('Search messages').fill('换货');
    await boss.getByLabel('Search messages').press('Enter');
    const hit = boss.locator('.kefu-history-hit', { hasText: '换货' }).first();
    await hit.waitFor();
    await hit.click();
    const drawer = boss.getByTestId('transcript-drawer');
    await drawer.getByText('耳机换货，A-2001 明日发出').waitFor();
    await drawer.getByText('周杰').first().waitFor();
    await waitFor('the rating in the record', async () => {
      if ((await drawer.locator('.ant-rate-star-full').count()) === 5) return true;
      await boss.keyboard.press('Escape');
      await boss.getByLabel('Search messages').press('Enter');
      await boss.locator('.kefu-history-hit', { hasText: '换货' }).first().click();
      return undefined;
    });
    await boss.waitForTimeout(500); // the drawer's slide-in ends (a picture, not an assertion)
    await boss.screenshot({ path: screenshot('journey-history.png') });

    expect(problems.flat()).toEqual([]);
  });
});
