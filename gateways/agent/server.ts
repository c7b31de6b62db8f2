/**
 * The agent gateway: the WebSocket of agent protocol v1 (docs/protocol/agent.md) at `/ws/agent` on
 * the node's one uWS app — the workstation's live connection.
 *
 * Before the upgrade: the session cookie must name a signed-in agent account (an account with
 * `isAgent` and the `conversations.reply` permission) and a browser's Origin must be this node's
 * own — refused with HTTP 401 / 403, no socket made. After it: `hello` first, then frames handled
 * one at a time per connection. Every frame is decoded, validated and rate-limited, and the session
 * is checked again (a signed-out, disabled or re-roled account is closed with 4501 at its next
 * frame); the conversation actor then decides whether this agent may act on that conversation.
 *
 * Each tab is one connection of the agent actor (presence across tabs). Pushes of a conversation
 * reach every tab, on this node, of the agent it is with: the gateway learns who that is from the
 * conversation's status pushes and from the agent actor at `hello`.
 */
import { randomBytes } from 'node:crypto';
import type { HttpResponse, TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { AgentActorCommand } from '../../actors/agent/agent.actor.ts';
import type { AgentEffect } from '../../actors/agent/protocol.ts';
import type { AgentStatus } from '../../actors/agent/state.ts';
import type { ConversationActorCommand } from '../../actors/conversation/conversation.actor.ts';
import type { ConversationEffect, Push } from '../../actors/conversation/protocol.ts';
import type { Authenticated, Authenticator } from '../../actors/directory/authenticator.ts';
import { mayUse } from '../../actors/directory/policies/access.ts';
import type { Delivered } from '../../cluster/actor-host.ts';
import type { MessageLog } from '../../cluster/message-log.ts';
import { cookieValue, SESSION_COOKIE } from '../api/server.ts';
import { json, send as sendHttp } from '../http.ts';
import { TokenBucket } from '../rate-limit.ts';
import type { RouteModule } from '../server.ts';
import { serialPerKey, socketLimits, sweepIntervalMs, untilGone } from '../websocket.ts';
import { RATE_LIMITED, type WireError } from '../visitor/wire.ts';
import { AGENT_CLOSE_CODES as CLOSE, AGENT_LIMITS, AGENT_PROTOCOL_VERSION, decodeAgentFrame, type AgentClientFrame, type AgentServerFrame } from './wire.ts';

export const AGENT_WS_PATH = '/ws/agent';
export const MAX_BUFFERED_BYTES = 1024 * 1024;
const FRAME_BURST = 60;
const FRAMES_PER_SECOND = 20;
const MAX_REFUSED_IN_A_ROW = 20;
const HELLO_TIMEOUT_MS = 10_000;
const HISTORY_PAGE = 200;
/** Workstation tabs one agent may hold open on one gateway node (a runaway script must not pile up sockets). */
export const MAX_TABS_PER_AGENT = 20;

export type AgentGatewayDeps = {
  readonly authenticator: Authenticator;
  /** Whether the account is an active agent (the directory's word; asked at the upgrade). */
  readonly isAgent: (who: Authenticated) => Promise<boolean>;
  readonly conversation: (conversationId: string, command: ConversationActorCommand) => Promise<Delivered<ConversationEffect>>;
  readonly agent: (agentId: string, command: AgentActorCommand) => Promise<Delivered<AgentEffect>>;
  readonly log: MessageLog;
  readonly ownOrigin: () => string;
  readonly heartbeatMs: number;
  readonly onError: (what: string, error: unknown) => void;
  readonly clock?: () => number;
};

type SocketData = {
  readonly token: string;
  readonly agentId: string;
  readonly connectionId: string;
  readonly openedAt: number;
  readonly bucket: TokenBucket;
  helloed: boolean;
  lastFrameAt: number;
  refusedInARow: number;
  work: Promise<void>;
  closed: boolean;
};
type Socket = WebSocket<SocketData>;

export type AgentGateway = {
  readonly routes: RouteModule;
  /** A conversation's push, from its actor (any node). */
  deliver(conversationId: string, to: 'visitor' | 'agents' | 'everyone', push: Push): void;
  /** An agent's status changed (any node): their tabs here hear of it. */
  presence(agentId: string, status: AgentStatus): void;
  readonly connectionCount: number;
  shutdown(ms: number): Promise<void>;
};

type ErrorFrame = Extract<AgentServerFrame, { type: 'error' }>;
const errorFrame = (code: string, message: string, temporary: boolean, about: { conversationId?: string; clientMsgId?: string } = {}): ErrorFrame => ({ type: 'error', code, message, temporary, ...about });

/** The one mapping of a failed command to an error frame: rejections are final; an unreachable actor is temporary. */
function failureFrame(failure: unknown, about: { conversationId?: string; clientMsgId?: string }): ErrorFrame {
  if (typeof failure === 'object' && failure !== null && 'rejected' in failure) {
    const r = failure as { rejected: string; message: string };
    return errorFrame(r.rejected, r.message, false, about);
  }
  return errorFrame('UNAVAILABLE', 'this cannot be reached right now; try again', true, about);
}

export function agentGateway(deps: AgentGatewayDeps): AgentGateway {
  const clock = deps.clock ?? (() => performance.now());
  const byAgent = new Map<string, Set<Socket>>();
  /** Which agent each conversation is with, as far as this node has heard (pushes go to their tabs). */
  const agentOf = new Map<string, string | null>();
  const all = new Set<Socket>();

  const tabsOf = (agentId: string | null | undefined): Socket[] => (agentId ? [...(byAgent.get(agentId) ?? [])] : []);

  function close(ws: Socket, code: number, reason: string): void {
    const data = ws.getUserData();
    if (data.closed) return;
    data.closed = true;
    ws.end(code, reason);
  }

  function sendFrame(ws: Socket, frame: AgentServerFrame): void {
    if (ws.getUserData().closed) return;
    ws.send(JSON.stringify(frame), false);
    if (ws.getBufferedAmount() > MAX_BUFFERED_BYTES) close(ws, CLOSE.SLOW_CONSUMER, 'slow consumer');
  }

  function refuse(ws: Socket, error: WireError): void {
    const data = ws.getUserData();
    sendFrame(ws, error);
    if (++data.refusedInARow > MAX_REFUSED_IN_A_ROW) close(ws, error.code === 'RATE_LIMITED' ? CLOSE.RATE_LIMITED : CLOSE.PROTOCOL_VIOLATION, 'too many refused frames');
  }

  async function describe(conversationId: string): Promise<Extract<AgentServerFrame, { type: 'conversation' }> | null> {
    const r = await deps.conversation(conversationId, { type: 'describe' });
    const d = r.ok ? r.effects.find((e) => e.type === 'described') : undefined;
    if (!d) return null;
    const visitor = { id: d.visitor.visitorId, name: d.visitor.displayName, identified: d.visitor.identified, vip: d.visitor.vip };
    return { type: 'conversation', conversationId, status: d.status, agentId: d.agentId, lastSeq: d.lastSeq, visitor, channelId: d.channelId, skillGroupId: d.skillGroupId, preChat: d.preChat, transferMemo: d.transferMemo };
  }

  async function hello(ws: Socket, frame: Extract<AgentClientFrame, { type: 'hello' }>): Promise<void> {
    const data = ws.getUserData();
    if (data.helloed) return sendFrame(ws, errorFrame('INVALID_FIELD', 'hello was already said on this connection', false));
    if (frame.v !== AGENT_PROTOCOL_VERSION) {
      sendFrame(ws, errorFrame('UNSUPPORTED_VERSION', `this gateway speaks agent protocol v${AGENT_PROTOCOL_VERSION}`, false));
      return close(ws, CLOSE.UNSUPPORTED_VERSION, 'unsupported version');
    }
    const connected = await deps.agent(data.agentId, { type: 'connect', connectionId: data.connectionId, ...(frame.status ? { status: frame.status } : {}) });
    if (!connected.ok) {
      sendFrame(ws, failureFrame(connected, {}));
      return close(ws, CLOSE.UNAUTHORIZED, 'not an agent');
    }
    data.helloed = true;
    const described = await deps.agent(data.agentId, { type: 'describe' });
    const profile = described.ok ? described.effects.find((e) => e.type === 'profile') : undefined;
    const conversations = (await Promise.all((profile?.conversations ?? []).map(describe))).filter((c) => c !== null);
    for (const c of conversations) agentOf.set(c.conversationId, c.agentId);
    sendFrame(ws, {
      type: 'welcome',
      v: AGENT_PROTOCOL_VERSION,
      agent: { id: data.agentId, displayName: profile?.displayName ?? data.agentId, status: profile?.status ?? 'offline' },
      conversations: conversations.map(({ type: _type, ...view }) => view),
      heartbeatMs: deps.heartbeatMs,
    });
  }

  async function handle(ws: Socket, frame: AgentClientFrame): Promise<void> {
    const data = ws.getUserData();
    if (frame.type === 'ping') return sendFrame(ws, { type: 'pong' });
    // Every frame is authorized again: a session that ended, or rights that changed, stop here.
    const who = await deps.authenticator.fromSession(data.token);
    if (!who || who.principal.accountId !== data.agentId) {
      sendFrame(ws, errorFrame('UNAUTHENTICATED', 'your session has ended; sign in again', false));
      return close(ws, CLOSE.UNAUTHORIZED, 'session ended');
    }
    if (!mayUse(who.principal, 'conversations.reply').allowed) {
      sendFrame(ws, errorFrame('FORBIDDEN', 'your roles no longer allow answering conversations', false));
      return close(ws, CLOSE.UNAUTHORIZED, 'forbidden');
    }
    if (frame.type === 'hello') return hello(ws, frame);
    if (!data.helloed) {
      sendFrame(ws, errorFrame('INVALID_FIELD', 'the first frame must be hello', false));
      return close(ws, CLOSE.PROTOCOL_VIOLATION, 'hello first');
    }
    const me = { kind: 'agent', agentId: data.agentId } as const;
    if (frame.type === 'set-status') {
      const r = await deps.agent(data.agentId, { type: 'set-status', status: frame.status });
      if (!r.ok) sendFrame(ws, failureFrame(r, {}));
      return;
    }
    const about = { conversationId: frame.conversationId, ...(frame.type === 'message' ? { clientMsgId: frame.clientMsgId } : {}) };
    if (frame.type === 'history') return history(ws, frame.conversationId, frame.afterSeq ?? 0);
    const command: ConversationActorCommand =
      frame.type === 'accept'
        ? { type: 'accept', agentId: data.agentId }
        : frame.type === 'message'
          ? { type: 'post-message', from: me, clientMsgId: frame.clientMsgId, text: frame.text }
          : frame.type === 'typing'
            ? { type: 'typing', from: me, typing: frame.typing }
            : frame.type === 'read'
              ? { type: 'read', by: me, seq: frame.seq }
              : frame.type === 'transfer'
                ? { type: 'transfer', by: me, to: frame.to, memo: frame.memo ?? null }
                : { type: 'close', by: me, summary: frame.summary ?? null };
    const r = await deps.conversation(frame.conversationId, command);
    if (!r.ok) {
      // Typing is best effort: a closed conversation just ignores it.
      if (frame.type !== 'typing') sendFrame(ws, failureFrame(r, about));
      return;
    }
    if (frame.type === 'message') {
      const ack = r.effects.find((e) => e.type === 'ack');
      if (ack) sendFrame(ws, { type: 'ack', conversationId: frame.conversationId, clientMsgId: ack.clientMsgId, seq: ack.seq });
    }
  }

  /** The log of a conversation this agent is in (its agent, or invited), after `afterSeq`. */
  async function history(ws: Socket, conversationId: string, afterSeq: number): Promise<void> {
    const data = ws.getUserData();
    const r = await deps.conversation(conversationId, { type: 'describe' });
    const d = r.ok ? r.effects.find((e) => e.type === 'described') : undefined;
    if (!d || d.agentId !== data.agentId) {
      return sendFrame(ws, errorFrame('NOT_A_PARTICIPANT', 'only the conversation’s agent reads its history here', false, { conversationId }));
    }
    let last = Math.min(afterSeq, d.lastSeq);
    for (;;) {
      const page = await deps.log.read(conversationId, last, { limit: HISTORY_PAGE, publicOnly: false });
      for (const m of page) sendFrame(ws, { type: 'message', conversationId, seq: m.seq, clientMsgId: m.clientMsgId, from: m.from, visibility: m.visibility, text: m.text, at: m.at });
      if (page.length > 0) last = page[page.length - 1]!.seq;
      if (page.length < HISTORY_PAGE) break;
    }
    sendFrame(ws, { type: 'history', conversationId, lastSeq: Math.max(last, d.lastSeq) });
  }

  function upgrade(res: HttpResponse, req: { getHeader(h: string): string }, context: unknown): void {
    // Everything needed from `req` is copied now: it is gone after the first await.
    const key = req.getHeader('sec-websocket-key');
    const protocol = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    const origin = req.getHeader('origin');
    const token = cookieValue(req.getHeader('cookie'), SESSION_COOKIE);
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    // A page of another site must not ride on the agent's cookie (cross-site WebSocket hijacking).
    if (origin !== '' && origin !== deps.ownOrigin()) {
      sendHttp(res, json(403, { code: 'ORIGIN_NOT_ALLOWED', message: 'the workstation connects from this site only', temporary: false }));
      return;
    }
    const check = async (): Promise<SocketData | 401 | 403 | 429> => {
      const who = token ? await deps.authenticator.fromSession(token) : null;
      if (!who) return 401;
      if (!mayUse(who.principal, 'conversations.reply').allowed || !(await deps.isAgent(who))) return 403;
      if ((byAgent.get(who.principal.accountId)?.size ?? 0) >= MAX_TABS_PER_AGENT) return 429;
      const now = clock();
      return {
        token: token!,
        agentId: who.principal.accountId,
        connectionId: randomBytes(9).toString('base64url'),
        openedAt: now,
        bucket: new TokenBucket({ capacity: FRAME_BURST, perSecond: FRAMES_PER_SECOND, now }),
        helloed: false,
        lastFrameAt: now,
        refusedInARow: 0,
        work: Promise.resolve(),
        closed: false,
      };
    };
    check().then(
      (data) => {
        if (aborted) return;
        if (data === 401) return sendHttp(res, json(401, { code: 'UNAUTHENTICATED', message: 'sign in first', temporary: false }));
        if (data === 403) return sendHttp(res, json(403, { code: 'FORBIDDEN', message: 'this account does not take conversations', temporary: false }));
        if (data === 429) return sendHttp(res, json(429, { code: 'TOO_MANY_CONNECTIONS', message: `at most ${MAX_TABS_PER_AGENT} workstation tabs at once`, temporary: true }));
        res.cork(() => res.upgrade(data, key, protocol, extensions, context as Parameters<HttpResponse['upgrade']>[4]));
      },
      (error: unknown) => {
        deps.onError('agent upgrade', error);
        if (!aborted) sendHttp(res, json(503, { code: 'UNAVAILABLE', message: 'try again', temporary: true }));
      },
    );
  }

  const routes: RouteModule = (app: TemplatedApp) => {
    app.ws<SocketData>(AGENT_WS_PATH, {
      ...socketLimits({ maxFrameBytes: AGENT_LIMITS.maxFrameBytes, maxBufferedBytes: MAX_BUFFERED_BYTES, heartbeatMs: deps.heartbeatMs }),
      upgrade: (res, req, context) => upgrade(res, req, context),
      open: (ws) => {
        const data = ws.getUserData();
        all.add(ws);
        let tabs = byAgent.get(data.agentId);
        if (!tabs) byAgent.set(data.agentId, (tabs = new Set()));
        tabs.add(ws);
      },
      message: (ws, message) => {
        const data = ws.getUserData();
        if (data.closed) return;
        const now = clock();
        data.lastFrameAt = now;
        const decoded = decodeAgentFrame(message);
        if (!data.bucket.take(now)) return refuse(ws, RATE_LIMITED);
        if (!decoded.ok) return refuse(ws, decoded.error);
        data.refusedInARow = 0;
        data.work = data.work
          .then(() => handle(ws, decoded.frame))
          .catch((failure: unknown) => {
            deps.onError(`agent ${decoded.frame.type}`, failure);
            sendFrame(ws, failureFrame(failure, 'conversationId' in decoded.frame ? { conversationId: decoded.frame.conversationId } : {}));
          });
      },
      close: (ws) => {
        const data = ws.getUserData();
        data.closed = true;
        all.delete(ws);
        const tabs = byAgent.get(data.agentId);
        tabs?.delete(ws);
        if (tabs?.size === 0) {
          byAgent.delete(data.agentId);
          for (const [conversationId, agentId] of agentOf) if (agentId === data.agentId) agentOf.delete(conversationId);
        }
        if (data.helloed) void deps.agent(data.agentId, { type: 'disconnect', connectionId: data.connectionId }).catch((e: unknown) => deps.onError('agent disconnect', e));
      },
    });
  };

  const sweeper = setInterval(() => {
    const now = clock();
    for (const ws of all) {
      const data = ws.getUserData();
      if (!data.helloed && now - data.openedAt > HELLO_TIMEOUT_MS) close(ws, CLOSE.PROTOCOL_VIOLATION, 'no hello');
      else if (now - data.lastFrameAt > 2 * deps.heartbeatMs) close(ws, CLOSE.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
    }
  }, sweepIntervalMs(deps.heartbeatMs));
  sweeper.unref();

  /** Pushes of one conversation become frames one after another, so they keep their order. */
  const inOrder = serialPerKey((conversationId, error) => deps.onError(`agent push ${conversationId}`, error));

  return {
    routes,
    deliver(conversationId, to, push) {
      if (to === 'visitor') return;
      if (push.kind === 'status') {
        const before = agentOf.get(conversationId);
        const told = new Set([...tabsOf(push.agentId), ...(before !== push.agentId ? tabsOf(before) : [])]);
        // Only conversations of agents connected here are followed, and only until they close.
        if (push.status !== 'closed' && tabsOf(push.agentId).length > 0) agentOf.set(conversationId, push.agentId);
        else agentOf.delete(conversationId);
        if (told.size === 0) return;
        inOrder(conversationId, async () => {
          const frame = await describe(conversationId);
          if (frame) for (const ws of told) sendFrame(ws, frame);
        });
        return;
      }
      const tabs = tabsOf(agentOf.get(conversationId));
      if (tabs.length === 0) return;
      let frame: AgentServerFrame | null = null;
      if (push.kind === 'message') frame = { type: 'message', conversationId, ...push.message };
      else if (push.kind === 'typing') frame = { type: 'typing', conversationId, from: push.from, typing: push.typing };
      else if (push.kind === 'read') frame = { type: 'read', conversationId, by: push.by, seq: push.seq };
      if (!frame) return;
      const f = frame;
      inOrder(conversationId, async () => {
        for (const ws of tabs) sendFrame(ws, f);
      });
    },
    presence(agentId, status) {
      for (const ws of tabsOf(agentId)) if (ws.getUserData().helloed) sendFrame(ws, { type: 'presence', status });
    },
    get connectionCount() {
      return all.size;
    },
    async shutdown(ms) {
      clearInterval(sweeper);
      for (const ws of all) close(ws, CLOSE.SERVER_SHUTDOWN, 'server shutting down');
      await untilGone(() => all.size, ms, clock);
    },
  };
}
