/**
 * The workstation's frame in a real Chromium, on an embedded node: the sign-in page (in the
 * browser's language, pointing to /setup while there is no admin), wrong and right passwords, my
 * profile, my sessions (ending another browser's), changing my password, the lost-connection
 * banner, signing out — and a hostile display name shown as text. Screenshots in
 * artifacts/screenshots/; the first load's time and the initial JavaScript are printed.
 */
import { jest } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { type Browser } from 'playwright-core';
import { type KefuNode } from '../cluster/node.ts';
import { launchChromium, screenshot, watchProblems } from '../tests/browser.ts';
import { startEmbeddedNode } from '../tests/embedded.ts';
import { ApiClient, expectStatus } from '../tests/api-client.ts';
import { initialJavaScriptKiB } from '../web/bundle-size.ts';

jest.setTimeout(90_000);

const APP = fileURLToPath(new URL('../web/public/app/', import.meta.url));
const HOSTILE_NAME = '<img src=x onerror="window.__pwned=1">"Wang" <script>window.__pwned=2</script>';
const EMAIL = 'wang.fang@example.com';
const PASSWORD = 'correct horse battery staple';
let stopNode: (() => Promise<void>) | undefined;
let node: KefuNode;
let browser: Browser;

beforeAll(async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  ({ node, stop: stopNode } = await startEmbeddedNode('workstation-page'));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stopNode?.();
  jest.restoreAllMocks();
});

test('before setup, the sign-in page is in the browser’s language and points to /setup', async () => {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems = watchProblems(page);
  const started = Date.now();
  await page.goto(`${node.url}/app/`);
  await page.getByRole('button', { name: /登\s*录/ }).waitFor();
  const interactiveMs = Date.now() - started;
  const initialKiB = initialJavaScriptKiB(APP);
  process.stderr.write(`[workstation] first load to interactive (cold cache, local): ${interactiveMs} ms; initial JavaScript ${initialKiB.toFixed(1)} KiB gzipped (target ≤ 2,000 ms, ≤ 400 KiB)\n`);
  expect(await page.textContent('h4')).toBe('登录 Kefu 客服');
  expect(await page.getAttribute('a[href="/setup"]', 'href')).toBe('/setup');
  await page.screenshot({ path: screenshot('workstation-sign-in-setup-pending.png') });
  expect(problems).toEqual([]);
  await context.close();
});

test('an agent signs in, reads their profile, ends another session, changes the password and signs out', async () => {
  if (node.setup.status !== 'issued') throw new Error('expected a setup token');
  expectStatus(await new ApiClient(node.url).post('/api/v1/setup', { token: node.setup.token, email: EMAIL, displayName: HOSTILE_NAME, password: PASSWORD }), 201);
  const elsewhere = await new ApiClient(node.url).login(EMAIL, PASSWORD);

  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems = watchProblems(page);
  await page.goto(`${node.url}/app/sessions`);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'The email or the password is wrong.' }).waitFor();
  expect(await page.locator('a[href="/setup"]').count()).toBe(0);
  await page.screenshot({ path: screenshot('workstation-sign-in-wrong-password.png') });

  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The URL asked for (my sessions) is where one lands.
  await page.getByText('This browser').waitFor();
  expect(new URL(page.url()).pathname).toBe('/app/sessions');
  await expect(page.locator('tbody tr').count()).resolves.toBe(2);
  await page.screenshot({ path: screenshot('workstation-sessions.png') });
  // End the other browser's session: it is signed out there, this one stays.
  await page.locator('tbody tr', { hasNotText: 'This browser' }).getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('That session has ended.').waitFor();
  await expect(page.locator('tbody tr').count()).resolves.toBe(1);
  expect((await elsewhere.get('/api/v1/session')).status).toBe(401);

  await page.getByRole('menuitem', { name: 'My profile' }).click();
  await page.getByText(EMAIL).waitFor();
  // The hostile name is text, in the header and the profile; no element was injected and nothing ran.
  await expect(page.getByText(HOSTILE_NAME).count()).resolves.toBe(2);
  expect(await page.locator('img[src="x"], body script:not([src])').count()).toBe(0);
  expect(await page.evaluate('window.__pwned')).toBeUndefined();
  await page.screenshot({ path: screenshot('workstation-profile.png'), fullPage: true });

  // A new name, edited in place (an empty one is not saved): the header follows, and it is stored.
  await page.getByRole('button', { name: 'Change the name colleagues and visitors see' }).click();
  const nameBox = page.locator('.ant-typography-edit-content textarea');
  await nameBox.fill('   ');
  await nameBox.press('Enter');
  await expect(page.getByText(HOSTILE_NAME).count()).resolves.toBe(2);
  await page.getByRole('button', { name: 'Change the name colleagues and visitors see' }).click();
  await nameBox.fill('王 Wang');
  await nameBox.press('Enter');
  await page.getByText('Name changed.').waitFor();
  await expect(page.getByText('王 Wang', { exact: true }).count()).resolves.toBe(2);
  expect(expectStatus(await (await new ApiClient(node.url).login(EMAIL, PASSWORD)).get('/api/v1/me'), 200).displayName).toBe('王 Wang');

  await page.getByLabel('Current password').fill('not the password at all');
  await page.getByLabel('New password').fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.locator('.ant-alert-error[role="alert"]').waitFor(); // the form's own alert (toasts are alerts too)
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Password changed.', { exact: false }).waitFor();
  expect((await new ApiClient(node.url).post('/api/v1/session', { email: EMAIL, password: PASSWORD })).status).toBe(401);
  await new ApiClient(node.url).login(EMAIL, 'a brand new passphrase');

  // The server unreachable: a banner, and it goes once the server answers again.
  await page.route('**/api/v1/session', (route) => route.abort('connectionrefused'));
  await page.evaluate("dispatchEvent(new Event('online'))");
  await page.getByText('Connection to the server lost. Retrying…').waitFor();
  await page.screenshot({ path: screenshot('workstation-offline.png') });
  await page.unroute('**/api/v1/session');
  await page.evaluate("dispatchEvent(new Event('online'))");
  await page.getByText('Connection to the server lost. Retrying…').waitFor({ state: 'detached' });

  // Switching to Chinese, then signing out from the account menu.
  await page.getByLabel('Language').click();
  await page.getByTitle('简体中文').click();
  await page.getByRole('menuitem', { name: '个人资料' }).waitFor();
  await page.getByTestId('account-menu').click();
  await page.getByRole('menuitem', { name: '退出登录' }).click();
  await page.getByRole('button', { name: /登\s*录/ }).waitFor();
  await page.reload();
  await page.getByRole('button', { name: /登\s*录/ }).waitFor();
  expect(problems).toEqual([]);
  await context.close();
});
