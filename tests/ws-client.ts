/**
 * What the protocol clients of the tests share: one WebSocket, every server frame recorded in
 * order, and waiting for the frame a test expects (with a message naming what was awaited and
 * what came instead). `F` is the protocol's server frame union, discriminated by `type`.
 */
import WebSocket from 'ws';

export class FrameClient<F extends { readonly type: string }> {
  readonly ws: WebSocket;
  readonly frames: F[] = [];
  /** Resolves with the close code once the server (or the client) closed the connection. */
  readonly closed: Promise<number>;
  readonly opened: Promise<void>;
  /** How the connection was closed (code and reason), once it was: named in a failed wait. */
  #closedWith: string | null = null;
  #waiters: (() => void)[] = [];

  constructor(url: string, options: { origin?: string; headers?: Record<string, string> } = {}) {
    this.ws = new WebSocket(url, { ...(options.origin ? { origin: options.origin } : {}), ...(options.headers ? { headers: options.headers } : {}) });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
    this.ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as F);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    // An error after the open (say an invalid frame) closes the socket with 1006: it is named with the close.
    let failure = '';
    this.ws.on('error', (error) => (failure = `, after the error: ${error.message}`));
    this.ws.on('close', (code, reason) => {
      this.#closedWith = `${code}${reason.length > 0 ? ` ${String(reason)}` : ''}${failure}`;
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame of this type (after index `from`) that matches; waits up to `ms` for it. */
  next<T extends F['type']>(type: T, match: (f: Extract<F, { type: T }>) => boolean = () => true, options: { from?: number; ms?: number } = {}): Promise<Extract<F, { type: T }>> {
    return this.nextWhere((f): f is Extract<F, { type: T }> => f.type === type && match(f as Extract<F, { type: T }>), { ...options, what: type });
  }

  /** The first frame (after index `from`) that matches; waits up to `ms` for it. */
  async nextWhere<G extends F>(match: (f: F) => f is G, options: { from?: number; ms?: number; what?: string } = {}): Promise<G> {
    const ms = options.ms ?? 10_000;
    const what = options.what ?? 'matching';
    const deadline = Date.now() + ms;
    let from = options.from ?? 0;
    for (;;) {
      for (; from < this.frames.length; from++) {
        const f = this.frames[from]!;
        if (match(f)) return f;
      }
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`connection closed (${this.#closedWith ?? 'code unknown'}) while waiting for a ${what} frame; got ${JSON.stringify(this.frames.map((f) => f.type))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} frame within ${ms} ms; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}
