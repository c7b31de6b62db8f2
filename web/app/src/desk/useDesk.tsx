/**
 * The agent desk as the screens use it: the desk's state (`state.ts`) kept by a reducer over the
 * frames its connection (`connection.ts`) hands on, and the agent's actions as plain functions.
 * Mounted once around every screen (Shell), so an assignment rings whichever screen is open and a
 * draft or an unsent message survives switching screens.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useReducer, useRef, useState, type ReactNode } from 'react';
import { App } from 'antd';
import { api, type Colleagues, type Me } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { navigate } from '../router.ts';
import { chime, notify, unlockAlerts } from './alert.ts';
import { NO_COLLEAGUES } from './names.ts';
import { DeskConnection, type ClientFrame } from './connection.ts';
import { awaitsAccept, deskAfter, initialDesk, watchedIds, watchingOnly, type AgentStatus, type DeskEvent, type DeskState, type SharedFile } from './state.ts';

/** Does the account hold the permission (a super admin holds them all)? */
export const can = (me: Me, permission: string): boolean => me.isSuperAdmin || me.permissions.includes(permission);

/** The desk opens for an agent who may answer, and for a supervisor who watches. */
export const deskAllowed = (me: Me): boolean => (me.isAgent && can(me, 'conversations.reply')) || can(me, 'monitoring.read');

export type TransferTarget = { agentId: string } | { skillGroupId: string };

export interface Desk {
  readonly state: DeskState;
  readonly colleagues: Colleagues;
  /** Does the signed-in account hold this permission (the screens show only what the server allows)? */
  may(permission: string): boolean;
  setStatus(status: Exclude<AgentStatus, 'offline'>): void;
  /** The agent looks at this conversation now: its history, if still waiting its turn, comes first. */
  opened(conversationId: string): void;
  accept(conversationId: string): void;
  /** A message (with a file uploaded to the conversation first, its caption in `text`). */
  send(conversationId: string, text: string, file?: SharedFile): void;
  typing(conversationId: string, typing: boolean): void;
  /** I have seen everything up to the last message. */
  read(conversationId: string): void;
  /** To a colleague or a skill group; `as: 'supervisor'` for a supervisor moving a visitor who waits in a queue. */
  transfer(conversationId: string, to: TransferTarget, memo: string, as?: 'supervisor'): void;
  close(conversationId: string, summary: string): void;
  invite(conversationId: string, agentId: string): void;
  leave(conversationId: string): void;
  /** Asks the visitor to rate the conversation now (their widget shows the form). */
  requestRating(conversationId: string): void;
  /** Sets the conversation's tags (all of them). */
  tag(conversationId: string, tags: readonly string[]): void;
  /** Blocks the conversation's visitor (拉黑) for `days` (null: until unblocked); an open conversation ends. */
  blockVisitor(conversationId: string, reason: string, days: number | null): void;
  /** Asks for the visitor's earlier conversations (answered into `earlier`). */
  loadEarlier(conversationId: string): void;
  /** Asks for the queues of these skill groups, by default mine (answered into `queues`). */
  refreshQueues(skillGroupIds?: readonly string[]): void;
  /** Asks for the supervisor's agent board (answered into `board`). */
  refreshBoard(): void;
  /** Watch (read-only), whisper, barge in, or stop (supervisor). */
  monitor(conversationId: string, mode: 'monitor' | 'whisper' | 'barge' | 'stop'): void;
  /** The supervisor takes the conversation over from its agent. */
  takeOver(conversationId: string): void;
  forceStatus(agentId: string, status: AgentStatus): void;
  pick(skillGroupId: string, conversationId: string): void;
  /** Asks who is on the site now (answered into `visitors`). */
  refreshVisitors(): void;
  /** Proactive invitation: the visitor's widget invites them to chat with me. */
  inviteVisitor(visitorId: string, text: string): void;
  dismiss(conversationId: string): void;
}

const DeskContext = createContext<Desk | null>(null);

/** The desk, or null when this account has none (not an agent, no supervisor rights). */
export const useDesk = (): Desk | null => useContext(DeskContext);

/** A fresh id for a message (letters and digits, as the protocol asks; not crypto.randomUUID, which plain-HTTP pages lack). */
function newClientMsgId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `d${Date.now().toString(36)}${Array.from(bytes, (b) => b.toString(36).padStart(2, '0')).join('')}`;
}

const reduce = (state: DeskState, events: readonly DeskEvent[]): DeskState => deskAfter(state, events);

/** The conversation ids stored under `key` (sessionStorage), or none. */
function remembered(key: string): string[] {
  try {
    const ids: unknown = JSON.parse(sessionStorage.getItem(key) ?? '[]');
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

export function DeskProvider({ me, onSignedOut, children }: { me: Me; onSignedOut: (reason: 'ended') => void; children: ReactNode }) {
  if (!deskAllowed(me)) return <>{children}</>;
  return <OpenDesk me={me} onSignedOut={onSignedOut}>{children}</OpenDesk>;
}

function OpenDesk({ me, onSignedOut, children }: { me: Me; onSignedOut: (reason: 'ended') => void; children: ReactNode }) {
  const { t } = useI18n();
  const [state, dispatch] = useReducer(reduce, initialDesk);
  const [colleagues, setColleagues] = useState<Colleagues>(NO_COLLEAGUES);
  const stateRef = useRef(state);
  stateRef.current = state;
  const connection = useRef<DeskConnection | null>(null);
  const watchingKey = `kefu.desk.watching.${me.id}`;

  useEffect(() => {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/agent`;
    const c = new DeskConnection({ url, current: () => stateRef.current, onEvents: dispatch, watchedBefore: () => remembered(watchingKey) });
    connection.current = c;
    c.start();
    return () => {
      c.stop();
      connection.current = null;
    };
  }, []);

  useEffect(() => {
    if (state.connection === 'signed-out') onSignedOut('ended');
  }, [state.connection, onSignedOut]);

  // What this tab watches survives a reload: the next hello names it (kept once a welcome said what holds).
  const watched = state.agent ? JSON.stringify(watchedIds(state)) : null;
  useEffect(() => {
    if (watched !== null) sessionStorage.setItem(watchingKey, watched);
  }, [watched, watchingKey]);

  // A refusal from the gateway shows once, on whichever screen is open (desk, monitor …).
  const { message: toast } = App.useApp();
  useEffect(() => {
    if (!state.notice) return;
    toast.warning(state.notice.message);
    dispatch([{ kind: 'notice-seen' }]);
  }, [state.notice, toast]);

  // Names for transfer targets and message authors; read again at each (re)connect.
  useEffect(() => {
    if (state.connection !== 'online') return;
    let live = true;
    api<Colleagues>('GET', '/colleagues').then((c) => live && setColleagues(c), () => undefined);
    return () => {
      live = false;
    };
  }, [state.connection]);

  // A new assignment rings: chime, and a desktop notification when the page is behind others.
  const rang = useRef(0);
  useEffect(() => {
    if (state.rings > rang.current) {
      chime();
      notify(t('desk.ring.title'), t('desk.ring.body'), () => navigate('/desk'));
    }
    rang.current = state.rings;
  }, [state.rings, t]);

  // The tab's title counts what waits for me: offers and unread messages.
  useEffect(() => {
    const waiting = Object.values(state.conversations).reduce((n, c) => n + c.unread + (awaitsAccept(c, me.id) ? 1 : 0), 0);
    document.title = waiting > 0 ? `(${waiting}) Kefu 客服` : 'Kefu 客服';
  }, [state.conversations, me.id]);

  const send = useCallback((frame: ClientFrame): boolean => connection.current?.send(frame) ?? false, []);
  /** A watching supervisor writes as one (a whisper, or to everyone while barging in). */
  const asSupervisor = (conversationId: string): { as?: 'supervisor' } => {
    const c = stateRef.current.conversations[conversationId];
    return c && watchingOnly(c, me.id) ? { as: 'supervisor' } : {};
  };

  const desk = useMemo<Desk>(
    () => ({
      state,
      colleagues,
      may: (permission) => can(me, permission),
      setStatus: (status) => {
        unlockAlerts();
        send({ type: 'set-status', status });
      },
      opened: (conversationId) => connection.current?.prioritize(conversationId),
      accept: (conversationId) => {
        unlockAlerts();
        send({ type: 'accept', conversationId });
      },
      send: (conversationId, text, file) => {
        const clientMsgId = newClientMsgId();
        dispatch([{ kind: 'send', conversationId, outgoing: { clientMsgId, text, createdAt: Date.now(), ...(file ? { file } : {}) } }]);
        send({ type: 'message', conversationId, clientMsgId, text, ...(file ? { file: { id: file.id } } : {}), ...asSupervisor(conversationId) });
      },
      typing: (conversationId, typing) => void send({ type: 'typing', conversationId, typing, ...asSupervisor(conversationId) }),
      read: (conversationId) => {
        const c = stateRef.current.conversations[conversationId];
        const seq = c?.messages[c.messages.length - 1]?.seq ?? 0;
        if (!c || (seq <= c.readSeq && c.unread === 0)) return;
        dispatch([{ kind: 'read', conversationId, seq }]);
        // A watching supervisor's reading is their own: read receipts are the visitor's and its agents'.
        if (!watchingOnly(c, me.id)) send({ type: 'read', conversationId, seq });
      },
      transfer: (conversationId, to, memo, as) => void send({ type: 'transfer', conversationId, to, ...(memo ? { memo } : {}), ...(as ? { as } : {}) }),
      close: (conversationId, summary) => void send({ type: 'close', conversationId, ...(summary ? { summary } : {}) }),
      invite: (conversationId, agentId) => void send({ type: 'invite', conversationId, agentId }),
      leave: (conversationId) => void send({ type: 'leave', conversationId }),
      requestRating: (conversationId) => void send({ type: 'request-rating', conversationId }),
      tag: (conversationId, tags) => void send({ type: 'tag', conversationId, tags: [...tags], ...asSupervisor(conversationId) }),
      blockVisitor: (conversationId, reason, days) => void send({ type: 'block-visitor', conversationId, ...(reason ? { reason } : {}), days }),
      loadEarlier: (conversationId) => void send({ type: 'visitor-history', conversationId }),
      refreshQueues: (skillGroupIds = me.skillGroupIds) => {
        for (const skillGroupId of skillGroupIds) send({ type: 'queue', skillGroupId });
      },
      refreshBoard: () => void send({ type: 'agents' }),
      monitor: (conversationId, mode) => void send({ type: 'monitor', conversationId, mode }),
      takeOver: (conversationId) => void send({ type: 'take-over', conversationId }),
      forceStatus: (agentId, status) => void send({ type: 'force-status', agentId, status }),
      pick: (skillGroupId, conversationId) => void send({ type: 'pick', skillGroupId, conversationId }),
      refreshVisitors: () => void send({ type: 'visitors' }),
      inviteVisitor: (visitorId, text) => void send({ type: 'invite-visitor', visitorId, ...(text ? { text } : {}) }),
      dismiss: (conversationId) => dispatch([{ kind: 'dismiss', conversationId }]),
    }),
    [state, colleagues, send, me],
  );

  return <DeskContext.Provider value={desk}>{children}</DeskContext.Provider>;
}
