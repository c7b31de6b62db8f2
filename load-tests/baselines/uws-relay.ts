/**
 * Baseline for `npm run bench:e2e`: a bare uWebSockets.js relay. A client joins a pair
 * (`/ws?pair=<k>&side=v|a`); every text frame it sends is acknowledged to it (`{"ack":id}`) and
 * forwarded to the other side of its pair — the transport's share of a chat message, without
 * routing, actors or durability. `PORT` from the environment; `GET /ready` answers once listening.
 */
import { App, type WebSocket } from 'uWebSockets.js';

type Peer = { pair: string; side: string };
const pairs = new Map<string, { v?: WebSocket<Peer>; a?: WebSocket<Peer> }>();

App()
  .ws<Peer>('/ws', {
    maxPayloadLength: 65_536,
    idleTimeout: 0,
    upgrade: (res, req, context) => {
      const query = new URLSearchParams(req.getQuery() ?? '');
      res.upgrade({ pair: query.get('pair') ?? '', side: query.get('side') ?? 'v' }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      const { pair, side } = ws.getUserData();
      const entry = pairs.get(pair) ?? {};
      entry[side as 'v' | 'a'] = ws;
      pairs.set(pair, entry);
    },
    message: (ws, message) => {
      const { pair, side } = ws.getUserData();
      const text = Buffer.from(message).toString();
      const { id } = JSON.parse(text) as { id: string };
      ws.send(JSON.stringify({ ack: id }));
      pairs.get(pair)?.[side === 'v' ? 'a' : 'v']?.send(text);
    },
    close: (ws) => {
      const { pair, side } = ws.getUserData();
      const entry = pairs.get(pair);
      if (entry) delete entry[side as 'v' | 'a'];
    },
  })
  .get('/ready', (res) => void res.end('ok'))
  .listen('127.0.0.1', Number(process.env['PORT']), () => undefined);
