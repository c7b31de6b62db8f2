/**
 * Small helpers for uWebSockets.js HTTP handlers. The rules they encode (from uWS's own examples):
 * - copy what you need out of `req` before any `await` (it is stack-allocated and dies with the
 *   synchronous handler);
 * - an async handler must register `onAborted`, and must not touch `res` after the client went away;
 * - writes after an `await` go inside `res.cork()` so status, headers and body leave in one packet.
 */
import type { HttpResponse } from 'uWebSockets.js';

export type Reply = {
  readonly status: number;
  readonly body: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
};

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: '200 OK',
  201: '201 Created',
  204: '204 No Content',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  413: '413 Content Too Large',
  415: '415 Unsupported Media Type',
  423: '423 Locked',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

/** Headers every response carries. */
const BASE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function send(res: HttpResponse, reply: Reply): void {
  res.cork(() => {
    res.writeStatus(STATUS_TEXT[reply.status] ?? String(reply.status));
    for (const [name, value] of Object.entries({ ...BASE_HEADERS, ...reply.headers })) res.writeHeader(name, value);
    res.end(reply.body);
  });
}

export const text = (status: number, body: string, contentType = 'text/plain; charset=utf-8'): Reply => ({
  status,
  body,
  headers: { 'content-type': contentType, 'cache-control': 'no-store' },
});

export const json = (status: number, value: unknown): Reply =>
  text(status, JSON.stringify(value), 'application/json; charset=utf-8');

/**
 * Runs an async handler; answers 500 if it throws, and nothing at all if the client aborted.
 * `onError` receives unexpected errors for logging.
 */
export function respondAsync(res: HttpResponse, handler: () => Promise<Reply>, onError: (error: unknown) => void): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  handler().then(
    (reply) => {
      if (!aborted) send(res, reply);
    },
    (error: unknown) => {
      onError(error);
      if (!aborted) send(res, json(500, { code: 'INTERNAL', message: 'internal error', temporary: true }));
    },
  );
}

/**
 * Reads a request's whole body, or reports 'too-large' (and stops buffering) past `maxBytes`.
 * `hasBody`: whether the request announced one (content-length or transfer-encoding) — uWS calls
 * `onData` only then.
 */
export function readBody(res: HttpResponse, hasBody: boolean, maxBytes: number, done: (body: Buffer | 'too-large') => void): void {
  if (!hasBody) {
    done(Buffer.alloc(0));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  res.onData((chunk, isLast) => {
    if (!over) {
      size += chunk.byteLength;
      if (size > maxBytes) over = true;
      // uWS reuses the chunk's memory after this callback: copy it.
      else chunks.push(Buffer.from(chunk.slice(0)));
    }
    if (isLast) done(over ? 'too-large' : Buffer.concat(chunks));
  });
}
