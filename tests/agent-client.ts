/**
 * An agent protocol v1 client for tests and benchmarks: a workstation tab speaking only the public
 * protocol (docs/protocol/agent.md), signed in with a session cookie; records every frame and waits
 * for the ones a test expects.
 */
import WebSocket from 'ws';
import type { AgentServerFrame } from '../gateways/agent/wire.ts';

type FrameOf<T extends AgentServerFrame['type']> = Extract<AgentServerFrame, { type: T }>;

export class AgentClient {
  readonly ws: WebSocket;
  readonly frames: AgentServerFrame[] = [];
  readonly closed: Promise<number>;
  readonly opened: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(url: string, options: { cookie?: string | null; origin?: string } = {}) {
    const headers: Record<string, string> = options.cookie ? { cookie: options.cookie } : {};
    this.ws = new WebSocket(url, { headers, ...(options.origin ? { origin: options.origin } : {}) });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
    this.ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as AgentServerFrame);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.ws.on('close', () => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async connect(url: string, options: { cookie?: string | null; origin?: string } = {}): Promise<AgentClient> {
    const client = new AgentClient(url, options);
    await client.opened;
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame of this type (after index `from`) that matches; waits up to `ms` for it. */
  async next<T extends AgentServerFrame['type']>(type: T, match: (f: FrameOf<T>) => boolean = () => true, options: { from?: number; ms?: number } = {}): Promise<FrameOf<T>> {
    const ms = options.ms ?? 10_000;
    const deadline = Date.now() + ms;
    let from = options.from ?? 0;
    for (;;) {
      for (; from < this.frames.length; from++) {
        const f = this.frames[from]!;
        if (f.type === type && match(f as FrameOf<T>)) return f as FrameOf<T>;
      }
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`connection closed while waiting for a ${type} frame; got ${JSON.stringify(this.frames)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} frame within ${ms} ms; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async hello(fields: Record<string, unknown> = {}): Promise<FrameOf<'welcome'>> {
    this.send({ type: 'hello', v: 1, ...fields });
    return this.next('welcome');
  }

  close(): void {
    this.ws.close();
  }
}
