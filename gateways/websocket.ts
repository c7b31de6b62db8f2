/**
 * What the visitor and agent gateways do alike with their uWS WebSockets: the same socket limits,
 * frames sent and counted the same way (slow consumers closed), the same sweep interval for
 * heartbeats, one ordered chain of work per conversation, and the same wait for clients to go at
 * shutdown.
 */
import type { HttpResponse, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import type { SocketMetrics } from '../cluster/metrics.ts';

/**
 * What a gateway gives `upgrade`: its session under one property. uWS copies the properties of
 * that object onto its WebSocket object, and a session's twenty fields put it in V8's dictionary
 * mode (an 832-byte property table per connection, and slow lookups); with one field the socket
 * stays small and the session is an ordinary object (`ws.getUserData().session`).
 */
export type Attached<Session> = { readonly session: Session };

/**
 * Completes an upgrade that had to wait for something (a channel or session lookup) — deliberately
 * not inside `res.cork()`, which uWS otherwise asks for. In the uWS build Kefu runs (uws-pack
 * 20.0.8), a cork around an upgrade made outside uWS's own callbacks can shut the new WebSocket
 * down right after `open`: the socket is reallocated in place, and the cork's after-work reads
 * the HTTP state that is no longer there (uNetworking/uWebSockets#1928, fixed upstream by #1929).
 * Seen here as about one first connection in three of a fresh cluster closed with 1006 before its
 * hello was read. Without the cork the 101 goes out in a write of its own, and uWS prints its
 * "writes must be made from within a corked callback" warning for each such upgrade; when the wait
 * ended within uWS's callback (a cache hit) the socket is corked anyway and nothing is printed.
 */
export function upgradeAfterWait<T>(res: HttpResponse, userData: T, key: string, protocol: string, extensions: string, context: unknown): void {
  res.upgrade<T>(userData, key, protocol, extensions, context as Parameters<HttpResponse['upgrade']>[4]);
}

/** The uWS options every gateway socket gets, from its protocol's frame limit, its send-buffer ceiling and its heartbeat. */
export function socketLimits(input: { maxFrameBytes: number; maxBufferedBytes: number; heartbeatMs: number }): Pick<
  WebSocketBehavior<unknown>,
  'maxPayloadLength' | 'maxBackpressure' | 'closeOnBackpressureLimit' | 'idleTimeout' | 'sendPingsAutomatically'
> {
  return {
    // Frames a little over the protocol's limit get a FRAME_TOO_LARGE error from the decoder;
    // uWS itself closes (1009) a connection that sends more than this.
    maxPayloadLength: 4 * input.maxFrameBytes,
    // The backstop behind the gateway's own slow-consumer close: uWS drops the connection itself past this.
    maxBackpressure: 4 * input.maxBufferedBytes,
    closeOnBackpressureLimit: true,
    // Protocol heartbeats (ping/pong frames) decide liveness; this only reaps dead TCP connections.
    idleTimeout: Math.min(960, Math.max(8, Math.ceil((input.heartbeatMs * 4) / 1000 / 4) * 4)),
    sendPingsAutomatically: true,
  };
}

/**
 * Sends one frame as JSON text and counts it; a reader that lets more than `maxBufferedBytes` pile
 * up is a slow consumer: counted, and handed to `closeSlow` (the gateway closes it with its code).
 */
export function sendCounted<T>(ws: WebSocket<T>, frame: unknown, metrics: SocketMetrics, maxBufferedBytes: number, closeSlow: () => void): void {
  const text = JSON.stringify(frame);
  ws.send(text, false);
  metrics.sent(Buffer.byteLength(text));
  if (ws.getBufferedAmount() > maxBufferedBytes) {
    metrics.backpressure('closed');
    closeSlow();
  }
}

/** How often a gateway sweeps its connections for missed hellos and heartbeats. */
export const sweepIntervalMs = (heartbeatMs: number): number => Math.max(250, Math.min(5_000, heartbeatMs / 2));

/**
 * Work queued per key (a conversation's pushes) runs one item after another, so frames keep their
 * order even when turning a push into a frame awaits something; a key's chain is dropped once idle.
 */
export function serialPerKey(onError: (key: string, error: unknown) => void): (key: string, work: () => Promise<void>) => void {
  const chains = new Map<string, Promise<void>>();
  return (key, work) => {
    const next = (chains.get(key) ?? Promise.resolve()).then(work).catch((error: unknown) => onError(key, error));
    chains.set(key, next);
    void next.then(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
  };
}

/** After telling every client to go: waits up to `ms` for them to, so the close frames are not cut off. */
export async function untilGone(open: () => number, ms: number, clock: () => number): Promise<void> {
  const deadline = clock() + ms;
  while (open() > 0 && clock() < deadline) await new Promise((r) => setTimeout(r, 20));
}
