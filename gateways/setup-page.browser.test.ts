/**
 * The first-run setup page in a real Chromium: a wrong token is refused on the page, the printed
 * token creates the first admin, and afterwards the page says setup is complete. Screenshots in
 * artifacts/screenshots/.
 */
import { jest } from '@jest/globals';
import { type Browser } from 'playwright-core';
import { type KefuNode } from '../cluster/node.ts';
import { launchChromium, screenshot } from '../tests/browser.ts';
import { startEmbeddedNode } from '../tests/embedded.ts';
import { ApiClient } from '../tests/api-client.ts';

jest.setTimeout(60_000);

let stopNode: (() => Promise<void>) | undefined;
let node: KefuNode;
let browser: Browser;

beforeAll(async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  ({ node, stop: stopNode } = await startEmbeddedNode('setup-page'));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stopNode?.();
  jest.restoreAllMocks();
});

test('the setup page creates the first admin with the printed token, and only with it', async () => {
  if (node.setup.status !== 'issued') throw new Error('expected a setup token');
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => (m.type() === 'error' && !m.text().includes('401') ? errors.push(m.text()) : undefined));
  await page.goto(`${node.url}/setup`);
  await page.fill('input[name=token]', 'wrong-token');
  await page.fill('input[name=displayName]', 'Zhang Wei 张伟');
  await page.fill('input[name=email]', 'zhang.wei@example.com');
  await page.fill('input[name=password]', 'a fine long passphrase');
  await page.click('button[type=submit]');
  await page.waitForSelector('#error:not([hidden])');
  expect(await page.textContent('#error')).toMatch(/setup token is wrong/);
  await page.screenshot({ path: screenshot('setup-wrong-token.png') });

  await page.fill('input[name=token]', node.setup.token);
  await page.click('button[type=submit]');
  await page.waitForSelector('#done:not([hidden])');
  expect(await page.textContent('#who')).toBe('Zhang Wei 张伟 <zhang.wei@example.com>');
  await page.screenshot({ path: screenshot('setup-done.png') });
  await new ApiClient(node.url).login('zhang.wei@example.com', 'a fine long passphrase');

  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  await phone.goto(`${node.url}/setup/`);
  await phone.waitForSelector('#complete:not([hidden])');
  expect(await phone.isHidden('#setup')).toBe(true);
  await phone.screenshot({ path: screenshot('setup-complete-phone.png') });
  expect(errors).toEqual([]);
});

test('the interactive API docs render the OpenAPI document for a signed-in admin, under their strict CSP', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // The admin the previous test created signs in; the page then sends their CSRF token with "try it out".
  const signIn = await context.request.post(`${node.url}/api/v1/session`, { data: { email: 'zhang.wei@example.com', password: 'a fine long passphrase' } });
  expect(signIn.status()).toBe(200);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
  await page.goto(`${node.url}/api/v1/docs`);
  await page.waitForSelector('.swagger-ui .info .title');
  expect(await page.textContent('.swagger-ui .info .title')).toContain('Kefu REST API');
  await page.waitForSelector('.opblock-tag');
  const tags = await page.$$eval('.opblock-tag', (els) => els.map((e) => e.getAttribute('data-tag')));
  expect(tags).toEqual(expect.arrayContaining(['Setup', 'Session', 'Org tree', 'Accounts', 'Channels', 'Audit log']));
  await page.screenshot({ path: screenshot('api-docs.png') });
  expect(errors).toEqual([]);
});
