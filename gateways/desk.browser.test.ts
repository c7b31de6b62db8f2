/**
 * The agent desk in a real Chromium, on an embedded node, against a visitor in the widget: the
 * conversation rings on the desk of the agent who is ready, who accepts it and chats (delivery and
 * read state, typing); a supervisor sees it on the monitor, watches and whispers; the agent
 * transfers it with a note to a colleague (Alt+T), who reads the history,
 * keeps a draft across a reload and closes it with a service summary; the visitor rates it; a
 * shopper browsing the site shows among the online visitors and is invited to chat. History finds
 * the conversation by its words; an agent of a sibling department finds nothing, in the UI or by URL.
 * A hostile visitor name and message are shown as text. Prints how long a visitor's message
 * takes from the visitor's ack to the agent's chat pane; screenshots at desktop and tablet size.
 */
import { jest } from '@jest/globals';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { ChannelDirectory, DEFAULT_CHANNEL_KEY } from '../actors/directory/channel.repository.ts';
import { identityHash } from '../actors/directory/visitor.repository.ts';
import { type KefuNode } from '../cluster/node.ts';
import { ApiClient, expectStatus } from '../tests/api-client.ts';
import { launchChromium, picturedOnFailure, screenshot, signIn, watchProblems } from '../tests/browser.ts';
import { startEmbeddedNode } from '../tests/embedded.ts';
import { waitFor } from '../tests/support.ts';

jest.setTimeout(120_000);

const PASSWORD = 'desk browser secret';
const HOSTILE_NAME = '<img src=x onerror="window.__pwned=1">王小明';
const HOSTILE_TEXT = '订单没到 <script>window.__pwned=2</script><b>urgent</b>';
let stopNode: (() => Promise<void>) | undefined;
let node: KefuNode;
let browser: Browser;
let admin: ApiClient;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  ({ node, stop: stopNode } = await startEmbeddedNode('desk-page'));
  browser = await launchChromium();
  if (node.setup.status !== 'issued') throw new Error('expected a setup token');
  expectStatus(await new ApiClient(node.url).post('/api/v1/setup', { token: node.setup.token, email: 'boss@desk.example', displayName: 'Boss', password: PASSWORD }), 201);
  admin = await new ApiClient(node.url).login('boss@desk.example', PASSWORD);
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stopNode?.();
  jest.restoreAllMocks();
});

async function account(email: string, displayName: string, role: 'Agent' | 'Supervisor'): Promise<string> {
  const roles = expectStatus(await admin.get('/api/v1/roles'), 200) as { id: string; name: string }[];
  const roleId = roles.find((r) => r.name.startsWith(role))!.id;
  const fields = role === 'Agent' ? { skillGroupIds: ['default'], maxConversations: 5 } : { isAgent: false };
  return expectStatus(await admin.post('/api/v1/accounts', { email, displayName, password: PASSWORD, departmentId: 'default', roleIds: [roleId], ...fields }), 201).id as string;
}

async function newPage(viewport: { width: number; height: number }, locale = 'en-US', timezoneId?: string): Promise<Page> {
  const context = await browser.newContext({ locale, viewport, ...(timezoneId ? { timezoneId } : {}) });
  contexts.push(context);
  return context.newPage();
}

/** Signs in on the workstation; an agent lands on the desk. */
async function signInToDesk(page: Page, email: string): Promise<void> {
  await signIn(page, node.url, email, PASSWORD);
  await page.getByTestId('desk').waitFor();
  expect(new URL(page.url()).pathname).toBe('/app/desk');
}

/** In the visitor's page: when each of their messages was acknowledged (by text), read off the widget's own socket. */
const RECORD_ACKS = `(() => {
  const Native = window.WebSocket;
  window.__ackedAt = {};
  const texts = {};
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        try {
          const f = JSON.parse(e.data);
          if (f.type === 'ack' && texts[f.clientMsgId] !== undefined) window.__ackedAt[texts[f.clientMsgId]] = Date.now();
        } catch {}
      });
    }
    send(data) {
      try {
        const f = JSON.parse(data);
        if (f.type === 'message') texts[f.clientMsgId] = f.text;
      } catch {}
      super.send(data);
    }
  };
})();`;

/** In the agent's page: when each visitor message (by text) first showed in the chat pane. */
const RECORD_SEEN = `(() => {
  window.__seenAt = {};
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('.kefu-line-theirs .kefu-bubble-text')) {
      const text = el.textContent;
      if (!(text in window.__seenAt)) window.__seenAt[text] = Date.now();
    }
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
})();`;

async function visitorSays(page: Page, text: string): Promise<void> {
  const input = page.locator('#kefu-widget textarea[aria-label]').last();
  await input.fill(text);
  await input.press('Enter');
}

test('a visitor’s conversation rings on the desk, is accepted, chatted in, transferred with a note and closed with a summary', async () => {
  await picturedOnFailure(browser, 'desk', async () => {
    const liId = await account('li.na@desk.example', '李娜', 'Agent');
    const zhouId = await account('zhou.jie@desk.example', '周杰', 'Agent');
    await account('lead@desk.example', '组长 Lead', 'Supervisor');

    // The agent signs in; opening the desk makes them ready.
    const li = await newPage({ width: 1440, height: 900 });
    const liProblems = watchProblems(li);
    await signInToDesk(li, 'li.na@desk.example');
    await li.getByText('No conversations yet').waitFor();
    await waitFor('the desk to show the agent ready', async () => ((await li.getByRole('radio', { name: 'Ready' }).isChecked()) ? true : undefined));
    await li.evaluate(RECORD_SEEN);

    // A signed-in visitor of the shop with a hostile name writes a hostile message.
    const channel = (await new ChannelDirectory(node.database.orm.em.fork()).byKey(DEFAULT_CHANNEL_KEY))!;
    const visitor = await newPage({ width: 1280, height: 800 }, 'zh-CN', 'Asia/Shanghai');
    const visitorProblems = watchProblems(visitor);
    await visitor.addInitScript(RECORD_ACKS);
    await visitor.goto(`${node.url}/test/widget?${new URLSearchParams({ user: 'shop-7', hash: identityHash(channel.identitySecret, 'shop-7'), name: HOSTILE_NAME })}`);
    await visitor.locator('#kefu-widget .launcher').click();
    await visitorSays(visitor, HOSTILE_TEXT);

    // It rings on Li's desk: offered, with the Accept banner; the visitor's name and text are text.
    await li.locator('.kefu-conv', { hasText: '王小明' }).waitFor();
    await li.getByRole('button', { name: 'Accept' }).waitFor();
    await li.locator('.kefu-bubble-text', { hasText: '订单没到' }).waitFor();
    expect(await li.locator('.kefu-bubble-text', { hasText: '订单没到' }).textContent()).toBe(HOSTILE_TEXT);
    expect(await li.getByTestId('visitor-pane').getByText(HOSTILE_NAME).count()).toBe(1);
    // Where the visitor came from is named: the channel's name, not its id; and their local time.
    await li.getByTestId('visitor-pane').getByText(channel.name, { exact: true }).waitFor();
    await li.getByTestId('visitor-pane').getByText(/^Shanghai · \d\d:\d\d( [AP]M)? \(UTC\+8\)$/).waitFor();
    await li.getByRole('button', { name: 'Accept' }).click();
    await li.getByRole('button', { name: 'Accept' }).waitFor({ state: 'detached' }); // accepted: the banner goes
    await li.getByRole('button', { name: 'Transfer' }).waitFor();

    // They chat: the agent's answer reaches the widget, is read there, and shows as read on the desk.
    const composer = li.getByLabel('Message', { exact: true });
    await composer.fill('您好，我来帮您查一下');
    await composer.press('Enter');
    await visitor.locator('#kefu-widget .msg.theirs .bubble', { hasText: '我来帮您查一下' }).waitFor();
    await li.locator('.kefu-delivery[data-delivery="read"]').waitFor();
    // Li asks for a rating while they chat: the widget shows the form (rated after the close, below); asked once.
    await li.getByRole('button', { name: 'Ask for a rating' }).click();
    await visitor.locator('#kefu-widget form.rating').waitFor();
    await li.getByRole('button', { name: 'Ask for a rating' }).and(li.locator('[disabled]')).waitFor();
    await li.mouse.move(0, 0); // its tooltip goes (screenshots below)
    expect(await composer.inputValue()).toBe('');

    // From the visitor's ack to the agent's chat pane, in the browser.
    const latencies: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const text = `订单号 A-100${i}`;
      await visitorSays(visitor, text);
      await li.locator('.kefu-bubble-text', { hasText: text }).waitFor();
      const acked = await waitFor('the visitor’s ack', async () => (await visitor.evaluate((t) => (globalThis as unknown as { __ackedAt: Record<string, number> }).__ackedAt[t], text)) ?? undefined);
      const seen = (await li.evaluate((t) => (globalThis as unknown as { __seenAt: Record<string, number> }).__seenAt[t], text))!;
      latencies.push(seen - acked);
    }
    latencies.sort((a, b) => a - b);
    process.stderr.write(`[desk] visitor message in the agent's chat pane after the visitor's ack: median ${latencies[2]} ms, max ${latencies[4]} ms over 5 (target ≤ 100 ms)\n`);

    // The visitor sends a 1200 × 900 photo: the desk shows the server's 320 × 240 preview at 260 × 195, linking to the original.
    const photo = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#c96' } }).jpeg().toBuffer();
    await visitor.locator('#kefu-widget input[type=file]').setInputFiles({ name: '包裹.jpg', mimeType: 'image/jpeg', buffer: photo });
    const image = li.locator('img.kefu-bubble-image[alt="包裹.jpg"]');
    await image.waitFor();
    await waitFor('the preview to load', async () => ((await image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) === 320 ? true : undefined));
    expect(await image.evaluate((img) => [(img as unknown as { width: number }).width, (img as unknown as { height: number }).height])).toEqual([260, 195]);
    expect(await image.getAttribute('src')).toMatch(/^\/files\/agent\/[A-Za-z0-9_-]{22}\/preview$/);
    expect(await li.locator('a:has(img.kefu-bubble-image[alt="包裹.jpg"])').getAttribute('href')).toMatch(/^\/files\/agent\/[A-Za-z0-9_-]{22}$/);
    await li.screenshot({ path: screenshot('desk-desktop.png') });
    // The same desk in Chinese, then back.
    await li.getByLabel('Language').click();
    await li.locator('.ant-select-dropdown:visible').getByText('简体中文').click();
    await li.getByRole('button', { name: '转接' }).waitFor();
    await li.waitForTimeout(300); // the language menu's fade-out ends (a picture, not an assertion)
    await li.screenshot({ path: screenshot('desk-desktop-zh.png') });
    await li.getByLabel('语言').click();
    await li.locator('.ant-select-dropdown:visible').getByText('English').click();
    await li.getByRole('button', { name: 'Transfer' }).waitFor();
    await li.setViewportSize({ width: 820, height: 1180 });
    await li.getByRole('button', { name: 'Visitor', exact: true }).waitFor(); // the side pane folds into a drawer
    await li.screenshot({ path: screenshot('desk-tablet.png') });
    await li.setViewportSize({ width: 1440, height: 900 });

    // The supervisor sees Li's load and the queue on the monitor, watches the conversation and
    // whispers: Li reads it as internal, the visitor never sees it.
    const lead = await newPage({ width: 1440, height: 900 });
    const leadProblems = watchProblems(lead);
    await signInToDesk(lead, 'lead@desk.example');
    await lead.getByRole('menuitem', { name: 'Monitor' }).click();
    const liRow = lead.getByTestId('monitor').locator('tr', { hasText: '李娜' });
    await liRow.getByText('1 / 5').waitFor();
    await lead.locator('.kefu-queue-card').first().waitFor();
    await lead.waitForTimeout(600); // the menu's and the table's fade-in end (a picture, not an assertion)
    await lead.screenshot({ path: screenshot('monitor-desktop.png') });
    await liRow.getByRole('button', { name: /Watch/ }).click();
    await lead.getByText('Watching · 1').waitFor();
    await lead.locator('.kefu-bubble-text', { hasText: '我来帮您查一下' }).waitFor();
    await lead.getByText('You are watching this conversation.').waitFor();
    await lead.getByLabel('How I am in it').getByText('Whisper').click();
    const whisper = lead.getByLabel('Message', { exact: true });
    await whisper.fill('先核实订单号再答复');
    await whisper.press('Enter');
    await li.locator('.kefu-bubble-internal', { hasText: '先核实订单号再答复' }).waitFor();
    // A reload keeps the watch: the desk names it in its hello, and the welcome gives it back, still whispering.
    await lead.reload();
    await lead.getByText('Watching · 1').waitFor();
    await lead.locator('.kefu-conv', { hasText: '王小明' }).click();
    await lead.locator('.kefu-bubble-internal', { hasText: '先核实订单号再答复' }).waitFor();
    expect(await lead.getByLabel('How I am in it').locator('.ant-segmented-item-selected').textContent()).toBe('Whisper');
    await lead.getByRole('button', { name: 'Stop' }).click();
    await lead.getByText('Watching · 1').waitFor({ state: 'detached' });

    // A colleague comes on; Li transfers the conversation to them with a note (Alt+T).
    const zhou = await newPage({ width: 1440, height: 900 });
    const zhouProblems = watchProblems(zhou);
    await signInToDesk(zhou, 'zhou.jie@desk.example');
    await li.locator('body').press('Alt+KeyT');
    const dialog = li.getByRole('dialog');
    await dialog.getByLabel('Transfer to').click();
    await li.locator('.ant-select-item-option', { hasText: '周杰' }).click();
    await dialog.getByLabel('Note for whoever takes it').fill('退款问题 <i>VIP</i>');
    await dialog.getByRole('button', { name: 'Transfer' }).click();
    await li.locator('.kefu-conv', { hasText: '王小明' }).waitFor({ state: 'detached' });

    // Zhou gets it offered, with the note and the whole history.
    await zhou.locator('.kefu-conv', { hasText: '王小明' }).waitFor();
    await zhou.getByText('退款问题 <i>VIP</i>').waitFor();
    await zhou.locator('.kefu-bubble-text', { hasText: '我来帮您查一下' }).waitFor();
    await zhou.getByRole('button', { name: 'Accept' }).click();
    await zhou.getByRole('button', { name: 'Transfer' }).waitFor();

    // A draft survives a reload.
    await zhou.getByLabel('Message', { exact: true }).fill('退款将在三个工作日内');
    await zhou.reload();
    await zhou.getByTestId('desk').waitFor();
    await zhou.locator('.kefu-conv', { hasText: '王小明' }).click();
    await expect(zhou.getByLabel('Message', { exact: true }).inputValue()).resolves.toBe('退款将在三个工作日内');
    await zhou.getByLabel('Message', { exact: true }).press('Enter');
    await visitor.locator('#kefu-widget .msg.theirs .bubble', { hasText: '三个工作日' }).waitFor();

    // Zhou closes it with a service summary; it moves to recently closed; the visitor rates.
    await zhou.getByRole('button', { name: 'End chat' }).click();
    await zhou.getByRole('dialog').getByLabel('Service summary').fill('查询退款进度，已告知三个工作日到账');
    await zhou.getByRole('dialog').getByRole('button', { name: 'End chat' }).click();
    await zhou.getByText('Recently closed · 1').waitFor();
    await zhou.getByText('This conversation has ended.').waitFor();
    await visitor.locator('#kefu-widget form.rating').waitFor();
    await visitor.locator('#kefu-widget .stars button').nth(4).click();
    await visitor.locator('#kefu-widget form.rating button.primary').click();
    await visitor.locator('#kefu-widget .msg.note', { hasText: '感谢您的评价' }).waitFor();
    await zhou.screenshot({ path: screenshot('desk-closed.png') });

    const conversationId = (await zhou.locator('.kefu-conv', { hasText: '王小明' }).getAttribute('data-conversation-id'))!;

    // History finds it by its words, marks the match as text, and opens its record and transcript.
    await zhou.getByRole('menuitem', { name: 'History' }).click();
    await zhou.getByLabel('Search messages').fill('三个工作日');
    await zhou.getByLabel('Search messages').press('Enter');
    const hit = zhou.locator('.kefu-history-hit', { hasText: '退款将在三个工作日内' });
    await hit.waitFor();
    expect((await hit.locator('mark').allTextContents()).join('')).toContain('三个工作日');
    await hit.click();
    const drawer = zhou.getByTestId('transcript-drawer');
    await drawer.getByText('查询退款进度，已告知三个工作日到账').waitFor();
    await drawer.getByText(HOSTILE_TEXT).waitFor();
    await zhou.waitForTimeout(500); // the drawer's slide-in ends (a picture, not an assertion)
    await zhou.screenshot({ path: screenshot('history-transcript.png') });

    // An agent of a sibling department finds nothing, in the UI or by URL.
    const sibling = expectStatus(await admin.post('/api/v1/departments', { parentId: 'root', name: '其他部门 Other' }), 201) as { id: string };
    const roles = expectStatus(await admin.get('/api/v1/roles'), 200) as { id: string; name: string }[];
    expectStatus(await admin.post('/api/v1/accounts', { email: 'outsider@desk.example', displayName: 'Outsider', password: PASSWORD, departmentId: sibling.id, roleIds: [roles.find((r) => r.name.startsWith('Agent'))!.id], isAgent: false }), 201);
    const outsider = await newPage({ width: 1440, height: 900 });
    await outsider.goto(`${node.url}/app/history`);
    await outsider.getByLabel('Email').fill('outsider@desk.example');
    await outsider.getByLabel('Password').fill(PASSWORD);
    await outsider.getByRole('button', { name: 'Sign in' }).click();
    await outsider.getByTestId('history').waitFor();
    await outsider.getByLabel('Search messages').fill('三个工作日');
    await outsider.getByLabel('Search messages').press('Enter');
    await outsider.getByText('No conversations match.').waitFor();
    expect(await outsider.evaluate(async (id) => (await fetch(`/api/v1/history/conversations/${id}`)).status, conversationId)).toBe(404);
    expect(await outsider.evaluate(async (id) => (await fetch(`/api/v1/history/conversations/${id}/messages`)).status, conversationId)).toBe(404);
    const record = await waitFor('the closed conversation in history', async () => {
      const r = await admin.get(`/api/v1/history/conversations/${conversationId}`);
      return r.status === 200 && (r.body as { summary: string | null }).summary ? (r.body as { agentId: string | null; summary: string | null }) : undefined;
    });
    expect(record).toMatchObject({ agentId: zhouId, summary: '查询退款进度，已告知三个工作日到账' });
    expect(liId).not.toBe(zhouId);

    // A shopper browses without chatting: Li sees them among the online visitors and invites them.
    const shopper = await newPage({ width: 1280, height: 800 }, 'zh-CN', 'America/New_York');
    await shopper.goto(`${node.url}/test/widget`);
    await shopper.locator('#kefu-widget .launcher').waitFor();
    await li.locator('.kefu-desk-tabs').getByText('Online visitors').click();
    const row = li.locator('.kefu-visitor', { hasText: 'Kefu widget test page', hasNotText: '王小明' });
    await row.waitFor({ timeout: 15_000 });
    // Their local time, as the screen pop shows it (the offset depends on the date: EST or EDT).
    await row.locator('.kefu-visitor-local').getByText(/^New York · \d\d:\d\d( [AP]M)? \(UTC[−-][45]\)$/).waitFor();
    await row.getByRole('button', { name: 'Invite' }).click();
    await li.getByLabel('Greeting').fill('您好，需要帮您挑选吗？');
    await li.getByRole('button', { name: 'Send invitation' }).click();
    await shopper.locator('#kefu-widget .invite', { hasText: '需要帮您挑选吗' }).waitFor();
    await row.getByText('Invited').waitFor();
    await li.screenshot({ path: screenshot('desk-online-visitors.png') });

    // Nothing hostile ran or was injected, anywhere.
    expect(await visitor.locator('#kefu-widget .bubble', { hasText: '先核实订单号' }).count()).toBe(0);
    for (const page of [li, zhou, lead]) {
      expect(await page.locator('img[src="x"], .kefu-desk script, .kefu-bubble b, .kefu-side i').count()).toBe(0);
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
    }
    expect(await visitor.evaluate('window.__pwned')).toBeUndefined();
    expect([...liProblems, ...zhouProblems, ...leadProblems, ...visitorProblems]).toEqual([]);
  });
});
