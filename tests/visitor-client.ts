/**
 * A visitor protocol v1 client for tests and benchmarks: speaks only the public protocol
 * (docs/protocol/visitor.md), records every frame, and waits for the ones a test expects.
 */
import WebSocket from 'ws';
import type { VisitorServerFrame } from '../gateways/visitor/wire.ts';

type FrameOf<T extends VisitorServerFrame['type']> = Extract<VisitorServerFrame, { type: T }>;

export class VisitorClient {
  readonly ws: WebSocket;
  readonly frames: VisitorServerFrame[] = [];
  /** Resolves with the close code once the server (or the client) closed the connection. */
  readonly closed: Promise<number>;
  readonly opened: Promise<void>;
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
      this.frames.push(JSON.parse(String(data)) as VisitorServerFrame);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.ws.on('close', () => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async connect(url: string, options: { origin?: string } = {}): Promise<VisitorClient> {
    const client = new VisitorClient(url, options);
    await client.opened;
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  sendRaw(data: Buffer | string): void {
    this.ws.send(data);
  }

  /** The first frame of this type (after index `from`) that matches; waits up to `ms` for it. */
  next<T extends VisitorServerFrame['type']>(type: T, match: (f: FrameOf<T>) => boolean = () => true, options: { from?: number; ms?: number } = {}): Promise<FrameOf<T>> {
    return this.nextWhere((f): f is FrameOf<T> => f.type === type && match(f as FrameOf<T>), { ...options, what: type });
  }

  /** The first frame (after index `from`) that matches; waits up to `ms` for it. */
  async nextWhere<F extends VisitorServerFrame>(match: (f: VisitorServerFrame) => f is F, options: { from?: number; ms?: number; what?: string } = {}): Promise<F> {
    const ms = options.ms ?? 10_000;
    const what = options.what ?? 'matching';
    const deadline = Date.now() + ms;
    let from = options.from ?? 0;
    for (;;) {
      for (; from < this.frames.length; from++) {
        const f = this.frames[from]!;
        if (match(f)) return f;
      }
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`connection closed while waiting for a ${what} frame; got ${JSON.stringify(this.frames.map((f) => f.type))}`);
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

  /** Says hello and waits for the welcome. */
  async hello(fields: Record<string, unknown> = {}): Promise<FrameOf<'welcome'>> {
    this.send({ type: 'hello', v: 1, ...fields });
    return this.next('welcome');
  }

  messages(): FrameOf<'message'>[] {
    return this.frames.filter((f): f is FrameOf<'message'> => f.type === 'message');
  }

  close(): void {
    this.ws.close();
  }
}
