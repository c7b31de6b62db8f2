/**
 * The supervisor monitor moving a waiting visitor, in a real Chromium on an embedded node: a
 * visitor waits in a skill group whose agents pick their visitors (manual routing); the supervisor
 * sees them on that group's queue card, moves them to another group with a note, and they wait
 * there with the note.
 */
import { jest } from '@jest/globals';
import { type Browser } from 'playwright-core';
import { type KefuNode } from '../cluster/node.ts';
import { launchChromium, screenshot, signIn, watchProblems } from '../tests/browser.ts';
import { startEmbeddedNode } from '../tests/embedded.ts';
import { ApiClient, expectStatus } from '../tests/api-client.ts';
import { waitFor } from '../tests/support.ts';

jest.setTimeout(90_000);

const PASSWORD = 'correct horse battery staple';
let stopNode: (() => Promise<void>) | undefined;
let node: KefuNode;
let browser: Browser;
let groups: { picked: string; other: string };
const conversationId = 'waiting-for-a-pick';

beforeAll(async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  ({ node, stop: stopNode } = await startEmbeddedNode('monitor-page'));
  browser = await launchChromium();
  if (node.setup.status !== 'issued') throw new Error('expected a setup token');
  expectStatus(await new ApiClient(node.url).post('/api/v1/setup', { token: node.setup.token, email: 'boss@monitor.example', displayName: 'Boss', password: PASSWORD }), 201);
  const admin = await new ApiClient(node.url).login('boss@monitor.example', PASSWORD);
  const roles = expectStatus(await admin.get('/api/v1/roles'), 200) as { id: string; name: string }[];
  const role = (name: string) => roles.find((r) => r.name.startsWith(name))!.id;
  const picked = expectStatus(await admin.post('/api/v1/departments', { parentId: 'default', name: '精选组', isSkillGroup: true, settings: { routingPolicy: 'manual' } }), 201).id as string;
  const other = expectStatus(await admin.post('/api/v1/departments', { parentId: 'default', name: '售后组', isSkillGroup: true }), 201).id as string;
  groups = { picked, other };
  // An agent of the picking group, ready (the monitor shows the queues its agents serve); a supervisor over them.
  const agent = expectStatus(await admin.post('/api/v1/accounts', { email: 'pick@monitor.example', displayName: '挑选坐席', password: PASSWORD, departmentId: 'default', roleIds: [role('Agent')], skillGroupIds: [picked], maxConversations: 3 }), 201).id as string;
  await node.actors.send('agent', agent, { type: 'connect', connectionId: 'desk', status: 'ready' });
  expectStatus(await admin.post('/api/v1/accounts', { email: 'lead@monitor.example', displayName: '班长', password: PASSWORD, departmentId: 'default', roleIds: [role('Supervisor')], isAgent: false }), 201);
  const visitor = { visitorId: 'v-waiting', displayName: '等待中的访客', identified: false, vip: false, lastAgentId: null };
  await node.actors.send('conversation', conversationId, { type: 'start', tenantId: 'default', channelId: 'web', visitor, open: { skillGroupId: picked, requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true } });
});
afterAll(async () => {
  await browser?.close();
  await stopNode?.();
  jest.restoreAllMocks();
});

const described = async () => {
  const r = await node.actors.send<unknown, { type: string; status?: string; skillGroupId?: string; transferMemo?: string | null }>('conversation', conversationId, { type: 'describe' });
  return r.ok ? r.effects.find((e) => e.type === 'described')! : null;
};

test('the supervisor moves a waiting visitor to another skill group from the monitor', async () => {
  expect(await described()).toMatchObject({ status: 'queued', skillGroupId: groups.picked });
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const problems = watchProblems(page);
  await signIn(page, node.url, 'lead@monitor.example', PASSWORD);
  await page.getByRole('menuitem', { name: 'Monitor' }).click();

  const card = page.locator(`.kefu-queue-card[data-skill-group="${groups.picked}"]`);
  await card.getByText('等待中的访客').waitFor();
  await card.getByRole('button', { name: 'Move 等待中的访客 to another group or an agent' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('To a skill group').click();
  await dialog.getByLabel('Transfer to', { exact: true }).click();
  const menu = page.locator('.ant-select-dropdown:visible');
  expect(await menu.getByText('精选组', { exact: true }).count()).toBe(0); // not where they already wait
  await menu.getByText('售后组', { exact: true }).click();
  await waitFor('the menu to close', async () => ((await menu.count()) === 0 ? true : undefined));
  await dialog.getByLabel('Note', { exact: false }).fill('老客户，请优先');
  await dialog.locator('button:not([disabled])', { hasText: 'Transfer' }).waitFor();
  await page.screenshot({ path: screenshot('monitor-move.png') });
  await dialog.getByRole('button', { name: 'Transfer' }).click();

  await waitFor('the visitor to wait in the other group', async () => ((await described())?.skillGroupId === groups.other ? true : undefined), 10_000);
  expect(await described()).toMatchObject({ status: 'queued', skillGroupId: groups.other, transferMemo: '老客户，请优先' });
  await card.getByText('等待中的访客').waitFor({ state: 'detached' }); // gone from the first queue's card
  expect(problems).toEqual([]);
  await context.close();
});
