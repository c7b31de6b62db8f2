/**
 * The desk's one WebSocket to the agent gateway (`/ws/agent`, docs/protocol/agent.md): `hello` on
 * every open (naming the conversations it watched), `ping` within the heartbeat, reconnecting with jittered exponential backoff after any
 * close the protocol says to reconnect after (4000–4499, or the network), stopping on a final one
 * (4500–4999). After each `welcome` it asks for what it missed (`history` after the last `seq`
 * held) and resends the messages the gateway has not acknowledged, with their `clientMsgId`; a
 * conversation that arrives later (assigned, transferred to me) has its history asked for once.
 *
 * Frames are handed on in batches (everything that arrived within one turn of the event loop), so
 * a long history answer is one state update, not ten thousand.
 */
import type { AgentClientFrame } from '../../../../gateways/agent/wire.ts';
import { involves, lastSeqHeld, toResend, watchedIds, type ConnectionState, type DeskEvent, type DeskState, type ServerFrame } from './state.ts';

export type ClientFrame = AgentClientFrame;

/** 4000–4499: reconnect; 4500–4999: final (4501: the session ended). */
const SIGNED_OUT = 4501;
const isFinal = (code: number): boolean => code >= 4500 && code <= 4999;
/** At most this many watched conversations in a `hello` (the gateway's AGENT_LIMITS.maxWatching; not imported: it would bring the wire schemas into the page). */
const MAX_WATCHING = 50;

/**
 * History requests come in bulk (one per conversation after a welcome): they go out at most
 * HISTORY_BURST at once, then HISTORY_PER_SECOND — inside the gateway's frame budget (a burst of
 * 60, then 20/s), with room left for what the agent does meanwhile.
 */
const HISTORY_BURST = 30;
const HISTORY_PER_SECOND = 10;

export const backoffMs = (attempt: number, random: () => number = Math.random): number => Math.min(15_000, 500 * 2 ** attempt) * (0.5 + random() / 2);

export interface DeskConnectionOptions {
  readonly url: string;
  /** The state as the desk holds it now (what to resend, where each history starts). */
  readonly current: () => DeskState;
  /** Conversations this tab watched before a reload (the state no longer holds them): named in `hello` too. */
  readonly watchedBefore?: () => readonly string[];
  readonly onEvents: (events: DeskEvent[]) => void;
}

export class DeskConnection {
  readonly #options: DeskConnectionOptions;
  #socket: WebSocket | null = null;
  #attempt = 0;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #lastHeard = 0;
  #pending: DeskEvent[] = [];
  #flush: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;
  #welcomedAs = '';
  #historyQueue: { conversationId: string; afterSeq: number }[] = [];
  #historyTokens = HISTORY_BURST;
  #historyRefilledAt = 0;
  #historyTimer: ReturnType<typeof setTimeout> | null = null;
  /** Conversations whose history this connection has asked for (all of the welcome's, then each newcomer once). */
  #historyAsked = new Set<string>();
  #state: ConnectionState = 'connecting';

  constructor(options: DeskConnectionOptions) {
    this.#options = options;
    addEventListener('online', this.#reconnectNow);
  }

  start(): void {
    this.#open();
  }

  /** Closes for good (signing out, leaving the page). */
  stop(): void {
    this.#stopped = true;
    removeEventListener('online', this.#reconnectNow);
    this.#clearTimers();
    this.#socket?.close(1000);
    this.#socket = null;
  }

  /** Sends a frame if connected; false when not (the screen says so; messages wait in the outbox). */
  send(frame: ClientFrame): boolean {
    if (this.#state !== 'online' || this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify(frame));
    return true;
  }

  /** The agent opened this conversation: if its history still waits its turn, it goes first. */
  prioritize(conversationId: string): void {
    const at = this.#historyQueue.findIndex((h) => h.conversationId === conversationId);
    if (at > 0) this.#historyQueue.unshift(...this.#historyQueue.splice(at, 1));
  }

  get connected(): boolean {
    return this.#state === 'online';
  }

  #open(): void {
    if (this.#stopped) return;
    this.#setState(this.#attempt === 0 ? 'connecting' : 'reconnecting');
    const socket = new WebSocket(this.#options.url);
    this.#socket = socket;
    socket.onopen = () => {
      this.#lastHeard = Date.now();
      // The conversations this desk watched stay watched across the reconnect (the welcome lists them).
      const watching = [...new Set([...watchedIds(this.#options.current()), ...(this.#options.watchedBefore?.() ?? [])])].slice(0, MAX_WATCHING);
      socket.send(JSON.stringify({ type: 'hello', v: 1, ...(watching.length > 0 ? { watching } : {}) } satisfies ClientFrame));
    };
    socket.onmessage = (e) => {
      this.#lastHeard = Date.now();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(e.data)) as ServerFrame;
      } catch {
        return;
      }
      if (frame.type === 'welcome') this.#welcomed(frame);
      this.#push({ kind: 'frame', frame, now: Date.now() });
      if (frame.type === 'welcome') this.#catchUp(frame);
      if (frame.type === 'conversation') this.#arrived(frame);
    };
    socket.onclose = (e) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#clearTimers();
      if (this.#stopped) return;
      if (isFinal(e.code)) {
        this.#setState(e.code === SIGNED_OUT ? 'signed-out' : 'refused');
        return;
      }
      this.#setState('reconnecting');
      this.#retry = setTimeout(() => this.#open(), backoffMs(this.#attempt++));
    };
  }

  #welcomed(welcome: Extract<ServerFrame, { type: 'welcome' }>): void {
    this.#attempt = 0;
    this.#welcomedAs = welcome.agent.id;
    this.#state = 'online';
    // Ping at half the interval the gateway asks for; a gateway silent for two intervals is gone.
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastHeard > 2 * welcome.heartbeatMs) this.#socket?.close(4001);
      else this.send({ type: 'ping' });
    }, welcome.heartbeatMs / 2);
  }

  /** After a welcome: the messages missed while away, and mine not yet acknowledged. */
  #catchUp(welcome: Extract<ServerFrame, { type: 'welcome' }>): void {
    const state = this.#options.current();
    this.#historyAsked = new Set(welcome.conversations.map((c) => c.conversationId));
    for (const info of welcome.conversations) {
      const known = state.conversations[info.conversationId];
      const after = known ? lastSeqHeld(known) : 0;
      this.#askHistory(info.conversationId, after);
      for (const o of known ? toResend(known) : []) {
        this.send({ type: 'message', conversationId: info.conversationId, clientMsgId: o.clientMsgId, text: o.text, ...(o.file ? { file: { id: o.file.id } } : {}) });
      }
    }
  }

  /** A conversation newly on my side (assigned, transferred, invited to): what it holds so far. */
  #arrived(info: Extract<ServerFrame, { type: 'conversation' }>): void {
    if (!involves(info, this.#welcomedAs) || info.status === 'closed' || this.#historyAsked.has(info.conversationId)) return;
    this.#historyAsked.add(info.conversationId);
    this.#askHistory(info.conversationId, 0);
  }

  #askHistory(conversationId: string, afterSeq: number): void {
    this.#historyQueue.push({ conversationId, afterSeq });
    this.#pumpHistory();
  }

  #pumpHistory(): void {
    this.#historyTimer = null;
    const now = Date.now();
    this.#historyTokens = Math.min(HISTORY_BURST, this.#historyTokens + ((now - this.#historyRefilledAt) / 1000) * HISTORY_PER_SECOND);
    this.#historyRefilledAt = now;
    while (this.#historyTokens >= 1 && this.#historyQueue.length > 0) {
      const { conversationId, afterSeq } = this.#historyQueue.shift()!;
      if (!this.send(afterSeq > 0 ? { type: 'history', conversationId, afterSeq } : { type: 'history', conversationId })) {
        this.#historyQueue = []; // not connected: the next welcome asks again
        return;
      }
      this.#historyTokens--;
    }
    if (this.#historyQueue.length > 0) this.#historyTimer = setTimeout(() => this.#pumpHistory(), 1000 / HISTORY_PER_SECOND);
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.#push({ kind: 'connection', state });
  }

  #push(event: DeskEvent): void {
    this.#pending.push(event);
    if (this.#flush !== null) return;
    this.#flush = setTimeout(() => {
      this.#flush = null;
      const events = this.#pending;
      this.#pending = [];
      this.#options.onEvents(events);
    }, 0);
  }

  readonly #reconnectNow = (): void => {
    if (this.#stopped || this.#socket || this.#retry === null) return;
    clearTimeout(this.#retry);
    this.#retry = null;
    this.#open();
  };

  #clearTimers(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#retry) clearTimeout(this.#retry);
    if (this.#historyTimer) clearTimeout(this.#historyTimer);
    this.#heartbeat = null;
    this.#retry = null;
    this.#historyTimer = null;
    this.#historyQueue = [];
  }
}
