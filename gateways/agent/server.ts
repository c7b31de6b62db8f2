/**
 * The agent gateway: the WebSocket of agent protocol v1 (docs/protocol/agent.md) at `/ws/agent` on
 * the node's one uWS app — the workstation's live connection, for agents and supervisors.
 *
 * Before the upgrade: the session cookie must name a signed-in account that is an active agent with
 * `conversations.reply`, or a supervisor with `monitoring.read` (who watches and whispers but is
 * given no conversations), and a browser's Origin must be this node's own — refused with HTTP 401 /
 * 403, no socket made. After it: `hello` first, then frames handled one at a time per connection.
 * Every frame is decoded, validated and rate-limited, and the session is checked again (a
 * signed-out, disabled or re-roled account is closed with 4501 at its next frame).
 *
 * Who may do what is decided in two places. The conversation actor decides whether an account is
 * on its agents' side (its agent, an invited colleague, a watching supervisor). The gateway checks
 * what only the directory knows: that a transfer's or an invitation's target is a colleague in the
 * same tenant, and that a supervisor's action (`as: 'supervisor'`, monitor, take-over, the queue
 * view of a group one is not in) is within their monitoring permissions over that skill group's
 * department.
 *
 * Each agent's tab is one connection of the agent actor (presence across tabs). A conversation's
 * pushes name the accounts on its agents' side, and reach every tab of theirs on this node.
 */
import { randomBytes } from 'node:crypto';
import type { HttpResponse, TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { AgentActorCommand } from '../../actors/agent/agent.actor.ts';
import type { AgentEffect } from '../../actors/agent/protocol.ts';
import type { AgentStatus } from '../../actors/agent/state.ts';
import type { ConversationActorCommand } from '../../actors/conversation/conversation.actor.ts';
import type { FileStore } from '../../actors/conversation/file.repository.ts';
import { takeOver, transferToAgent } from '../../actors/conversation/hand-over.ts';
import type { ConversationEffect } from '../../actors/conversation/protocol.ts';
import { participants, type Actor } from '../../actors/conversation/state.ts';
import type { Authenticated, Authenticator } from '../../actors/directory/authenticator.ts';
import { DomainError } from '../../actors/kernel/domain-error.ts';
import { may, mayUse, visibleSubtree, type Principal, type Scope } from '../../actors/directory/policies/access.ts';
import type { ConversationRecord } from '../../actors/conversation/record.ts';
import type { Permission } from '../../actors/directory/policies/permissions.ts';
import type { QueueActorCommand } from '../../actors/queue/queue.actor.ts';
import type { QueueEffect } from '../../actors/queue/protocol.ts';
import type { Delivered } from '../../cluster/actor-host.ts';
import type { ConversationPushEvent } from '../../cluster/push-routing.ts';
import type { ConversationSubscriptions } from '../../cluster/push-routing.ts';
import type { OnlineVisitor } from '../visitor/server.ts';
import type { MessageLog } from '../../cluster/message-log.ts';
import { NO_SOCKET_METRICS, type SocketMetrics } from '../../cluster/metrics.ts';
import { cookieValue, SESSION_COOKIE } from '../api/server.ts';
import { json, send as sendHttp } from '../http.ts';
import { TokenBucket } from '../rate-limit.ts';
import type { RouteModule } from '../server.ts';
import { sendCounted, serialPerKey, socketLimits, sweepIntervalMs, untilGone, upgradeAfterWait, type Attached } from '../websocket.ts';
import { RATE_LIMITED, type WireError } from '../visitor/wire.ts';
import { AGENT_CLOSE_CODES as CLOSE, AGENT_LIMITS, AGENT_PROTOCOL_VERSION, decodeAgentFrame, type AgentClientFrame, type AgentServerFrame } from './wire.ts';

export const AGENT_WS_PATH = '/ws/agent';
export const MAX_BUFFERED_BYTES = 1024 * 1024;
const FRAME_BURST = 60;
const FRAMES_PER_SECOND = 20;
const MAX_REFUSED_IN_A_ROW = 20;
const HELLO_TIMEOUT_MS = 10_000;
const HISTORY_PAGE = 200;
/** A history answer pauses between pages while more than this waits to be sent: a long transcript is paced by the reader, never mistaken for a slow consumer. */
const HISTORY_PAUSE_BYTES = 256 * 1024;
const VISITOR_HISTORY_LIMIT = 10;
/** The queue view shows this many waiting visitors (and the total). */
export const QUEUE_VIEW_SIZE = 50;
/** The online-visitors list shows this many, the most recently arrived first. */
export const ONLINE_VIEW_SIZE = 200;
/** The agent board lists at most this many agents. */
export const AGENT_BOARD_SIZE = 500;
/** After an `agents` answer, the tab hears of its agents' changes (`board-agent`) this long; asking again renews it. */
export const LIVE_BOARD_MS = 30_000;
/** Changes of one agent within this long are told once (a burst of assignments is one row update). */
const BOARD_COALESCE_MS = 200;
/** Workstation tabs one agent may hold open on one gateway node (a runaway script must not pile up sockets). */
export const MAX_TABS_PER_AGENT = 20;

export type AgentGatewayDeps = {
  readonly authenticator: Authenticator;
  /** The signed-in account as the workstation shows it: its name, and whether it is an active agent (asked at the upgrade). */
  readonly account: (who: Authenticated) => Promise<{ readonly displayName: string; readonly isAgent: boolean; readonly skillGroupIds: readonly string[] }>;
  /** The visitors of a tenant on the site now, on every gateway node; and an invitation shown on a visitor's tabs (answers how many). */
  readonly onlineVisitors: (tenantId: string) => Promise<OnlineVisitor[]>;
  readonly inviteVisitor: (tenantId: string, visitorId: string, invitation: { agent: { id: string; name: string }; text: string }) => Promise<number>;
  /** The active agents of a department and below (at most `limit`, org-tree order). */
  readonly agentsIn: (tenantId: string, departmentPath: string, limit: number) => Promise<readonly { accountId: string; displayName: string }[]>;
  /** Where an active agent of the tenant sits in the org tree; null for anyone else (also: is this a colleague one may transfer to or invite?). */
  readonly agentScope: (tenantId: string, accountId: string) => Promise<Scope | null>;
  /** Where a skill group sits in the org tree; null when the tenant has no such skill group. */
  readonly skillGroupScope: (tenantId: string, skillGroupId: string) => Promise<Scope | null>;
  readonly conversation: (conversationId: string, command: ConversationActorCommand) => Promise<Delivered<ConversationEffect>>;
  readonly agent: (agentId: string, command: AgentActorCommand) => Promise<Delivered<AgentEffect>>;
  readonly queue: (skillGroupId: string, command: QueueActorCommand) => Promise<Delivered<QueueEffect>>;
  readonly log: MessageLog;
  /** Blocks a conversation's visitor for its agent (actors/directory/visitor-ban.repository.ts `blockFromConversation`); a DomainError when that cannot be. */
  readonly blockVisitor: (who: Authenticated, ban: { visitorId: string; reason: string; expiresAt: Date | null; conversationId: string }) => Promise<unknown>;
  /** A visitor's conversations newest first, as far as the principal may read history (actors/history/history.ts). */
  readonly visitorHistory: (principal: Principal, visitorId: string, limit: number) => Promise<ConversationRecord[]>;
  readonly files: FileStore;
  /** This node's registrations with the conversations' owners (cluster/push-routing.ts): pushes come only for those followed. */
  readonly subscriptions: Pick<ConversationSubscriptions, 'follow' | 'unfollow'>;
  readonly ownOrigin: () => string;
  readonly heartbeatMs: number;
  /** How long after a tab closed its watches end (`watcher-left`), unless it came back (a reload names them again in its hello). */
  readonly watchGraceMs: number;
  readonly onError: (what: string, error: unknown) => void;
  readonly clock?: () => number;
  /** Frames, bytes, refusals, backpressure and ack latency of this gateway's sockets (cluster/metrics.ts). */
  readonly metrics?: SocketMetrics;
};

type SocketData = {
  readonly token: string;
  readonly accountId: string;
  readonly displayName: string;
  /** An agent (conversations are assigned to them) or a supervisor who only watches. */
  readonly takesConversations: boolean;
  readonly connectionId: string;
  readonly openedAt: number;
  readonly bucket: TokenBucket;
  helloed: boolean;
  /** A hello is being answered: the wait is this server's, not the client's silence. */
  greeting: boolean;
  lastFrameAt: number;
  refusedInARow: number;
  work: Promise<void>;
  closed: boolean;
  /** A long answer (history) waiting for the send buffer to drain before its next page. */
  onDrain: (() => void)[];
  /** The agents of the board this tab was last sent, and until when it hears of their changes (clock). */
  board: { readonly agentIds: ReadonlySet<string>; readonly until: number } | null;
  /** The conversations this tab watches (started or resumed here): they hear `watcher-left` once it has gone. */
  readonly watches: Set<string>;
};
type Socket = WebSocket<Attached<SocketData>>;

export type AgentGateway = {
  readonly routes: RouteModule;
  /** A conversation's push, from its actor (any node): the tabs here of the accounts it names hear it. */
  deliver(event: ConversationPushEvent): void;
  /** An agent's status changed (any node): their tabs here hear of it. */
  presence(agentId: string, status: AgentStatus): void;
  /** An agent's status or load changed (their events, from any node): the boards here that show them hear it. */
  agentChanged(agentId: string): void;
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
  const metrics = deps.metrics ?? NO_SOCKET_METRICS;
  const byAccount = new Map<string, Set<Socket>>();
  const all = new Set<Socket>();

  /**
   * For each conversation, the accounts with tabs here that are on its agents' side: while there
   * is one, this node follows the conversation (its pushes are sent here).
   */
  const interest = new Map<string, Set<string>>();
  async function interested(conversationId: string, accountId: string): Promise<void> {
    const accounts = interest.get(conversationId);
    if (accounts) return void accounts.add(accountId);
    interest.set(conversationId, new Set([accountId]));
    await deps.subscriptions.follow(conversationId);
  }
  function notInterested(conversationId: string, accountId: string): void {
    const accounts = interest.get(conversationId);
    if (!accounts?.delete(accountId) || accounts.size > 0) return;
    interest.delete(conversationId);
    deps.subscriptions.unfollow(conversationId);
  }
  /** After a change of who is in the conversation: this node follows it exactly while one of its accounts is in it. */
  async function reconsider(frame: Extract<AgentServerFrame, { type: 'conversation' }>): Promise<void> {
    const inIt = new Set(frame.status === 'closed' ? [] : participants(frame));
    for (const accountId of interest.get(frame.conversationId) ?? []) if (!inIt.has(accountId)) notInterested(frame.conversationId, accountId);
    await Promise.all([...inIt].filter((a) => byAccount.has(a)).map((a) => interested(frame.conversationId, a)));
  }

  /** A watch that ended (the conversation closed, or another tab stopped it) is no longer this tab's to report gone. */
  function forgetEndedWatches(frame: Extract<AgentServerFrame, { type: 'conversation' }>, tabs: readonly Socket[]): void {
    const watchers = new Set(frame.status === 'closed' ? [] : frame.monitors.map((m) => m.supervisorId));
    for (const ws of tabs) {
      const data = ws.getUserData().session;
      if (!watchers.has(data.accountId)) data.watches.delete(frame.conversationId);
    }
  }

  const tabsOf = (accountId: string): Socket[] => [...(byAccount.get(accountId) ?? [])].filter((ws) => ws.getUserData().session.helloed);

  function close(ws: Socket, code: number, reason: string): void {
    const data = ws.getUserData().session;
    if (data.closed) return;
    data.closed = true;
    ws.end(code, reason);
  }

  function sendFrame(ws: Socket, frame: AgentServerFrame): void {
    if (ws.getUserData().session.closed) return;
    sendCounted(ws, frame, metrics, MAX_BUFFERED_BYTES, () => close(ws, CLOSE.SLOW_CONSUMER, 'slow consumer'));
  }

  function refuse(ws: Socket, error: WireError): void {
    const data = ws.getUserData().session;
    metrics.rejected(error.code);
    sendFrame(ws, error);
    if (++data.refusedInARow > MAX_REFUSED_IN_A_ROW) close(ws, error.code === 'RATE_LIMITED' ? CLOSE.RATE_LIMITED : CLOSE.PROTOCOL_VIOLATION, 'too many refused frames');
  }

  type Described = Extract<ConversationEffect, { type: 'described' }>;
  async function described(conversationId: string): Promise<Described | Delivered<never>> {
    const r = await deps.conversation(conversationId, { type: 'describe' });
    if (!r.ok) return r;
    return r.effects.find((e) => e.type === 'described') ?? { ok: false, rejected: 'CONVERSATION_UNKNOWN', message: `no conversation ${conversationId}` };
  }
  const isDescribed = (d: Described | Delivered<never>): d is Described => 'type' in d;
  const visitorView = (d: Described) => ({ id: d.visitor.visitorId, name: d.visitor.displayName, identified: d.visitor.identified, vip: d.visitor.vip });

  async function view(conversationId: string): Promise<Extract<AgentServerFrame, { type: 'conversation' }> | null> {
    const d = await described(conversationId);
    if (!isDescribed(d)) return null;
    return {
      type: 'conversation',
      conversationId,
      status: d.status,
      agentId: d.agentId,
      accepted: d.accepted,
      lastSeq: d.lastSeq,
      invitedAgentIds: [...d.invitedAgentIds],
      monitors: d.monitors.map((m) => ({ ...m })),
      visitor: visitorView(d),
      context: { page: d.context.page ? { ...d.context.page } : null, locale: d.context.locale, device: d.context.device, timeZone: d.context.timeZone },
      channelId: d.channelId,
      skillGroupId: d.skillGroupId,
      preChat: d.preChat,
      transferMemo: d.transferMemo,
      tags: [...d.tags],
    };
  }

  async function hello(ws: Socket, who: Authenticated, frame: Extract<AgentClientFrame, { type: 'hello' }>): Promise<void> {
    const data = ws.getUserData().session;
    if (data.helloed) return sendFrame(ws, errorFrame('INVALID_FIELD', 'hello was already said on this connection', false));
    data.greeting = true;
    try {
      await greet(ws, who, frame);
    } finally {
      data.greeting = false;
    }
  }

  async function greet(ws: Socket, who: Authenticated, frame: Extract<AgentClientFrame, { type: 'hello' }>): Promise<void> {
    const data = ws.getUserData().session;
    if (frame.v !== AGENT_PROTOCOL_VERSION) {
      sendFrame(ws, errorFrame('UNSUPPORTED_VERSION', `this gateway speaks agent protocol v${AGENT_PROTOCOL_VERSION}`, false));
      return close(ws, CLOSE.UNSUPPORTED_VERSION, 'unsupported version');
    }
    if (!data.takesConversations) {
      // A supervisor who is not an agent: no presence, nothing assigned; they watch conversations they open.
      data.helloed = true;
      const watched = await stillWatched(ws, who, frame.watching ?? [], []);
      await Promise.all(watched.map(reconsider));
      return sendFrame(ws, {
        type: 'welcome',
        v: AGENT_PROTOCOL_VERSION,
        agent: { id: data.accountId, displayName: data.displayName, status: 'offline', takesConversations: false },
        conversations: watched.map(({ type: _type, ...v }) => v),
        heartbeatMs: deps.heartbeatMs,
      });
    }
    const connected = await deps.agent(data.accountId, { type: 'connect', connectionId: data.connectionId, ...(frame.status ? { status: frame.status } : {}) });
    if (!connected.ok) {
      sendFrame(ws, failureFrame(connected, {}));
      return close(ws, CLOSE.UNAUTHORIZED, 'not an agent');
    }
    data.helloed = true;
    const profiled = await deps.agent(data.accountId, { type: 'describe' });
    const profile = profiled.ok ? profiled.effects.find((e) => e.type === 'profile') : undefined;
    // Its own conversations, then those it was invited into (which it may have left meanwhile).
    const own = (await Promise.all((profile?.conversations ?? []).map(view))).filter((c) => c !== null);
    type View = NonNullable<Awaited<ReturnType<typeof view>>>;
    const invited = (await Promise.all((profile?.invitations ?? []).filter((id) => !profile?.conversations.includes(id)).map(view))).filter(
      (c): c is View => c !== null && c.status !== 'closed' && c.invitedAgentIds.includes(data.accountId),
    );
    const held = [...own, ...invited];
    const conversations = [...held, ...(await stillWatched(ws, who, frame.watching ?? [], held.map((c) => c.conversationId)))];
    await Promise.all(conversations.map(reconsider));
    sendFrame(ws, {
      type: 'welcome',
      v: AGENT_PROTOCOL_VERSION,
      agent: { id: data.accountId, displayName: profile?.displayName ?? data.displayName, status: profile?.status ?? 'offline', takesConversations: true },
      conversations: conversations.map(({ type: _type, ...v }) => v),
      heartbeatMs: deps.heartbeatMs,
    });
  }

  type BoardRow = Extract<AgentServerFrame, { type: 'agents' }>['agents'][number];
  /** An agent's profile as their actor tells it, or undefined (no actor yet, or not reachable now). */
  async function profileOf(agentId: string) {
    const r = await deps.agent(agentId, { type: 'describe' }).catch(() => null);
    return r?.ok ? r.effects.find((e) => e.type === 'profile') : undefined;
  }
  /** One agent as the board shows them. Without a profile (an agent who never signed in since it was made) they are offline with nothing. */
  const boardRow = (agentId: string, displayName: string, p: Awaited<ReturnType<typeof profileOf>>): BoardRow => ({
    agentId,
    displayName: p?.displayName ?? displayName,
    status: p?.status ?? 'offline',
    load: p?.load ?? 0,
    maxConversations: p?.maxConversations ?? 0,
    conversations: [...(p?.conversations ?? [])],
  });

  /** Agents whose change the boards here have not been told yet (see agentChanged). */
  const boardChanges = new Set<string>();
  let boardTimer: ReturnType<typeof setTimeout> | null = null;
  /** Tells every tab whose live board shows one of the changed agents how that agent is now. */
  async function tellBoards(): Promise<void> {
    boardTimer = null;
    const changed = [...boardChanges];
    boardChanges.clear();
    const now = clock();
    const watchers = [...all].filter((ws) => {
      const { board, helloed } = ws.getUserData().session;
      return helloed && board !== null && board.until > now;
    });
    await Promise.all(
      changed.map(async (agentId) => {
        const tabs = watchers.filter((ws) => ws.getUserData().session.board!.agentIds.has(agentId));
        if (tabs.length === 0) return;
        // Not reachable right now: the tab's next `agents` answer tells how they are.
        const profile = await profileOf(agentId);
        if (!profile) return;
        const agent = boardRow(agentId, profile.displayName, profile);
        for (const ws of tabs) sendFrame(ws, { type: 'board-agent', agent });
      }),
    );
  }

  /**
   * Of the conversations a reconnecting tab says it watched (hello's `watching`), those that are
   * open, still list this account among their watching supervisors, and that it may still watch
   * (`monitoring.read` over their skill group) — besides those already listed. Others are left out
   * without a word: a closed or unknown conversation is simply no longer watched. Each one that is
   * goes on as watched from this tab (the old tab's `watcher-left`, later, leaves it watched).
   */
  async function stillWatched(ws: Socket, who: Authenticated, ids: readonly string[], listed: readonly string[]): Promise<Extract<AgentServerFrame, { type: 'conversation' }>[]> {
    const data = ws.getUserData().session;
    const me = who.principal.accountId;
    const watched = await Promise.all(
      [...new Set(ids)]
        .filter((id) => !listed.includes(id))
        .map(async (id) => {
          const allowed = await supervising(who, id, 'monitoring.read');
          const mode = 'code' in allowed || allowed.status === 'closed' ? undefined : allowed.monitors.find((m) => m.supervisorId === me)?.mode;
          if (!mode || !(await deps.conversation(id, { type: 'monitor', supervisorId: me, mode, connectionId: data.connectionId })).ok) return null;
          data.watches.add(id);
          return view(id);
        }),
    );
    return watched.filter((c) => c !== null);
  }

  /**
   * Whether the account may act as a supervisor on this conversation: `permission` over the
   * department of the skill group serving it. Answers the conversation's description, or the
   * error frame to send.
   */
  async function supervising(who: Authenticated, conversationId: string, permission: Permission): Promise<Described | ErrorFrame> {
    const d = await described(conversationId);
    if (!isDescribed(d)) return failureFrame(d, { conversationId });
    const scope = d.skillGroupId === null ? null : await deps.skillGroupScope(d.tenantId, d.skillGroupId);
    const decision = may(who.principal, permission, scope);
    if (!decision.allowed) return errorFrame('NOT_PERMITTED', `supervising this conversation needs ${permission} over its skill group`, false, { conversationId });
    return d;
  }

  /** Who the frame's sender is in the conversation: one of its agents, or (`as: 'supervisor'`) a supervisor allowed to intervene. */
  async function actorFor(who: Authenticated, frame: { conversationId: string; as?: 'supervisor' | undefined }): Promise<Actor | ErrorFrame> {
    if (frame.as !== 'supervisor') return { kind: 'agent', agentId: who.principal.accountId };
    const allowed = await supervising(who, frame.conversationId, 'monitoring.intervene');
    return 'code' in allowed ? allowed : { kind: 'supervisor', supervisorId: who.principal.accountId };
  }

  const notAnAgent = (conversationId?: string): ErrorFrame =>
    errorFrame('NOT_AN_AGENT', 'this account watches conversations but takes none (it is not an agent)', false, conversationId ? { conversationId } : {});

  /** `receivedAt`: when the frame arrived (clock), for the ack latency. */
  async function handle(ws: Socket, frame: AgentClientFrame, receivedAt: number): Promise<void> {
    const data = ws.getUserData().session;
    if (frame.type === 'ping') return sendFrame(ws, { type: 'pong' });
    // Every frame is authorized again: a session that ended, or rights that changed, stop here.
    const who = await deps.authenticator.fromSession(data.token);
    if (!who || who.principal.accountId !== data.accountId) {
      sendFrame(ws, errorFrame('UNAUTHENTICATED', 'your session has ended; sign in again', false));
      return close(ws, CLOSE.UNAUTHORIZED, 'session ended');
    }
    if (!mayUse(who.principal, data.takesConversations ? 'conversations.reply' : 'monitoring.read').allowed) {
      sendFrame(ws, errorFrame('FORBIDDEN', 'your roles no longer allow using the workstation', false));
      return close(ws, CLOSE.UNAUTHORIZED, 'forbidden');
    }
    if (frame.type === 'hello') return hello(ws, who, frame);
    if (!data.helloed) {
      sendFrame(ws, errorFrame('INVALID_FIELD', 'the first frame must be hello', false));
      return close(ws, CLOSE.PROTOCOL_VIOLATION, 'hello first');
    }
    const me = data.accountId;
    switch (frame.type) {
      case 'set-status': {
        if (!data.takesConversations) return sendFrame(ws, notAnAgent());
        const r = await deps.agent(me, { type: 'set-status', status: frame.status });
        if (!r.ok) sendFrame(ws, failureFrame(r, {}));
        return;
      }
      case 'history':
        return history(ws, frame.conversationId, frame.afterSeq ?? 0);
      case 'visitor-history':
        return visitorHistory(ws, who, frame.conversationId);
      case 'queue':
        return queueView(ws, who, frame.skillGroupId);
      case 'agents': {
        if (!mayUse(who.principal, 'monitoring.read').allowed) return sendFrame(ws, errorFrame('NOT_PERMITTED', 'the agent board needs monitoring.read', false));
        const accounts = await deps.agentsIn(who.principal.tenantId, visibleSubtree(who.principal), AGENT_BOARD_SIZE);
        const board = await Promise.all(accounts.map(async (a) => boardRow(a.accountId, a.displayName, await profileOf(a.accountId))));
        data.board = { agentIds: new Set(accounts.map((a) => a.accountId)), until: clock() + LIVE_BOARD_MS };
        return sendFrame(ws, { type: 'agents', agents: board });
      }
      case 'force-status': {
        // A supervisor over the agent's department; an agent's own status is `set-status`.
        const scope = await deps.agentScope(who.principal.tenantId, frame.agentId);
        if (!scope) return sendFrame(ws, errorFrame('AGENT_UNKNOWN', `no agent ${frame.agentId} in your organisation`, false));
        if (!may(who.principal, 'monitoring.intervene', scope).allowed) return sendFrame(ws, errorFrame('NOT_PERMITTED', 'setting an agent’s status needs monitoring.intervene over their department', false));
        const r = await deps.agent(frame.agentId, { type: 'force-status', status: frame.status, by: me });
        if (!r.ok) return sendFrame(ws, failureFrame(r, {}));
        return sendFrame(ws, { type: 'agent-status', agentId: frame.agentId, status: frame.status });
      }
      case 'visitors':
        return sendFrame(ws, { type: 'visitors', visitors: (await visibleVisitors(who)).slice(0, ONLINE_VIEW_SIZE) });
      case 'invite-visitor': {
        if (!data.takesConversations) return sendFrame(ws, notAnAgent());
        const visitor = (await visibleVisitors(who)).find((v) => v.visitorId === frame.visitorId);
        if (!visitor) return sendFrame(ws, errorFrame('VISITOR_UNKNOWN', 'that visitor is not on the site (or not on a channel of yours)', false));
        const current = visitor.conversationId ? await described(visitor.conversationId) : null;
        if (current && isDescribed(current) && current.status !== 'closed' && current.status !== 'offline-message') {
          return sendFrame(ws, errorFrame('VISITOR_BUSY', 'that visitor is already in a conversation', false));
        }
        const tabs = await deps.inviteVisitor(who.principal.tenantId, frame.visitorId, { agent: { id: me, name: data.displayName }, text: frame.text ?? '' });
        if (tabs === 0) return sendFrame(ws, errorFrame('VISITOR_UNKNOWN', 'that visitor has just left', false));
        return sendFrame(ws, { type: 'visitor-invited', visitorId: frame.visitorId });
      }
      case 'pick': {
        if (!data.takesConversations) return sendFrame(ws, notAnAgent());
        if (!(await deps.skillGroupScope(who.principal.tenantId, frame.skillGroupId))) return sendFrame(ws, errorFrame('SKILL_GROUP_UNKNOWN', `no skill group ${frame.skillGroupId}`, false));
        // The hand-over runs on: the conversation arrives as a `conversation` frame, as any assignment does.
        const r = await deps.queue(frame.skillGroupId, { type: 'pick', agentId: me, conversationId: frame.conversationId ?? null });
        if (!r.ok) sendFrame(ws, failureFrame(r, frame.conversationId ? { conversationId: frame.conversationId } : {}));
        return;
      }
      default:
        return conversationFrame(ws, who, frame, receivedAt);
    }
  }

  /** The frames that act on one conversation. */
  type ConversationFrame = Exclude<Extract<AgentClientFrame, { conversationId: string }>, { type: 'history' | 'visitor-history' }>;
  async function conversationFrame(ws: Socket, who: Authenticated, frame: ConversationFrame, receivedAt: number): Promise<void> {
    const data = ws.getUserData().session;
    const me = data.accountId;
    const { conversationId } = frame;
    const about = { conversationId, ...(frame.type === 'message' ? { clientMsgId: frame.clientMsgId } : {}) };
    const fail = (error: ErrorFrame) => sendFrame(ws, { ...error, ...about });
    let r: Delivered<unknown> | undefined;
    switch (frame.type) {
      case 'accept':
        if (!data.takesConversations) return fail(notAnAgent());
        r = await deps.conversation(conversationId, { type: 'accept', agentId: me });
        break;
      case 'read':
        r = await deps.conversation(conversationId, { type: 'read', by: { kind: 'agent', agentId: me }, seq: frame.seq });
        break;
      case 'leave':
        r = await deps.conversation(conversationId, { type: 'leave', agentId: me });
        break;
      case 'message':
      case 'typing':
      case 'close': {
        const actor = await actorFor(who, frame);
        if ('code' in actor) return frame.type === 'typing' ? undefined : fail(actor);
        const file = frame.type === 'message' && frame.file ? await deps.files.attach(frame.file.id, conversationId, `account:${me}`, new Date()) : undefined;
        if (file === null) return fail(errorFrame('FILE_UNKNOWN', 'attach a file you uploaded to this conversation', false));
        r =
          frame.type === 'message'
            ? await deps.conversation(conversationId, { type: 'post-message', from: actor, clientMsgId: frame.clientMsgId, text: frame.text, ...(file ? { file } : {}) })
            : frame.type === 'typing'
              ? await deps.conversation(conversationId, { type: 'typing', from: actor, typing: frame.typing })
              : await deps.conversation(conversationId, { type: 'close', by: actor, summary: frame.summary ?? null });
        break;
      }
      case 'request-rating': {
        const actor = await actorFor(who, frame);
        if ('code' in actor) return fail(actor);
        const asked = await deps.conversation(conversationId, { type: 'request-rating', by: actor });
        if (!asked.ok) return fail(failureFrame(asked, about));
        return sendFrame(ws, { type: 'rating-requested', conversationId });
      }
      case 'tag': {
        const actor = await actorFor(who, frame);
        if ('code' in actor) return fail(actor);
        r = await deps.conversation(conversationId, { type: 'tag', by: actor, tags: frame.tags });
        break;
      }
      case 'block-visitor': {
        const actor = await actorFor(who, frame);
        if ('code' in actor) return fail(actor);
        const d = await described(conversationId);
        if (!isDescribed(d)) return fail(failureFrame(d, about));
        // Its agent (still, or the last one of a closed conversation), or a supervisor allowed to intervene.
        if (actor.kind === 'agent' && d.agentId !== me) return fail(errorFrame('NOT_ASSIGNED_AGENT', 'only the conversation’s agent may block its visitor', false));
        const until = frame.days ? Date.now() + frame.days * 86_400_000 : null;
        const reason = frame.reason?.trim() ?? '';
        try {
          await deps.blockVisitor(who, { visitorId: d.visitor.visitorId, reason, expiresAt: until === null ? null : new Date(until), conversationId });
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          return fail(error.type === 'CONFLICT' ? errorFrame('ALREADY_BLOCKED', 'this visitor is already blocked', false) : errorFrame('VISITOR_UNKNOWN', 'this conversation’s visitor is not in the directory', false));
        }
        if (d.status !== 'closed') {
          const closed = await deps.conversation(conversationId, { type: 'close', by: actor, summary: reason || null });
          if (!closed.ok) fail(failureFrame(closed, about)); // blocked all the same
        }
        return sendFrame(ws, { type: 'visitor-blocked', conversationId, visitorId: d.visitor.visitorId, until });
      }
      case 'transfer':
      case 'invite': {
        const actor = await actorFor(who, frame);
        if ('code' in actor) return fail(actor);
        const target = frame.type === 'invite' ? { agentId: frame.agentId } : frame.to;
        if ('agentId' in target && !(await deps.agentScope(who.principal.tenantId, target.agentId))) {
          return fail(errorFrame('AGENT_UNKNOWN', `no agent ${target.agentId} in your organisation`, false));
        }
        if ('skillGroupId' in target && !(await deps.skillGroupScope(who.principal.tenantId, target.skillGroupId))) {
          return fail(errorFrame('SKILL_GROUP_UNKNOWN', `no skill group ${target.skillGroupId}`, false));
        }
        if (frame.type === 'invite') r = await deps.conversation(conversationId, { type: 'invite', by: actor, agentId: frame.agentId });
        else if ('agentId' in frame.to) r = await transferToAgent(deps, conversationId, actor, frame.to.agentId, frame.memo ?? null);
        else r = await deps.conversation(conversationId, { type: 'transfer', by: actor, to: frame.to, memo: frame.memo ?? null });
        break;
      }
      case 'monitor': {
        if (frame.mode !== 'stop') {
          const allowed = await supervising(who, conversationId, frame.mode === 'monitor' ? 'monitoring.read' : 'monitoring.intervene');
          if ('code' in allowed) return fail(allowed);
        }
        const mode = frame.mode === 'stop' ? null : frame.mode;
        r = await deps.conversation(conversationId, { type: 'monitor', supervisorId: me, mode, ...(mode ? { connectionId: data.connectionId } : {}) });
        if (r.ok && mode) data.watches.add(conversationId);
        else if (r.ok) data.watches.delete(conversationId);
        break;
      }
      case 'take-over': {
        if (!data.takesConversations) return fail(notAnAgent());
        const allowed = await supervising(who, conversationId, 'monitoring.intervene');
        if ('code' in allowed) return fail(allowed);
        r = await takeOver(deps, conversationId, me);
        break;
      }
    }
    if (!r) return;
    if (!r.ok) {
      // Typing is best effort: a closed conversation just ignores it.
      if (frame.type !== 'typing') fail(failureFrame(r, about));
      return;
    }
    if (frame.type === 'message') {
      const ack = (r.effects as ConversationEffect[]).find((e) => e.type === 'ack');
      if (ack) {
        sendFrame(ws, { type: 'ack', conversationId, clientMsgId: ack.clientMsgId, seq: ack.seq });
        metrics.acked((clock() - receivedAt) / 1000);
      }
    }
  }

  /** The log of a conversation this account is on the agents' side of, after `afterSeq`. */
  async function history(ws: Socket, conversationId: string, afterSeq: number): Promise<void> {
    const me = ws.getUserData().session.accountId;
    const d = await described(conversationId);
    if (!isDescribed(d) || !participants(d).includes(me)) {
      return sendFrame(ws, errorFrame('NOT_A_PARTICIPANT', 'only the conversation’s agents and watching supervisors read its history here', false, { conversationId }));
    }
    let last = Math.min(afterSeq, d.lastSeq);
    for (;;) {
      const page = await deps.log.read(conversationId, last, { limit: HISTORY_PAGE, publicOnly: false, through: d.lastSeq });
      for (const m of page) sendFrame(ws, { type: 'message', conversationId, seq: m.seq, clientMsgId: m.clientMsgId, from: m.from, visibility: m.visibility, text: m.text, ...(m.file ? { file: m.file } : {}), at: m.at });
      if (page.length > 0) last = page[page.length - 1]!.seq;
      if (page.length < HISTORY_PAGE) break;
      await drained(ws);
      if (ws.getUserData().session.closed) return;
    }
    sendFrame(ws, { type: 'history', conversationId, lastSeq: Math.max(last, d.lastSeq) });
  }

  /** Resolves once at most HISTORY_PAUSE_BYTES wait to be sent on the socket, or it closed. */
  function drained(ws: Socket): Promise<void> {
    const data = ws.getUserData().session;
    if (data.closed || ws.getBufferedAmount() <= HISTORY_PAUSE_BYTES) return Promise.resolve();
    metrics.backpressure('paused');
    return new Promise((resolve) => data.onDrain.push(resolve));
  }

  function wakeDrainWaiters(data: SocketData): void {
    const waiting = data.onDrain;
    data.onDrain = [];
    for (const resume of waiting) resume();
  }

  /** The earlier conversations of a conversation's visitor, as far as this account may read history (History's scope). */
  async function visitorHistory(ws: Socket, who: Authenticated, conversationId: string): Promise<void> {
    const d = await described(conversationId);
    if (!isDescribed(d) || !participants(d).includes(ws.getUserData().session.accountId)) {
      return sendFrame(ws, errorFrame('NOT_A_PARTICIPANT', 'only the conversation’s agents and watching supervisors read its visitor’s history here', false, { conversationId }));
    }
    if (!mayUse(who.principal, 'history.read').allowed) {
      return sendFrame(ws, errorFrame('NOT_PERMITTED', 'reading history needs history.read', false, { conversationId }));
    }
    const records = await deps.visitorHistory(who.principal, d.visitor.visitorId, VISITOR_HISTORY_LIMIT + 1);
    const conversations = records
      .filter((r) => r.conversationId !== conversationId)
      .slice(0, VISITOR_HISTORY_LIMIT)
      .map((r) => ({
        conversationId: r.conversationId,
        status: r.status,
        createdAt: r.createdAt,
        closedAt: r.closedAt,
        agentId: r.agentId,
        skillGroupId: r.skillGroupId,
        summary: r.summary,
        rating: r.score === null ? null : { score: r.score, comment: r.comment },
      }));
    sendFrame(ws, { type: 'visitor-history', conversationId, conversations });
  }

  /** The online visitors this account may see: of the channels of its own skill groups, and of groups it supervises. */
  async function visibleVisitors(who: Authenticated): Promise<OnlineVisitor[]> {
    const [online, account] = await Promise.all([deps.onlineVisitors(who.principal.tenantId), deps.account(who)]);
    const allowed = new Map<string, boolean>();
    for (const groupId of new Set(online.map((v) => v.skillGroupId))) {
      const own = account.isAgent && account.skillGroupIds.includes(groupId);
      allowed.set(groupId, own || may(who.principal, 'monitoring.read', await deps.skillGroupScope(who.principal.tenantId, groupId)).allowed);
    }
    return online.filter((v) => allowed.get(v.skillGroupId));
  }

  /** The queue view: for the group's own agents, and for supervisors over it (who also see its agents). */
  async function queueView(ws: Socket, who: Authenticated, skillGroupId: string): Promise<void> {
    const scope = await deps.skillGroupScope(who.principal.tenantId, skillGroupId);
    if (!scope) return sendFrame(ws, errorFrame('SKILL_GROUP_UNKNOWN', `no skill group ${skillGroupId}`, false));
    const r = await deps.queue(skillGroupId, { type: 'describe', limit: QUEUE_VIEW_SIZE });
    if (!r.ok) return sendFrame(ws, failureFrame(r, {}));
    const q = r.effects.find((e) => e.type === 'waiting');
    if (!q) return sendFrame(ws, failureFrame(null, {}));
    const supervisor = may(who.principal, 'monitoring.read', scope).allowed;
    const member = q.agents.some((a) => a.agentId === who.principal.accountId);
    if (!supervisor && !member) return sendFrame(ws, errorFrame('NOT_PERMITTED', 'the queue view is for the skill group’s agents and its supervisors', false));
    const waiting = await Promise.all(
      q.entries.map(async (e) => {
        const d = await described(e.conversationId);
        if (!isDescribed(d)) return null;
        return { conversationId: e.conversationId, priority: e.priority, waitedMs: Math.max(0, Math.round(e.waitedMs)), offeredTo: e.offeredTo, visitor: visitorView(d), channelId: d.channelId, preChat: d.preChat };
      }),
    );
    sendFrame(ws, {
      type: 'queue',
      skillGroupId,
      policy: q.policy as Extract<AgentServerFrame, { type: 'queue' }>['policy'],
      total: q.total,
      longestWaitMs: Math.max(0, Math.round(q.longestWaitMs)),
      estimatedWaitMs: Math.max(0, Math.round(q.estimatedWaitMs)),
      waiting: waiting.filter((w) => w !== null),
      agents: supervisor ? q.agents.map((a) => ({ agentId: a.agentId, status: a.status, load: a.load, maxConversations: a.maxConversations, freeSlots: a.freeSlots })) : [],
    });
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
      const account = await deps.account(who);
      const takesConversations = account.isAgent && mayUse(who.principal, 'conversations.reply').allowed;
      if (!takesConversations && !mayUse(who.principal, 'monitoring.read').allowed) return 403;
      if ((byAccount.get(who.principal.accountId)?.size ?? 0) >= MAX_TABS_PER_AGENT) return 429;
      const now = clock();
      return {
        token: token!,
        accountId: who.principal.accountId,
        displayName: account.displayName,
        takesConversations,
        connectionId: randomBytes(9).toString('base64url'),
        openedAt: now,
        bucket: new TokenBucket({ capacity: FRAME_BURST, perSecond: FRAMES_PER_SECOND, now }),
        helloed: false,
        greeting: false,
        lastFrameAt: now,
        refusedInARow: 0,
        work: Promise.resolve(),
        closed: false,
        onDrain: [],
        board: null,
        watches: new Set(),
      };
    };
    check().then(
      (data) => {
        if (aborted) return;
        if (data === 401) return sendHttp(res, json(401, { code: 'UNAUTHENTICATED', message: 'sign in first', temporary: false }));
        if (data === 403) return sendHttp(res, json(403, { code: 'FORBIDDEN', message: 'this account neither takes conversations nor supervises them', temporary: false }));
        if (data === 429) return sendHttp(res, json(429, { code: 'TOO_MANY_CONNECTIONS', message: `at most ${MAX_TABS_PER_AGENT} workstation tabs at once`, temporary: true }));
        upgradeAfterWait<Attached<SocketData>>(res, { session: data }, key, protocol, extensions, context);
      },
      (error: unknown) => {
        deps.onError('agent upgrade', error);
        if (!aborted) sendHttp(res, json(503, { code: 'UNAVAILABLE', message: 'try again', temporary: true }));
      },
    );
  }

  const routes: RouteModule = (app: TemplatedApp) => {
    app.ws<Attached<SocketData>>(AGENT_WS_PATH, {
      ...socketLimits({ maxFrameBytes: AGENT_LIMITS.maxFrameBytes, maxBufferedBytes: MAX_BUFFERED_BYTES, heartbeatMs: deps.heartbeatMs }),
      upgrade: (res, req, context) => upgrade(res, req, context),
      open: (ws) => {
        const data = ws.getUserData().session;
        all.add(ws);
        let tabs = byAccount.get(data.accountId);
        if (!tabs) byAccount.set(data.accountId, (tabs = new Set()));
        tabs.add(ws);
      },
      message: (ws, message) => {
        const data = ws.getUserData().session;
        if (data.closed) return;
        const now = clock();
        data.lastFrameAt = now;
        metrics.received(message.byteLength);
        const decoded = decodeAgentFrame(message);
        if (!data.bucket.take(now)) return refuse(ws, RATE_LIMITED);
        if (!decoded.ok) return refuse(ws, decoded.error);
        data.refusedInARow = 0;
        data.work = data.work
          .then(() => handle(ws, decoded.frame, now))
          .catch((failure: unknown) => {
            deps.onError(`agent ${decoded.frame.type}`, failure);
            sendFrame(ws, failureFrame(failure, 'conversationId' in decoded.frame ? { conversationId: decoded.frame.conversationId } : {}));
          });
      },
      drain: (ws) => {
        if (ws.getBufferedAmount() <= HISTORY_PAUSE_BYTES) wakeDrainWaiters(ws.getUserData().session);
      },
      close: (ws) => {
        const data = ws.getUserData().session;
        data.closed = true;
        wakeDrainWaiters(data);
        all.delete(ws);
        const tabs = byAccount.get(data.accountId);
        tabs?.delete(ws);
        if (tabs?.size === 0) {
          byAccount.delete(data.accountId);
          for (const conversationId of [...interest.keys()]) notInterested(conversationId, data.accountId);
        }
        if (data.helloed && data.takesConversations) {
          void deps.agent(data.accountId, { type: 'disconnect', connectionId: data.connectionId }).catch((e: unknown) => deps.onError('agent disconnect', e));
        }
        if (data.watches.size > 0) leftWatching(data.accountId, data.connectionId, [...data.watches]);
      },
    });
  };

  const sweeper = setInterval(() => {
    const now = clock();
    for (const ws of all) {
      const data = ws.getUserData().session;
      if (!data.helloed && !data.greeting && now - data.openedAt > HELLO_TIMEOUT_MS) close(ws, CLOSE.PROTOCOL_VIOLATION, 'no hello');
      else if (now - data.lastFrameAt > 2 * deps.heartbeatMs) close(ws, CLOSE.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
    }
  }, sweepIntervalMs(deps.heartbeatMs));
  sweeper.unref();

  /**
   * A closed tab's watches end after the grace, for the tab (the supervisor's other tabs, or this
   * one reloaded, keep them: the conversation counts tabs). Not after a shutdown of this gateway:
   * its tabs come back elsewhere, and a watch nobody resumes stays until it is stopped or the
   * conversation ends.
   */
  const leaving = new Set<NodeJS.Timeout>();
  function leftWatching(supervisorId: string, connectionId: string, conversationIds: readonly string[]): void {
    const timer = setTimeout(() => {
      leaving.delete(timer);
      for (const conversationId of conversationIds) {
        deps.conversation(conversationId, { type: 'watcher-left', supervisorId, connectionId }).catch((error: unknown) => deps.onError('watcher left', error));
      }
    }, deps.watchGraceMs);
    timer.unref();
    leaving.add(timer);
  }

  /** Pushes of one conversation become frames one after another, so they keep their order. */
  const inOrder = serialPerKey((conversationId, error) => deps.onError(`agent push ${conversationId}`, error));

  return {
    routes,
    deliver({ conversationId, to, push, agents }) {
      if (to === 'visitor') return;
      const tabs = agents.flatMap(tabsOf);
      if (tabs.length === 0) return;
      if (push.kind === 'status' || push.kind === 'participants') {
        // Who is on the agents' side may have changed: everyone there (and whoever just left it) gets the new view.
        inOrder(conversationId, async () => {
          const frame = await view(conversationId);
          if (!frame) return;
          await reconsider(frame);
          forgetEndedWatches(frame, tabs);
          for (const ws of tabs) sendFrame(ws, frame);
        });
        return;
      }
      let frame: AgentServerFrame | null = null;
      if (push.kind === 'message') frame = { type: 'message', conversationId, ...push.message };
      else if (push.kind === 'typing') frame = { type: 'typing', conversationId, from: push.from, typing: push.typing };
      else if (push.kind === 'read') frame = { type: 'read', conversationId, by: push.by, seq: push.seq };
      else if (push.kind === 'reminder' && push.timer === 'agent-no-reply-reminder') frame = { type: 'reminder', conversationId, timer: push.timer };
      if (!frame) return;
      const f = frame;
      inOrder(conversationId, async () => {
        for (const ws of tabs) sendFrame(ws, f);
      });
    },
    presence(agentId, status) {
      for (const ws of tabsOf(agentId)) if (ws.getUserData().session.takesConversations) sendFrame(ws, { type: 'presence', status });
    },
    agentChanged(agentId) {
      boardChanges.add(agentId);
      boardTimer ??= setTimeout(() => void tellBoards().catch((error: unknown) => deps.onError('agent board update', error)), BOARD_COALESCE_MS);
    },
    get connectionCount() {
      return all.size;
    },
    async shutdown(ms) {
      clearInterval(sweeper);
      if (boardTimer) clearTimeout(boardTimer);
      for (const ws of all) close(ws, CLOSE.SERVER_SHUTDOWN, 'server shutting down');
      await untilGone(() => all.size, ms, clock);
      for (const timer of leaving) clearTimeout(timer);
      leaving.clear();
    },
  };
}
