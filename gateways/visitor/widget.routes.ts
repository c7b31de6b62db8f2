/**
 * What the widget loads over HTTP besides its script (web/public/widget.js, served with the other
 * web files):
 *   GET /widget/v1/channels/<key>   the channel's public look: name, colour, position, greeting,
 *                                   avatar, pre-chat fields (never its secret or origins); any
 *                                   site may read it (CORS *), it is what the launcher shows
 *   GET /test/widget?channel=<key>  a demo page embedding the widget with the one-line snippet,
 *                                   for trying a channel (default: the `web` channel); with
 *                                   `&user=<id>&hash=<hmac>[&name=<name>]` as a signed-in user
 */
import type { ChannelDirectory } from '../../actors/directory/channel.repository.ts';
import { DEFAULT_CHANNEL_KEY } from '../../actors/directory/channel.repository.ts';
import { json, respondAsync, send, text, type Reply } from '../http.ts';
import type { RouteModule } from '../server.ts';
import { CHANNEL_KEY_PATTERN } from './wire.ts';

export function widgetRoutes(deps: { channels: ChannelDirectory; ownOrigin: () => string; onError: (error: unknown) => void }): RouteModule {
  return (app) => {
    app.get('/widget/v1/channels/:key', (res, req) => {
      const key = req.getParameter(0) ?? '';
      respondAsync(
        res,
        async (): Promise<Reply> => {
          const channel = CHANNEL_KEY_PATTERN.test(key) ? await deps.channels.byKey(key) : null;
          if (!channel) return withCors(json(404, { code: 'CHANNEL_UNKNOWN', message: 'no such channel', temporary: false }));
          return withCors(json(200, { key: channel.key, name: channel.name, appearance: channel.appearance }), 'public, max-age=60');
        },
        deps.onError,
      );
    });

    app.get('/test/widget', (res, req) => {
      const query = new URLSearchParams(req.getQuery() ?? '');
      const key = query.get('channel') ?? DEFAULT_CHANNEL_KEY;
      if (!CHANNEL_KEY_PATTERN.test(key)) {
        send(res, text(400, 'channel: letters, digits, _ or -, at most 64'));
        return;
      }
      const user = signedInUser(query);
      if (user === 'invalid') {
        send(res, text(400, 'user: at most 128 characters, with hash: 64 hex digits (name: at most 100)'));
        return;
      }
      send(res, {
        status: 200,
        body: testPage(key, deps.ownOrigin(), user),
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          // The page runs only the widget: no inline script; the widget styles its shadow root inline.
          'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' https: data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        },
      });
    });
  };
}

function withCors(reply: Reply, cache = 'no-store'): Reply {
  return { ...reply, headers: { ...reply.headers, 'access-control-allow-origin': '*', 'cache-control': cache } };
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

type SignedInUser = { id: string; hash: string; name: string | null };

/** The signed-in user the test page plays (none without `user`); 'invalid' when the parameters are malformed. */
function signedInUser(query: URLSearchParams): SignedInUser | null | 'invalid' {
  const id = query.get('user');
  if (id === null) return null;
  const hash = query.get('hash') ?? '';
  const name = query.get('name');
  if (id.length < 1 || id.length > 128 || !/^[0-9a-fA-F]{64}$/.test(hash) || (name !== null && name.length > 100)) return 'invalid';
  return { id, hash, name };
}

/** The widget's data-user-* attributes, escaped (the values come from the query string). */
const userAttributes = (user: SignedInUser | null): string =>
  user ? ` data-user-id="${escapeHtml(user.id)}" data-user-hash="${escapeHtml(user.hash)}"${user.name !== null ? ` data-user-name="${escapeHtml(user.name)}"` : ''}` : '';

/** `key` is already restricted to [A-Za-z0-9_-], so it needs no escaping. */
function testPage(key: string, origin: string, user: SignedInUser | null): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kefu widget test page · ${key}</title>
<style>
  body { margin: 0; font: 15px/1.6 -apple-system, BlinkMacSystemFont, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif; color: #1f2329; background: #f7f8fa; }
  header { background: #fff; border-bottom: 1px solid #e4e6e8; padding: 16px 32px; display: flex; align-items: center; gap: 12px; }
  header strong { font-size: 18px; }
  main { max-width: 760px; margin: 32px auto; padding: 0 24px; }
  .card { background: #fff; border: 1px solid #e4e6e8; border-radius: 12px; padding: 24px; margin-bottom: 20px; }
  code { background: #f2f3f5; padding: 2px 6px; border-radius: 4px; font-size: 13px; word-break: break-all; }
  h1 { font-size: 24px; margin: 0 0 8px; }
</style>
</head>
<body>
<header><strong>Kefu</strong><span>widget test page</span></header>
<main>
  <div class="card">
    <h1>Try the chat widget</h1>
    <p>This page embeds channel <code>${key}</code> exactly as a website would, with one line:</p>
    <p><code>&lt;script src="${escapeHtml(origin)}/widget.js" data-channel="${key}" async&gt;&lt;/script&gt;</code></p>
    <p>Open the chat with the button in the corner. Reload the page in the middle of a conversation: it continues.
       Another channel: <code>/test/widget?channel=KEY</code>; as a signed-in user of the site:
       <code>&amp;user=ID&amp;hash=HMAC</code>.</p>
  </div>
  <div class="card">
    <p>Shop demo · 示例商店</p>
    <p>Questions about an order, a delivery or a refund? Our agents are here to help. 订单、物流、退款问题，欢迎随时咨询。</p>
  </div>
</main>
<script src="/widget.js" data-channel="${key}"${userAttributes(user)} async></script>
</body>
</html>
`;
}
