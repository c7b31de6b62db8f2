/**
 * The visitor gateway: the WebSocket of visitor protocol v1 (docs/protocol/visitor.md) at
 * `/ws/visitor/<channel key>` on the node's one uWS app.
 *
 * Before the upgrade: the Origin must be on the channel's allow-list (or be this node's own pages),
 * and the client address under its connection ceiling — refused with HTTP 403 / 429, no socket made.
 * After it: `hello` first (token, identity), then frames handled one at a time per connection, in
 * the order sent. Every frame is decoded and validated (`decodeVisitorFrame`) and rate-limited
 * before anything else happens; a refused frame changes nothing.
 *
 * A chat message is acknowledged only after the conversation actor committed it to the message log
 * (its answer carries the `ack`). Pushes of a conversation reach every tab showing it on this node
 * (`deliver`); on resume, the missed messages are read from the log and sent before any push that
 * arrived meanwhile, with nothing sent twice on one connection (a message is sent once per `seq`).
 *
 * A slow reader is closed (4002) when its send buffer passes MAX_BUFFERED_BYTES: the gateway never
 * buffers without bound for one client.
 */
import { randomBytes } from 'node:crypto';
import type { HttpResponse, TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { ConversationActorCommand } from '../../actors/conversation/conversation.actor.ts';
import type { FileStore } from '../../actors/conversation/file.repository.ts';
import type { ConversationEffect, Push, SharedFile } from '../../actors/conversation/protocol.ts';
import type { ConversationStatus, VisitorContext } from '../../actors/conversation/state.ts';
import type { ChannelConfig, ChannelDirectory } from '../../actors/directory/channel.repository.ts';
import type { KnownVisitor, VisitorDirectory } from '../../actors/directory/visitor.repository.ts';
import type { Delivered } from '../../cluster/actor-host.ts';
import type { MessageLog } from '../../cluster/message-log.ts';
import { NO_SOCKET_METRICS, type SocketMetrics } from '../../cluster/metrics.ts';
import type { ConversationSubscriptions } from '../../cluster/push-routing.ts';
import { json, send as sendHttp } from '../http.ts';
import { ConnectionsPerAddress, TokenBucket } from '../rate-limit.ts';
import type { RouteModule } from '../server.ts';
import { sendCounted, serialPerKey, socketLimits, sweepIntervalMs, untilGone, upgradeAfterWait, type Attached } from '../websocket.ts';
import { Connections } from './connections.ts';
import { deviceOf } from './device.ts';
import { agentOf, visitorFrameOf, type AgentNames } from './pushes.ts';
import {
  CHANNEL_KEY_PATTERN,
  CLOSE_CODES,
  RATE_LIMITED,
  VISITOR_LIMITS,
  VISITOR_PROTOCOL_VERSION,
  decodeVisitorFrame,
  type VisitorClientFrame,
  type VisitorServerFrame,
  type WireError,
} from './wire.ts';

export const VISITOR_WS_PATH = '/ws/visitor/:channel';

/** A connection whose unsent data passes this is a slow consumer: closed with 4002. */
export const MAX_BUFFERED_BYTES = 256 * 1024;
/** Frames per connection: a burst of 30, then 10 per second. */
const FRAME_BURST = 30;
const FRAMES_PER_SECOND = 10;
/** A connection that keeps sending refused frames is closed (4500), or flooding (4003). */
const MAX_REFUSED_IN_A_ROW = 20;
/** `hello` must arrive this soon after the upgrade. */
const HELLO_TIMEOUT_MS = 10_000;
/** Missed messages are replayed from the log in pages of this many. */
const REPLAY_PAGE = 200;

type Subscriptions = Pick<ConversationSubscriptions, 'follow' | 'unfollow'>;
type Send = (conversationId: string, command: ConversationActorCommand) => Promise<Delivered<ConversationEffect>>;

export type VisitorGatewayDeps = {
  readonly channels: ChannelDirectory;
  readonly visitors: VisitorDirectory;
  readonly log: MessageLog;
  /** This node's registrations with the conversations' owners (cluster/push-routing.ts): pushes come only for those followed. */
  readonly subscriptions: Subscriptions;
  /** Files uploaded to conversations, which messages may attach (docs/files.md). */
  readonly files: FileStore;
  readonly names: AgentNames;
  /** Sends a command to a conversation actor, wherever it lives. */
  readonly send: Send;
  /** Tells the other gateway nodes that a visitor is in a new conversation (their tabs of that visitor follow). */
  readonly announce: (visitorId: string, conversationId: string) => void;
  /** This node's own origin (its pages, e.g. /test/widget, may open any channel); known once it listens. */
  readonly ownOrigin: () => string;
  readonly connectionsPerAddress: number;
  readonly heartbeatMs: number;
  readonly onError: (what: string, error: unknown) => void;
  /** Time source for heartbeats and rate limits (monotonic ms). */
  readonly clock?: () => number;
  /** Frames, bytes, refusals and ack latency of this gateway's sockets (cluster/metrics.ts). */
  readonly metrics?: SocketMetrics;
};

type SocketData = {
  readonly address: string;
  readonly channel: ChannelConfig | null;
  readonly openedAt: number;
  readonly bucket: TokenBucket;
  visitor: KnownVisitor | null;
  /** A hello is being answered: the wait is this server's, not the client's silence. */
  greeting: boolean;
  conversationId: string | null;
  /** For the screen pop of a conversation this tab starts: the device (from the upgrade), the page and language (from hello). */
  readonly device: string | null;
  context: Omit<VisitorContext, 'device'> | null;
  /** Wall-clock time of the upgrade (ms since the epoch), for the online-visitors list. */
  readonly connectedAt: number;
  /** The highest message `seq` sent on this connection. */
  lastSentSeq: number;
  /** Pushes held back while missed messages are being replayed (null: not replaying). */
  held: VisitorServerFrame[] | null;
  lastFrameAt: number;
  refusedInARow: number;
  /** Frames of one connection are handled one after another. */
  work: Promise<void>;
  closed: boolean;
};

type Socket = WebSocket<Attached<SocketData>>;

/** A visitor on the site right now, as the online-visitors list shows them. */
export type OnlineVisitor = {
  readonly visitorId: string;
  readonly name: string | null;
  readonly identified: boolean;
  readonly channelId: string;
  readonly skillGroupId: string;
  readonly page: VisitorContext['page'];
  readonly locale: string | null;
  /** The browser's IANA time zone (e.g. `Asia/Shanghai`), if it said. */
  readonly timeZone: string | null;
  readonly device: string | null;
  /** When their most recent tab connected (ms since the epoch). */
  readonly since: number;
  readonly conversationId: string | null;
};

export type VisitorGateway = {
  readonly routes: RouteModule;
  /** A conversation's push, from its actor (any node). */
  deliver(conversationId: string, to: 'visitor' | 'agents' | 'everyone', push: Push): void;
  /** Another gateway's tab of this visitor started a conversation: tabs here follow it. */
  follow(visitorId: string, conversationId: string): void;
  /** The visitors of a tenant connected here, one entry per visitor (their most recent tab). */
  online(tenantId: string): OnlineVisitor[];
  /** An agent's invitation to chat, shown on this visitor's tabs here; answers how many tabs got it. */
  invite(tenantId: string, visitorId: string, invitation: Omit<Extract<VisitorServerFrame, { type: 'invitation' }>, 'type'>): number;
  /** The visitor was just blocked (any node): their tabs here are told and closed (4504), as a blocked `hello` is. */
  block(tenantId: string, visitorId: string): void;
  readonly connectionCount: number;
  /**
   * Graceful shutdown: tells every client to reconnect (4000: to another node, or to this one when
   * it is back) and waits up to `ms` for them to go, so the close frames are not cut off.
   */
  shutdown(ms: number): Promise<void>;
};

const BLOCKED_MESSAGE = 'this visitor is blocked from the chat';

const OPEN_STATUSES: ReadonlySet<ConversationStatus> = new Set(['new', 'bot', 'queued', 'assigned', 'transferred']);
/** What a conversation answers a message when it is not the one to write to (`ensureConversation` finds that one). */
const NOT_OPEN_REJECTIONS: ReadonlySet<string> = new Set(['CONVERSATION_CLOSED', 'CONVERSATION_NOT_OPEN', 'CONVERSATION_UNKNOWN']);

const wireError = (code: string, message: string, temporary: boolean, clientMsgId?: string): Extract<VisitorServerFrame, { type: 'error' }> => ({
  type: 'error',
  code,
  message,
  temporary,
  ...(clientMsgId !== undefined ? { clientMsgId } : {}),
});

/** The one mapping of failures to error frames: rejections are final; a runtime that could not reach the actor is temporary. */
function errorFrame(failure: unknown, clientMsgId?: string): Extract<VisitorServerFrame, { type: 'error' }> {
  if (typeof failure === 'object' && failure !== null && 'rejected' in failure) {
    const r = failure as { rejected: string; message: string };
    return wireError(r.rejected, r.message, false, clientMsgId);
  }
  return wireError('UNAVAILABLE', 'the conversation cannot be reached right now; try again', true, clientMsgId);
}

export function allowedOrigin(channel: ChannelConfig, origin: string, ownOrigin: string): boolean {
  // Browsers always send Origin on a WebSocket upgrade; a client without one is not a browser, and
  // the allow-list protects browsers' users, not the server.
  if (origin === '' || origin === ownOrigin) return true;
  return channel.allowedOrigins.includes('*') || channel.allowedOrigins.includes(origin);
}

export function visitorGateway(deps: VisitorGatewayDeps): VisitorGateway {
  const clock = deps.clock ?? (() => performance.now());
  const metrics = deps.metrics ?? NO_SOCKET_METRICS;
  const connections = new Connections<Socket>();
  const perAddress = new ConnectionsPerAddress(deps.connectionsPerAddress);
  /** Pushes of one conversation are turned into frames one after another, so they keep their order. */
  const inOrder = serialPerKey((conversationId, error) => deps.onError(`push to ${conversationId}`, error));

  // ---- sending ------------------------------------------------------------------------------

  function close(ws: Socket, code: number, reason: string): void {
    const data = ws.getUserData().session;
    if (data.closed) return;
    data.closed = true;
    ws.end(code, reason);
  }

  function sendFrame(ws: Socket, frame: VisitorServerFrame): void {
    const data = ws.getUserData().session;
    if (data.closed) return;
    if (frame.type === 'message') {
      if (frame.seq <= data.lastSentSeq) return; // already sent on this connection (replay and push overlap)
      data.lastSentSeq = frame.seq;
    }
    sendCounted(ws, frame, metrics, MAX_BUFFERED_BYTES, () => close(ws, CLOSE_CODES.SLOW_CONSUMER, 'slow consumer'));
  }

  /** A push for one connection: held while it replays, sent otherwise. */
  function pushFrame(ws: Socket, frame: VisitorServerFrame): void {
    const data = ws.getUserData().session;
    if (data.held) data.held.push(frame);
    else sendFrame(ws, frame);
  }

  // ---- conversations --------------------------------------------------------------------------

  async function describe(conversationId: string): Promise<{ status: ConversationStatus; agentId: string | null; lastSeq: number } | null> {
    const r = await deps.send(conversationId, { type: 'describe' });
    if (!r.ok) return null;
    const d = r.effects.find((e) => e.type === 'described');
    return d ? { status: d.status, agentId: d.agentId, lastSeq: d.lastSeq } : null;
  }

  /** The tab shows this conversation from now on; resolves once the conversation's owner sends its pushes here. */
  async function attach(ws: Socket, conversationId: string): Promise<void> {
    const data = ws.getUserData().session;
    const before = data.conversationId;
    if (before === conversationId) return;
    data.conversationId = conversationId;
    connections.attach(ws, conversationId);
    if (before) deps.subscriptions.unfollow(before);
    await deps.subscriptions.follow(conversationId);
  }

  /** The visitor's open conversation, started (or re-opened) if there is none. */
  async function ensureConversation(ws: Socket, start: { preChat?: Record<string, string>; requestedAgentId?: string }): Promise<string> {
    const data = ws.getUserData().session;
    const visitor = data.visitor!;
    const channel = data.channel!;
    const current = data.conversationId ?? (await deps.visitors.conversationOf(visitor.visitorId));
    if (current) {
      const described = await describe(current);
      if (described && OPEN_STATUSES.has(described.status)) {
        await attach(ws, current);
        return current;
      }
      if (described?.status === 'closed' && (await deps.send(current, { type: 'reopen' })).ok) {
        await attach(ws, current);
        return current;
      }
    }
    const conversationId = randomBytes(16).toString('base64url');
    // Every tab of the visitor shows the new conversation before it exists, so none misses its first pushes.
    await Promise.all(connections.ofVisitor(visitor.visitorId).map((tab) => attach(tab, conversationId)));
    const started = await deps.send(conversationId, {
      type: 'start',
      tenantId: channel.tenantId,
      channelId: channel.id,
      visitor: { visitorId: visitor.visitorId, displayName: visitor.displayName, identified: visitor.identified, vip: false, lastAgentId: null },
      open: {
        skillGroupId: channel.skillGroupId,
        requestedAgentId: start.requestedAgentId ?? null,
        preChat: start.preChat ?? {},
        context: { page: data.context?.page ?? null, locale: data.context?.locale ?? null, timeZone: data.context?.timeZone ?? null, device: data.device },
        bot: false,
        withinWorkingHours: true,
      },
    });
    if (!started.ok) throw started;
    await deps.visitors.setConversation(visitor.visitorId, conversationId);
    deps.announce(visitor.visitorId, conversationId);
    return conversationId;
  }

  /** Sends what the log holds after `afterSeq` (up to `through`, the last committed seq), then the pushes that arrived meanwhile. */
  async function replay(ws: Socket, conversationId: string, afterSeq: number, through: number): Promise<void> {
    const data = ws.getUserData().session;
    data.held ??= [];
    try {
      let from = afterSeq;
      for (;;) {
        const page = await deps.log.read(conversationId, from, { limit: REPLAY_PAGE, publicOnly: true, through });
        for (const m of page) {
          const frame = await visitorFrameOf({ kind: 'message', message: m }, deps.names);
          if (frame) sendFrame(ws, frame);
        }
        if (page.length < REPLAY_PAGE) break;
        from = page[page.length - 1]!.seq;
      }
    } finally {
      const held = data.held;
      data.held = null;
      for (const frame of held) sendFrame(ws, frame);
    }
  }

  // ---- frames ---------------------------------------------------------------------------------

  async function hello(ws: Socket, frame: Extract<VisitorClientFrame, { type: 'hello' }>): Promise<void> {
    const data = ws.getUserData().session;
    if (data.visitor) {
      sendFrame(ws, wireError('INVALID_FIELD', 'hello was already said on this connection', false));
      return;
    }
    if (frame.v !== VISITOR_PROTOCOL_VERSION) {
      sendFrame(ws, wireError('UNSUPPORTED_VERSION', `this gateway speaks visitor protocol v${VISITOR_PROTOCOL_VERSION}`, false));
      close(ws, CLOSE_CODES.UNSUPPORTED_VERSION, 'unsupported version');
      return;
    }
    data.greeting = true;
    try {
      await greet(ws, frame);
    } finally {
      data.greeting = false;
    }
  }

  async function greet(ws: Socket, frame: Extract<VisitorClientFrame, { type: 'hello' }>): Promise<void> {
    const data = ws.getUserData().session;
    const result = await deps.visitors.hello(
      data.channel!,
      { ...(frame.token !== undefined ? { token: frame.token } : {}), ...(frame.identity !== undefined ? { identity: frame.identity } : {}) },
      new Date(),
    );
    if (data.closed) return;
    if (!result.ok) {
      const messages = {
        IDENTITY_INVALID: 'the identity hash does not match this user id',
        IDENTITY_REQUIRED: 'this channel only serves signed-in visitors',
        TOKEN_INVALID: 'the token is unknown, expired or of another channel: start over without it',
        VISITOR_BLOCKED: BLOCKED_MESSAGE,
      } as const;
      sendFrame(ws, wireError(result.reason, messages[result.reason], false));
      // Blocked is final and keeps the token: starting over without it must not lift the ban.
      if (result.reason === 'VISITOR_BLOCKED') close(ws, CLOSE_CODES.BLOCKED, 'blocked');
      else close(ws, CLOSE_CODES.UNAUTHORIZED, 'unauthorized');
      return;
    }
    const visitor = result.visitor;
    const page = frame.page ? { url: frame.page.url, title: frame.page.title ?? null, referrer: frame.page.referrer ?? null } : null;
    data.context = { page, locale: frame.locale ?? null, timeZone: frame.timeZone ?? null };
    connections.identify(ws, visitor.visitorId);
    const first = visitor.conversationId ? await describe(visitor.conversationId) : null;
    if (data.closed) return;
    data.visitor = visitor;
    data.held = first ? [] : null; // pushes wait until the missed messages are out
    if (first) await attach(ws, visitor.conversationId!);
    if (data.closed) return;
    // Asked again once attached: a message committed in between is then replayed, later ones are pushed.
    const described = first ? ((await describe(visitor.conversationId!)) ?? first) : null;
    if (data.closed) return;
    sendFrame(ws, {
      type: 'welcome',
      v: VISITOR_PROTOCOL_VERSION,
      token: result.token,
      conversationId: described ? visitor.conversationId : null,
      status: described?.status ?? null,
      lastSeq: described?.lastSeq ?? 0,
      agent: described ? await agentOf(described.agentId, deps.names) : null,
      heartbeatMs: deps.heartbeatMs,
    });
    if (described) await replay(ws, visitor.conversationId!, frame.lastSeq ?? 0, described.lastSeq);
  }

  /** `receivedAt`: when the frame arrived (clock), for the ack latency. */
  async function handle(ws: Socket, frame: VisitorClientFrame, receivedAt: number): Promise<void> {
    const data = ws.getUserData().session;
    if (frame.type === 'ping') return sendFrame(ws, { type: 'pong' });
    if (!data.visitor && frame.type !== 'hello') {
      sendFrame(ws, wireError('INVALID_FIELD', 'the first frame must be hello', false));
      close(ws, CLOSE_CODES.PROTOCOL_VIOLATION, 'hello first');
      return;
    }
    const clientMsgId = frame.type === 'message' ? frame.clientMsgId : undefined;
    try {
      switch (frame.type) {
        case 'hello':
          // A temporary failure here (database down) leaves the connection without a visitor: the client may say hello again.
          return await hello(ws, frame);
        case 'start': {
          const conversationId = await ensureConversation(ws, {
            ...(frame.preChat ? { preChat: frame.preChat } : {}),
            ...(frame.requestedAgentId ? { requestedAgentId: frame.requestedAgentId } : {}),
          });
          const described = await describe(conversationId);
          if (described) sendFrame(ws, { type: 'status', status: described.status, agent: await agentOf(described.agentId, deps.names) });
          return;
        }
        case 'message': {
          const post = (file?: SharedFile) => ({ type: 'post-message', from: { kind: 'visitor' }, clientMsgId: frame.clientMsgId, text: frame.text, ...(file ? { file } : {}) }) as const;
          // The tab's conversation is normally open: the message goes to it at once (one command,
          // not a `describe` first). Only if it is not does the visitor's open conversation get
          // found, re-opened or started — what a tab without one does first (and a file's upload
          // is attached to the conversation it goes to, so a file always takes that way).
          const attached = frame.file ? undefined : data.conversationId;
          let r = attached ? await deps.send(attached, post()) : null;
          if (!r || (!r.ok && NOT_OPEN_REJECTIONS.has(r.rejected))) {
            const conversationId = await ensureConversation(ws, {});
            const file = frame.file ? await deps.files.attach(frame.file.id, conversationId, 'visitor', new Date()) : undefined;
            if (file === null) return sendFrame(ws, wireError('FILE_UNKNOWN', 'attach a file you uploaded to this conversation', false, clientMsgId));
            r = await deps.send(conversationId, post(file));
          }
          if (!r.ok) return sendFrame(ws, errorFrame(r, clientMsgId));
          const ack = r.effects.find((e) => e.type === 'ack');
          if (ack) {
            sendFrame(ws, { type: 'ack', clientMsgId: ack.clientMsgId, seq: ack.seq });
            metrics.acked((clock() - receivedAt) / 1000);
          }
          return;
        }
        case 'leave-message': {
          const conversationId = await ensureConversation(ws, {});
          const r = await deps.send(conversationId, { type: 'leave-message', text: frame.text, contact: frame.contact ?? null });
          if (!r.ok) sendFrame(ws, errorFrame(r));
          return;
        }
        case 'typing':
        case 'read':
        case 'rate':
        case 'close': {
          if (!data.conversationId) return sendFrame(ws, wireError('CONVERSATION_NONE', 'there is no conversation yet: send start or a message first', false));
          const command: ConversationActorCommand =
            frame.type === 'typing'
              ? { type: 'typing', from: { kind: 'visitor' }, typing: frame.typing }
              : frame.type === 'read'
                ? { type: 'read', by: { kind: 'visitor' }, seq: frame.seq }
                : frame.type === 'rate'
                  ? { type: 'rate', score: frame.score, comment: frame.comment ?? null }
                  : { type: 'close', by: { kind: 'visitor' }, summary: null };
          const r = await deps.send(data.conversationId, command);
          // Typing and read receipts are best effort: a closed conversation just ignores them.
          if (!r.ok && frame.type !== 'typing' && frame.type !== 'read') sendFrame(ws, errorFrame(r));
          return;
        }
      }
    } catch (failure) {
      if (!(typeof failure === 'object' && failure !== null && 'rejected' in failure)) deps.onError(`visitor ${frame.type}`, failure);
      sendFrame(ws, errorFrame(failure, clientMsgId));
    }
  }

  function refuse(ws: Socket, error: WireError): void {
    const data = ws.getUserData().session;
    metrics.rejected(error.code);
    sendFrame(ws, error);
    if (++data.refusedInARow > MAX_REFUSED_IN_A_ROW) {
      close(ws, error.code === 'RATE_LIMITED' ? CLOSE_CODES.RATE_LIMITED : CLOSE_CODES.PROTOCOL_VIOLATION, 'too many refused frames');
    }
  }

  // ---- the WebSocket route --------------------------------------------------------------------

  function upgrade(res: HttpResponse, req: { getHeader(h: string): string; getParameter(i: number): string | undefined }, context: unknown): void {
    // Everything needed from `req` is copied now: it is gone after the first await.
    const key = req.getHeader('sec-websocket-key');
    const protocol = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    const origin = req.getHeader('origin');
    const channelKey = req.getParameter(0) ?? '';
    const address = Buffer.from(res.getRemoteAddressAsText()).toString();
    const device = deviceOf(req.getHeader('user-agent'));
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    if (perAddress.count(address) >= deps.connectionsPerAddress) {
      sendHttp(res, json(429, { code: 'TOO_MANY_CONNECTIONS', message: 'too many connections from this address', temporary: true }));
      return;
    }
    const lookup = CHANNEL_KEY_PATTERN.test(channelKey) ? deps.channels.byKey(channelKey) : Promise.resolve(null);
    lookup.then(
      (channel) => {
        if (aborted) return;
        // An unknown channel is told over the socket (close 4502, final): a browser cannot read an upgrade's HTTP status.
        if (channel && !allowedOrigin(channel, origin, deps.ownOrigin())) {
          sendHttp(res, json(403, { code: 'ORIGIN_NOT_ALLOWED', message: 'this site may not open this channel', temporary: false }));
          return;
        }
        const now = clock();
        const data: SocketData = {
          address,
          channel,
          openedAt: now,
          bucket: new TokenBucket({ capacity: FRAME_BURST, perSecond: FRAMES_PER_SECOND, now }),
          visitor: null,
          greeting: false,
          conversationId: null,
          device,
          context: null,
          connectedAt: Date.now(),
          lastSentSeq: 0,
          held: null,
          lastFrameAt: now,
          refusedInARow: 0,
          work: Promise.resolve(),
          closed: false,
        };
        upgradeAfterWait<Attached<SocketData>>(res, { session: data }, key, protocol, extensions, context);
      },
      (error: unknown) => {
        deps.onError('channel lookup', error);
        if (!aborted) sendHttp(res, json(503, { code: 'UNAVAILABLE', message: 'try again', temporary: true }));
      },
    );
  }

  const routes: RouteModule = (app: TemplatedApp) => {
    app.ws<Attached<SocketData>>(VISITOR_WS_PATH, {
      ...socketLimits({ maxFrameBytes: VISITOR_LIMITS.maxFrameBytes, maxBufferedBytes: MAX_BUFFERED_BYTES, heartbeatMs: deps.heartbeatMs }),
      upgrade: (res, req, context) => upgrade(res, req, context),
      open: (ws) => {
        const data = ws.getUserData().session;
        perAddress.tryOpen(data.address);
        connections.add(ws);
        if (!data.channel) {
          sendFrame(ws, wireError('CHANNEL_UNKNOWN', 'no such channel', false));
          close(ws, CLOSE_CODES.CHANNEL_UNKNOWN, 'unknown channel');
        }
      },
      message: (ws, message) => {
        const data = ws.getUserData().session;
        if (data.closed) return;
        const now = clock();
        data.lastFrameAt = now;
        metrics.received(message.byteLength);
        // Decoded now: the ArrayBuffer is only valid during this call.
        const decoded = decodeVisitorFrame(message);
        if (!data.bucket.take(now)) return refuse(ws, RATE_LIMITED);
        if (!decoded.ok) return refuse(ws, decoded.error);
        data.refusedInARow = 0;
        data.work = data.work.then(() => handle(ws, decoded.frame, now)).catch((error: unknown) => deps.onError('visitor frame', error));
      },
      close: (ws) => {
        const data = ws.getUserData().session;
        data.closed = true;
        perAddress.closed(data.address);
        connections.remove(ws);
        if (data.conversationId) deps.subscriptions.unfollow(data.conversationId);
      },
    });
  };

  // Liveness: a connection without hello, or silent for two heartbeats, is closed.
  const sweeper = setInterval(() => {
    const now = clock();
    for (const ws of connections.all()) {
      const data = ws.getUserData().session;
      if (!data.visitor && !data.greeting && now - data.openedAt > HELLO_TIMEOUT_MS) close(ws, CLOSE_CODES.PROTOCOL_VIOLATION, 'no hello');
      else if (now - data.lastFrameAt > 2 * deps.heartbeatMs) close(ws, CLOSE_CODES.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
    }
  }, sweepIntervalMs(deps.heartbeatMs));
  sweeper.unref();

  return {
    routes,
    deliver(conversationId, to, push) {
      if (to === 'agents') return;
      if (connections.ofConversation(conversationId).length === 0) return;
      inOrder(conversationId, async () => {
        const frame = await visitorFrameOf(push, deps.names);
        if (frame) for (const ws of connections.ofConversation(conversationId)) pushFrame(ws, frame);
      });
    },
    follow(visitorId, conversationId) {
      const tabs = connections.ofVisitor(visitorId).filter((ws) => ws.getUserData().session.conversationId !== conversationId);
      if (tabs.length === 0) return;
      const followed = async (): Promise<void> => {
        await Promise.all(tabs.map((ws) => attach(ws, conversationId)));
        const described = await describe(conversationId);
        if (!described) return;
        const frame: VisitorServerFrame = { type: 'status', status: described.status, agent: await agentOf(described.agentId, deps.names) };
        for (const ws of tabs) pushFrame(ws, frame);
      };
      followed().catch((error: unknown) => deps.onError(`follow ${conversationId}`, error));
    },
    online(tenantId) {
      const latest = new Map<string, SocketData>();
      for (const ws of connections.all()) {
        const data = ws.getUserData().session;
        if (!data.visitor || !data.channel || data.closed || data.visitor.tenantId !== tenantId) continue;
        const seen = latest.get(data.visitor.visitorId);
        if (!seen || seen.connectedAt < data.connectedAt) latest.set(data.visitor.visitorId, data);
      }
      return [...latest.values()].map((d) => ({
        visitorId: d.visitor!.visitorId,
        name: d.visitor!.displayName,
        identified: d.visitor!.identified,
        channelId: d.channel!.id,
        skillGroupId: d.channel!.skillGroupId,
        page: d.context?.page ?? null,
        locale: d.context?.locale ?? null,
        timeZone: d.context?.timeZone ?? null,
        device: d.device,
        since: d.connectedAt,
        conversationId: d.conversationId,
      }));
    },
    invite(tenantId, visitorId, invitation) {
      const tabs = connections.ofVisitor(visitorId).filter((ws) => ws.getUserData().session.visitor?.tenantId === tenantId);
      for (const ws of tabs) pushFrame(ws, { type: 'invitation', ...invitation });
      return tabs.length;
    },
    block(tenantId, visitorId) {
      for (const ws of connections.ofVisitor(visitorId).filter((w) => w.getUserData().session.visitor?.tenantId === tenantId)) {
        sendFrame(ws, wireError('VISITOR_BLOCKED', BLOCKED_MESSAGE, false));
        close(ws, CLOSE_CODES.BLOCKED, 'blocked');
      }
    },
    get connectionCount() {
      return connections.size;
    },
    async shutdown(ms) {
      clearInterval(sweeper);
      for (const ws of connections.all()) close(ws, CLOSE_CODES.SERVER_SHUTDOWN, 'server shutting down');
      await untilGone(() => connections.size, ms, clock);
    },
  };
}
