/**
 * Baseline for `npm run bench:e2e`: socket.io 4 doing the same work as the uWS relay — a client
 * joins a pair (handshake query `pair`, `side`), each `m` event it emits is acknowledged through
 * socket.io's ack callback and forwarded to the other side of its pair. WebSocket transport only.
 */
import { createServer } from 'node:http';
import { Server, type Socket } from 'socket.io';

const pairs = new Map<string, { v?: Socket; a?: Socket }>();
const http = createServer((_req, res) => res.end('ok'));
const io = new Server(http, { transports: ['websocket'], serveClient: false });
io.on('connection', (socket) => {
  const pair = String(socket.handshake.query['pair'] ?? '');
  const side = socket.handshake.query['side'] === 'a' ? 'a' : 'v';
  const entry = pairs.get(pair) ?? {};
  entry[side] = socket;
  pairs.set(pair, entry);
  socket.on('m', (payload: { id: string; t: number }, ack: (answer: { ack: string }) => void) => {
    ack({ ack: payload.id });
    pairs.get(pair)?.[side === 'v' ? 'a' : 'v']?.emit('m', payload);
  });
  socket.on('disconnect', () => {
    delete pairs.get(pair)?.[side];
  });
});
http.listen(Number(process.env['PORT']), '127.0.0.1');
