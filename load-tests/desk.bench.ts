/**
 * The agent desk under a heavy day: `npm run bench:desk [-- --conversations 200 --messages 10000]`
 *
 * One embedded node and Debian's Chromium (headless). One agent holds N open conversations; one of
 * them has M messages, another 50 (the baseline, in the same run). Measured in the browser:
 *   - loading the desk: from reload to every conversation listed (their histories follow, paced
 *     within the gateway's frame budget, the opened one first);
 *   - opening the long transcript: from the click to its last message on screen;
 *   - scrolling it (60 wheel steps) against scrolling the short one: frame intervals (p50, p95,
 *     max) from requestAnimationFrame, and their ratio — a virtualised transcript scrolls as the
 *     short one does, whatever its length;
 *   - scrolling the conversation list the same way, and the page's JavaScript heap.
 * Loopback only; it stops by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { loadConfig } from '../cluster/config.ts';
import { startNode } from '../cluster/node.ts';
import { ApiClient, expectStatus } from '../tests/api-client.ts';
import { launchChromium, screenshot } from '../tests/browser.ts';
import { waitFor } from '../tests/support.ts';

const { values } = parseArgs({ options: { conversations: { type: 'string', default: '200' }, messages: { type: 'string', default: '10000' } } });
const conversations = Number(values.conversations);
const messages = Number(values.messages);
const SHORT = 50;
const PASSWORD = 'desk bench password';
const TEXT = (i: number) => `第 ${i} 条：我的订单 A-${20261200 + i} 还没有发货，请帮我查一下物流。Order not shipped yet.`;

const RECORD_FRAMES = `(() => {
  window.__frames = [];
  let last = performance.now();
  const tick = (now) => {
    window.__frames.push(now - last);
    last = now;
    if (window.__recording) requestAnimationFrame(tick);
  };
  window.__recording = true;
  requestAnimationFrame(tick);
})()`;

type Frames = { p50: number; p95: number; max: number; slow: number };

/** Wheel steps over an element, with the frame intervals the page saw meanwhile. */
async function scrollFrames(page: Page, selector: string, deltaY: number): Promise<Frames> {
  const box = (await page.locator(selector).boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.evaluate(RECORD_FRAMES);
  for (let i = 0; i < 60; i++) {
    await page.mouse.wheel(0, deltaY);
    await page.waitForTimeout(16);
  }
  const frames = (await page.evaluate('window.__recording = false, window.__frames')) as number[];
  frames.sort((a, b) => a - b);
  const q = (p: number) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))]!;
  return { p50: q(0.5), p95: q(0.95), max: frames[frames.length - 1]!, slow: frames.filter((f) => f > 50).length };
}

const show = (f: Frames) => `frame p50 ${f.p50.toFixed(1)} ms, p95 ${f.p95.toFixed(1)} ms, max ${f.max.toFixed(1)} ms, ${f.slow} frames over 50 ms`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-desk-bench-'));
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write; // the setup banner
  const node = await startNode(loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'error', KEFU_NODE_ID: 'desk-bench' }));
  process.stdout.write = write;
  const browser = await launchChromium();
  try {
    if (node.setup.status !== 'issued') throw new Error('expected a setup token');
    expectStatus(await new ApiClient(node.url).post('/api/v1/setup', { token: node.setup.token, email: 'boss@bench.example', displayName: 'Boss', password: PASSWORD }), 201);
    const admin = await new ApiClient(node.url).login('boss@bench.example', PASSWORD);
    const roles = expectStatus(await admin.get('/api/v1/roles'), 200) as { id: string; name: string }[];
    const agent = expectStatus(
      await admin.post('/api/v1/accounts', { email: 'agent@bench.example', displayName: 'Bench Agent', password: PASSWORD, departmentId: 'default', roleIds: [roles.find((r) => r.name.startsWith('Agent'))!.id], skillGroupIds: ['default'] }),
      201,
    ) as { id: string };
    // More than an account may take (100): the agent actor is told directly, for the benchmark's sake.
    await node.actors.send('agent', agent.id, { type: 'create', tenantId: 'default', displayName: 'Bench Agent', skillGroups: ['default'], maxConversations: conversations });

    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[page] ${e.stack}`));
    await page.goto(`${node.url}/app/`);
    await page.getByLabel('Email').fill('agent@bench.example');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No conversations yet').waitFor(); // on the desk
    await waitFor('the agent to be ready', async () => {
      const r = await node.actors.send<unknown, { type: string; status?: string }>('agent', agent.id, { type: 'describe' });
      return r.ok && r.effects.find((e) => e.type === 'profile')?.status === 'ready' ? true : undefined;
    });

    const ids = Array.from({ length: conversations }, (_, i) => `bench-c${String(i).padStart(3, '0')}`);
    for (const id of ids) {
      const r = await node.actors.send('conversation', id, {
        type: 'start',
        tenantId: 'default',
        channelId: 'web',
        visitor: { visitorId: `v-${id}`, displayName: `Visitor ${id.slice(-3)}`, identified: false, vip: false, lastAgentId: null },
        open: { skillGroupId: 'default', requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true },
      });
      if (!r.ok) throw new Error(`${id}: ${r.message}`);
    }
    // Taken, as an agent's open conversations are (an offer left unanswered goes back to the queue).
    for (const id of ids) {
      const r = await waitFor(`${id} to be offered`, async () => {
        const accepted = await node.actors.send('conversation', id, { type: 'accept', agentId: agent.id });
        return accepted.ok ? accepted : undefined;
      });
      if (!r.ok) throw new Error(`${id}: not accepted`);
    }
    const post = async (id: string, n: number) => {
      for (let i = 1; i <= n; i++) {
        const r = await node.actors.send('conversation', id, { type: 'post-message', from: { kind: 'visitor' }, clientMsgId: `${id}-${i}`, text: TEXT(i) });
        if (!r.ok) throw new Error(`${id}: ${r.message}`);
      }
    };
    await post(ids[0]!, messages);
    await post(ids[1]!, SHORT);

    let started = Date.now();
    await page.reload();
    await page.getByText(`My conversations · ${conversations}`).waitFor({ timeout: 60_000 });
    const listedMs = Date.now() - started;
    const heapListed = (await page.evaluate('performance.memory.usedJSHeapSize')) as number;

    await page.locator(`[data-conversation-id="${ids[1]}"]`).click();
    await page.locator('.kefu-bubble-text', { hasText: TEXT(SHORT) }).waitFor();
    const short = await scrollFrames(page, '[data-testid="transcript"]', -400);

    started = Date.now();
    await page.locator(`[data-conversation-id="${ids[0]}"]`).click();
    await page.locator('.kefu-bubble-text', { hasText: TEXT(messages) }).waitFor({ timeout: 60_000 });
    const openedMs = Date.now() - started;
    const long = await scrollFrames(page, '[data-testid="transcript"]', -400);
    const list = await scrollFrames(page, '.kefu-conv-list', 300);
    const heap = (await page.evaluate('performance.memory.usedJSHeapSize')) as number;
    const rendered = await page.locator('.kefu-line').count();

    console.log(`Agent desk, ${conversations} open conversations, one of ${messages.toLocaleString('en-US')} messages (Chromium headless, local embedded node):`);
    console.log(`  reload → all ${conversations} listed: ${listedMs} ms; JS heap ${(heapListed / 2 ** 20).toFixed(1)} MiB`);
    console.log(`  open the ${messages.toLocaleString('en-US')}-message transcript → its last message shown: ${openedMs} ms (${rendered} message elements in the page)`);
    console.log(`  baseline, scrolling a ${SHORT}-message transcript: ${show(short)}`);
    console.log(`  scrolling the ${messages.toLocaleString('en-US')}-message transcript:   ${show(long)}`);
    console.log(`  ratio to the baseline (p95): ${(long.p95 / short.p95).toFixed(2)}×`);
    console.log(`  scrolling the list of ${conversations}: ${show(list)}`);
    console.log(`  JS heap with everything loaded: ${(heap / 2 ** 20).toFixed(1)} MiB`);
  } catch (error) {
    for (const c of browser.contexts()) for (const p of c.pages()) await p.screenshot({ path: screenshot('desk-bench-failure.png') });
    throw error;
  } finally {
    await browser.close();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
