/**
 * What the widget loads over HTTP, against a running embedded node: its script (within the size
 * budget), the channel's public look (never its secret), and the test page.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createChannel, DEFAULT_TENANT_ID } from '../../actors/directory/channel.repository.ts';
import { loadConfig } from '../../cluster/config.ts';
import { startNode, type KefuNode } from '../../cluster/node.ts';

/** The budget for the widget script. */
const WIDGET_BUDGET_GZIPPED = 50 * 1024;

let dir: string;
let node: KefuNode;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-widget-routes-'));
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true); // the setup banner
  node = await startNode(loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'error', KEFU_NODE_ID: 'widget-routes' }));
  await createChannel(
    node.database.orm.em.fork(),
    {
      tenantId: DEFAULT_TENANT_ID,
      key: 'shop',
      name: '示例商店',
      skillGroupId: 'default',
      allowedOrigins: ['https://shop.example'],
      identityEnforced: false,
      appearance: { color: '#e8590c', position: 'left', greeting: '您好！', preChatFields: [{ name: 'order', label: '订单号', required: false }] },
    },
    new Date(),
  );
});
afterAll(async () => {
  await node?.stop();
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

test('the widget script is served as JavaScript and stays within its budget', async () => {
  const res = await fetch(`${node.url}/widget.js`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  const body = Buffer.from(await res.arrayBuffer());
  expect(body.toString()).toContain('ws/visitor/');
  expect(gzipSync(body).length).toBeLessThanOrEqual(WIDGET_BUDGET_GZIPPED);
});

test("a channel's public look is readable from any site, without its secret or origins", async () => {
  const res = await fetch(`${node.url}/widget/v1/channels/shop`, { headers: { origin: 'https://elsewhere.example' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  expect(await res.json()).toEqual({
    key: 'shop',
    name: '示例商店',
    appearance: { color: '#e8590c', position: 'left', greeting: '您好！', preChatFields: [{ name: 'order', label: '订单号', required: false }] },
  });
});

test.each([
  ['an unknown channel', 'nope', 404],
  ['a key with characters keys never have', '..%2F..%2Fetc', 404],
])('%s is a typed 404', async (_what, key, status) => {
  const res = await fetch(`${node.url}/widget/v1/channels/${key}`);
  expect(res.status).toBe(status);
  expect(await res.json()).toEqual({ code: 'CHANNEL_UNKNOWN', message: 'no such channel', temporary: false });
});

test('the test page embeds the chosen channel with the one-line snippet, under a strict CSP', async () => {
  const res = await fetch(`${node.url}/test/widget?channel=shop`);
  expect(res.status).toBe(200);
  const html = await res.text();
  expect(html).toContain(`&lt;script src="${node.url}/widget.js" data-channel="shop" async&gt;&lt;/script&gt;`);
  expect(html).toContain('<script src="/widget.js" data-channel="shop" async></script>');
  expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  expect(res.headers.get('content-security-policy')).not.toContain("script-src 'unsafe-inline'");
});

test('the test page refuses a channel key that could inject markup', async () => {
  const res = await fetch(`${node.url}/test/widget?channel=${encodeURIComponent('"><script>alert(1)</script>')}`);
  expect(res.status).toBe(400);
  expect(await res.text()).not.toContain('<script>');
});

test('the test page plays a signed-in user with the attributes escaped, and refuses a malformed hash', async () => {
  const hash = 'a'.repeat(64);
  const page = await (await fetch(`${node.url}/test/widget?${new URLSearchParams({ user: 'u"><script>x</script>', hash, name: '王芳' })}`)).text();
  expect(page).toContain(`data-user-id="u&#34;&#62;&#60;script&#62;x&#60;/script&#62;" data-user-hash="${hash}" data-user-name="王芳"`);
  expect(page).not.toContain('<script>x');
  const bad = await fetch(`${node.url}/test/widget?${new URLSearchParams({ user: 'u1', hash: 'not-hex' })}`);
  expect(bad.status).toBe(400);
});
