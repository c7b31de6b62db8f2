/**
 * The simulated people of a load run, speaking only the public protocols over real WebSockets:
 * a visitor (connect, ask for a human, chat at a pace, drop and resume, leave) and an agent desk
 * (ready, accept what is assigned, answer every visitor message). Many of each share this one
 * process and its event loop — connections are cheap here, unlike one VU per connection.
 *
 * Messages carry who sent them and when (`v:<visitor>:<n>@<ms>`, `a:<visitor>:<n>@<ms>`), so
 * delivery latency is measured on one clock and every acknowledged message is checked off on
 * the other side (`lost`).
 */
import WebSocket from 'ws';
import { AGENT_PROTOCOL_VERSION } from '../../gateways/agent/wire.ts';
import { VISITOR_PROTOCOL_VERSION } from '../../gateways/visitor/wire.ts';
import type { Measurements } from './slo.ts';

type Frame = { readonly type: string; readonly [key: string]: unknown };

/** One WebSocket speaking JSON frames; `until` waits for a frame that matches. */
class JsonSocket {
  readonly #ws: WebSocket;
  readonly #waiters = new Set<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void }>();
  onFrame: (frame: Frame) => void = () => undefined;
  readonly closed: Promise<number>;
  #open = false;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      for (const w of this.#waiters) {
        if (w.match(frame)) {
          this.#waiters.delete(w);
          w.resolve(frame);
        }
      }
      this.onFrame(frame);
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<JsonSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const socket = new JsonSocket(ws);
      ws.once('open', () => {
        socket.#open = true;
        resolve(socket);
      });
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return this.#open && this.#ws.readyState === WebSocket.OPEN;
  }

  send(frame: Frame): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(frame));
  }

  /** The next frame matching, or a rejection after `ms` (or when the socket closes first). */
  until(match: (f: Frame) => boolean, ms: number, what: string): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (f: Frame) => (clearTimeout(timer), resolve(f)) };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no ${what} within ${ms} ms`));
      }, ms);
      this.#waiters.add(waiter);
      void this.closed.then((code) => {
        if (this.#waiters.delete(waiter)) {
          clearTimeout(timer);
          reject(new Error(`closed (${code}) while waiting for ${what}`));
        }
      });
    });
  }

  /** Pings every half heartbeat (a silent connection is closed after two), until closed. */
  keepAlive(heartbeatMs: number): void {
    const timer = setInterval(() => this.send({ type: 'ping' }), Math.max(500, heartbeatMs / 2));
    timer.unref();
    void this.closed.then(() => clearInterval(timer));
  }

  close(): void {
    this.#ws.close(1000);
  }
}

const stamp = (kind: 'v' | 'a', visitor: string, n: number): string => `${kind}:${visitor}:${n}@${performance.now().toFixed(3)}`;
const parseStamp = (text: unknown): { kind: string; key: string; sentAt: number } | null => {
  const m = typeof text === 'string' ? /^([va]):([\w-]+:\d+)@(\d+(?:\.\d+)?)$/.exec(text) : null;
  return m ? { kind: m[1]!, key: m[2]!, sentAt: Number(m[3]) } : null;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What visitors and agents of one run share: where to connect, what was measured, what was acknowledged and received. */
export class LoadRun {
  readonly url: string;
  readonly measured: Measurements;
  /** Visitor messages acknowledged, in conversations an agent was assigned to; and those an agent's desk received. */
  readonly visitorAcked = new Set<string>();
  readonly agentReceived = new Set<string>();
  /** Agent replies acknowledged; and those their visitor received. */
  readonly agentAcked = new Set<string>();
  readonly visitorReceived = new Set<string>();
  #open = 0;

  constructor(url: string, measured: Measurements) {
    this.url = url.replace(/\/$/, '');
    this.measured = measured;
  }

  opened(): void {
    this.#open++;
    this.measured.peak('connections_peak', this.#open);
  }
  closed(): void {
    this.#open--;
  }

  /** Acknowledged messages the other side never received. */
  lost(): number {
    let lost = 0;
    for (const key of this.visitorAcked) if (!this.agentReceived.has(key)) lost++;
    for (const key of this.agentAcked) if (!this.visitorReceived.has(key)) lost++;
    return lost;
  }

  get wsBase(): string {
    return this.url.replace(/^http/, 'ws');
  }
}

export type VisitorPlan = {
  readonly channelKey: string;
  readonly messages: number;
  readonly intervalMs: number;
  /** Drop the connection once, halfway, and resume with the token and the last seq seen. */
  readonly resume: boolean;
  /** Ask for a human and wait (up to this long) before chatting; null: chat with whoever is there (the queue). */
  readonly waitForAgentMs: number | null;
};

/** One visitor's session, start to leave. Resolves when it ended (failures are counted, not thrown). */
export async function visitorSession(run: LoadRun, id: string, plan: VisitorPlan): Promise<void> {
  const m = run.measured;
  m.add('visitors_started');
  let socket: JsonSocket | null = null;
  let lastSeq = 0;
  let connectedAt = 0;
  const replies = new Set<string>();
  const listen = (s: JsonSocket) => {
    s.onFrame = (f) => {
      if (f.type === 'message') {
        lastSeq = Math.max(lastSeq, Number(f.seq));
        const stamped = parseStamp(f.text);
        if (stamped?.kind === 'a' && !replies.has(stamped.key)) {
          replies.add(stamped.key);
          run.visitorReceived.add(stamped.key);
          // A reply sent while this visitor was away comes with the replay: not a delivery latency.
          if (stamped.sentAt >= connectedAt) m.record('delivery_to_visitor_ms', performance.now() - stamped.sentAt);
        }
      } else if (f.type === 'error' && f.code !== 'RATE_LIMITED') {
        m.error(`visitor ${id}: error ${String(f.code)}: ${String(f.message)}`);
      }
    };
  };
  const connect = async (hello: Record<string, unknown>): Promise<Frame> => {
    socket = await JsonSocket.open(`${run.wsBase}/ws/visitor/${plan.channelKey}`);
    connectedAt = performance.now();
    run.opened();
    void socket.closed.then(() => run.closed());
    listen(socket);
    const welcome = socket.until((f) => f.type === 'welcome', 10_000, 'welcome');
    socket.send({ type: 'hello', v: VISITOR_PROTOCOL_VERSION, ...hello });
    const welcomed = await welcome;
    socket.keepAlive(Number(welcomed.heartbeatMs));
    return welcomed;
  };
  try {
    const welcome = await connect({});
    const token = String(welcome.token);
    let served = false;
    if (plan.waitForAgentMs !== null) {
      const asked = performance.now();
      const assigned = socket!.until((f) => f.type === 'status' && f.status === 'assigned', plan.waitForAgentMs, 'an agent');
      socket!.send({ type: 'start' });
      try {
        await assigned;
        served = true;
        m.record('assignment_ms', performance.now() - asked);
        m.add('visitors_served');
      } catch {
        socket!.send({ type: 'close' }); // waited long enough: leaves (counted by the server as abandoned)
        socket!.close();
        return;
      }
    }
    for (let n = 1; n <= plan.messages; n++) {
      const key = `${id}:${n}`;
      const clientMsgId = `${id}-${n}`;
      const sentAt = performance.now();
      const ack = socket!.until((f) => f.type === 'ack' && f.clientMsgId === clientMsgId, 15_000, `ack of ${clientMsgId}`);
      socket!.send({ type: 'message', clientMsgId, text: stamp('v', id, n) });
      await ack;
      m.record('ack_visitor_ms', performance.now() - sentAt);
      m.add('messages_acked');
      if (served) run.visitorAcked.add(key);
      if (plan.resume && n === Math.ceil(plan.messages / 2)) {
        socket!.close();
        await socket!.closed;
        const reconnecting = performance.now();
        await connect({ token, lastSeq });
        m.record('resume_ms', performance.now() - reconnecting);
      }
      if (n < plan.messages) await sleep(plan.intervalMs);
    }
    if (served) {
      // The agent answers every message: wait (a little) for the last answers before leaving.
      const deadline = performance.now() + 10_000;
      while (replies.size < plan.messages && performance.now() < deadline) await sleep(50);
    }
    socket!.send({ type: 'close' });
    m.add('visitors_completed');
  } catch (error) {
    m.error(`visitor ${id}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    (socket as JsonSocket | null)?.close();
  }
}

/** An agent's desk: ready, accepts what it is assigned, answers each visitor message at once. */
export class AgentDesk {
  readonly #run: LoadRun;
  readonly #name: string;
  #socket: JsonSocket | null = null;
  #stopping = false;
  #replies = 0;

  constructor(run: LoadRun, name: string) {
    this.#run = run;
    this.#name = name;
  }

  async start(cookie: string): Promise<void> {
    const run = this.#run;
    const m = run.measured;
    const socket = await JsonSocket.open(`${run.wsBase}/ws/agent`, { cookie });
    this.#socket = socket;
    run.opened();
    void socket.closed.then((code) => {
      run.closed();
      if (!this.#stopping) m.error(`agent ${this.#name}: connection closed (${code})`);
    });
    const welcome = socket.until((f) => f.type === 'welcome', 10_000, 'welcome');
    socket.send({ type: 'hello', v: AGENT_PROTOCOL_VERSION, status: 'ready' });
    const welcomed = await welcome;
    const me = (welcomed.agent as { id: string }).id;
    socket.keepAlive(Number(welcomed.heartbeatMs));
    const accepted = new Set<string>();
    const answered = new Set<string>();
    socket.onFrame = (f) => {
      if (f.type === 'conversation' && f.status === 'assigned' && f.accepted === false && f.agentId === me) {
        const id = String(f.conversationId);
        if (!accepted.has(id)) {
          accepted.add(id);
          socket.send({ type: 'accept', conversationId: id });
        }
      } else if (f.type === 'message' && (f.from as { kind?: string } | undefined)?.kind === 'visitor') {
        const stamped = parseStamp(f.text);
        if (!stamped || stamped.kind !== 'v' || answered.has(stamped.key)) return;
        answered.add(stamped.key);
        run.agentReceived.add(stamped.key);
        m.record('delivery_to_agent_ms', performance.now() - stamped.sentAt);
        void this.#answer(String(f.conversationId), stamped.key);
      } else if (f.type === 'error' && f.code !== 'RATE_LIMITED') {
        m.error(`agent ${this.#name}: error ${String(f.code)}: ${String(f.message)}`);
      }
    };
  }

  async #answer(conversationId: string, key: string): Promise<void> {
    const socket = this.#socket!;
    const m = this.#run.measured;
    const [visitor, n] = key.split(':') as [string, string];
    const clientMsgId = `r${++this.#replies}-${visitor}`.slice(0, 64);
    const sentAt = performance.now();
    try {
      const ack = socket.until((f) => f.type === 'ack' && f.clientMsgId === clientMsgId, 15_000, `ack of ${clientMsgId}`);
      socket.send({ type: 'message', conversationId, clientMsgId, text: stamp('a', visitor, Number(n)) });
      await ack;
      m.record('ack_agent_ms', performance.now() - sentAt);
      m.add('messages_acked');
      this.#run.agentAcked.add(key);
    } catch (error) {
      if (!this.#stopping) m.error(`agent ${this.#name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  stop(): void {
    this.#stopping = true;
    this.#socket?.close();
  }
}
