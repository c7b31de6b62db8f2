/**
 * What the browser tests share: Debian's Chromium launched headless with the project's flags, the
 * screenshot folder, signing in, and driving Ant Design's selects and the admin console's tabs.
 * (Their embedded node is tests/embedded.ts.)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { waitFor } from './support.ts';

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });

/** Where screenshots go (created on first use): `artifacts/screenshots/<name>`. */
export function screenshot(name: string): string {
  const dir = fileURLToPath(new URL('../artifacts/screenshots/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** Signs in on the workstation's sign-in page (`/app/`) and waits until the signed-in frame shows. */
export async function signIn(page: Page, base: string, email: string, password: string): Promise<void> {
  await page.goto(`${base}/app/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('account-menu').waitFor();
}

/**
 * What went wrong on a page, for a test to expect empty: uncaught errors, console errors (other
 * than the 401/403 answers a signed-out page expects), and dialogs — a script that ran.
 */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => (m.type() === 'error' && !/40[13]|Failed to load resource/.test(m.text()) ? problems.push(`console: ${m.text()}`) : undefined));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return problems;
}

/**
 * Chooses `option` in the Ant Design select (or tree select) labelled `label` inside the dialog
 * `scope`, then closes its menu and waits until no menu shows — a menu still fading out would
 * otherwise offer its options to the next choice.
 */
export async function chooseOption(page: Page, scope: Locator, label: string, option: string): Promise<void> {
  const menus = page.locator('.ant-select-dropdown:visible');
  await scope.getByLabel(label, { exact: true }).click();
  await menus.getByText(option, { exact: true }).click();
  await scope.locator('.ant-modal-title').click(); // a multiple select stays open until one clicks elsewhere
  await waitFor(`the menu of ${label} to close`, async () => ((await menus.count()) === 0 ? true : undefined));
}

/** Opens a tab of the admin console once the last confirmation toast has gone (toasts sit over the tab bar for their 3 s). */
export async function openAdminTab(page: Page, name: string): Promise<void> {
  await waitFor('the toasts to go', async () => ((await page.locator('.ant-message-notice').count()) === 0 ? true : undefined));
  await page.getByRole('tab', { name }).click();
  await page.getByRole('tab', { name, selected: true }).waitFor();
}

/** Runs `body`; if it throws, first saves a picture of every open page (`<name>-failure-<n>.png`) for the one reading the CI log. */
export async function picturedOnFailure(browser: Browser, name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    let n = 0;
    for (const context of browser.contexts()) for (const page of context.pages()) await page.screenshot({ path: screenshot(`${name}-failure-${++n}.png`) }).catch(() => undefined);
    throw error;
  }
}
