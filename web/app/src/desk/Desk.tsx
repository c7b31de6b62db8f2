/*
 * The rows are plain elements, no animated Ant Design badges: two hundred of those updating at
 * once (a history streaming in) is what React's nested-update limit is there to stop.
 */
/**
 * The agent desk (工作台): the status switch and the conversation list on the left (offered to
 * me, mine, waiting in my skill groups for a manual pick, recently closed — virtualised, so two
 * hundred open conversations stay smooth), the chat pane in the middle, the visitor on the right.
 * Accept, transfer (to a colleague or a skill group, with a memo), invite a colleague, close with
 * a service summary (服务小结). Keyboard: Alt+↓/↑ next/previous conversation, Alt+A accept,
 * Alt+T transfer, Alt+W close; Enter sends.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Button, Drawer, Empty, Form, Input, Modal, Segmented, Select, Space, Tag, Tooltip, Typography } from 'antd';
import { CheckCircleOutlined, CloseCircleOutlined, InfoCircleOutlined, StarOutlined, StopOutlined, SwapOutlined, UserAddOutlined } from '@ant-design/icons';
import VirtualList from '@rc-component/virtual-list';
import type { QuickReply } from '../api.ts';
import { useI18n, type MessageKey } from '../i18n.tsx';
import { useFetched } from '../useFetched.ts';
import { Chat } from './Chat.tsx';
import { TransferDialog } from './TransferDialog.tsx';
import { duration, skillGroupName, visitorName } from './names.ts';
import { awaitsAccept, listed, watchingOnly, type AgentStatus, type DeskConversation, type ListSection, type QueueView } from './state.ts';
import { useDesk, type Desk as DeskApi } from './useDesk.tsx';
import { useNow, useSize } from './useSize.ts';
import { OnlineVisitors } from './Visitors.tsx';
import { VisitorPane } from './VisitorPane.tsx';

type Row =
  | { key: string; kind: 'header'; label: MessageKey; count: number }
  | { key: string; kind: 'conversation'; section: ListSection; c: DeskConversation }
  | { key: string; kind: 'waiting'; skillGroupId: string; entry: QueueView['waiting'][number] };

const QUEUE_POLL_MS = 5_000;
/** The conversation the desk shows, kept for the tab (a reload, or the monitor's Watch, opens it). */
export const DESK_SELECTION_KEY = 'kefu.desk.selected';
const ROW_HEIGHT = 64;

const NO_REPLIES: readonly QuickReply[] = [];

export function DeskScreen() {
  const desk = useDesk();
  if (!desk) return null; // the menu offers the desk only to those who have one
  return <DeskView desk={desk} />;
}

function DeskView({ desk }: { desk: DeskApi }) {
  const { t } = useI18n();
  const { state } = desk;
  const me = state.agent?.id ?? '';
  const [selected, setSelected] = useState<string | null>(() => sessionStorage.getItem(DESK_SELECTION_KEY));
  const [dialog, setDialog] = useState<'transfer' | 'close' | 'invite' | 'block' | null>(null);
  const [sideOpen, setSideOpen] = useState(false);
  // Read once each time the desk opens (one's own are edited on My profile, another screen).
  const quickReplies = useFetched<QuickReply[]>(desk.may('conversations.reply') ? '/me/quick-replies' : null).data ?? NO_REPLIES;
  const [tab, setTab] = useState<'conversations' | 'visitors'>('conversations');

  // My skill groups' queues, for manual pick, while the desk is on screen.
  const latest = useRef(desk);
  latest.current = desk;
  useEffect(() => {
    if (state.connection !== 'online') return;
    latest.current.refreshQueues();
    const timer = setInterval(() => latest.current.refreshQueues(), QUEUE_POLL_MS);
    return () => clearInterval(timer);
  }, [state.connection]);

  const entries = useMemo(() => listed(state), [state]);
  const rows = useMemo<Row[]>(() => {
    const out: Row[] = [];
    const section = (s: ListSection): Row[] => entries.filter((e) => e.section === s).map((e) => ({ key: e.conversation.info.conversationId, kind: 'conversation', section: s, c: e.conversation }));
    const held = new Set(Object.keys(state.conversations));
    const waiting = Object.values(state.queues).flatMap((q) => q.waiting.filter((w) => w.offeredTo === null && !held.has(w.conversationId)).map((entry) => ({ skillGroupId: q.skillGroupId, entry })));
    const add = (label: MessageKey, items: Row[]) => {
      if (items.length === 0) return;
      out.push({ key: `h-${label}`, kind: 'header', label, count: items.length }, ...items);
    };
    add('desk.section.offered', section('offered'));
    add('desk.section.active', section('active'));
    add('desk.section.watching', section('watching'));
    add('desk.section.waiting', waiting.map((w) => ({ key: `w-${w.entry.conversationId}`, kind: 'waiting', ...w })));
    add('desk.section.closed', section('closed'));
    return out;
  }, [entries, state.queues, state.conversations]);

  const order = entries.map((e) => e.conversation.info.conversationId);
  const current = (selected && state.conversations[selected]) || null;
  // Nothing (or something gone) selected: the first in the list. The selection the desk opened
  // with (the last one, or the monitor's Watch) is given 3 s to arrive first.
  const [patient, setPatient] = useState(true);
  useEffect(() => {
    const timer = setTimeout(() => setPatient(false), 3_000);
    return () => clearTimeout(timer);
  }, []);
  useEffect(() => {
    if (current || (patient && selected)) return;
    if (order[0]) setSelected(order[0]);
  }, [current, order, patient, selected]);

  useEffect(() => {
    if (!selected) return;
    latest.current.opened(selected);
    sessionStorage.setItem(DESK_SELECTION_KEY, selected);
  }, [selected]);

  const step = (by: number) => {
    if (order.length === 0) return;
    const at = selected ? order.indexOf(selected) : -1;
    setSelected(order[(at + by + order.length) % order.length]!);
  };
  const mineOpen = current !== null && current.info.status !== 'closed' && current.info.agentId === me;

  // Alt+↓/↑, Alt+A, Alt+T, Alt+W (e.code: the same key whatever the layout, and on a Mac's Option).
  const keys = useRef({ step, current, mineOpen });
  keys.current = { step, current, mineOpen };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const { step, current, mineOpen } = keys.current;
      const act = (f: () => void) => {
        e.preventDefault();
        f();
      };
      if (e.code === 'ArrowDown') act(() => step(1));
      else if (e.code === 'ArrowUp') act(() => step(-1));
      else if (e.code === 'KeyA' && current && awaitsAccept(current, me)) act(() => desk.accept(current.info.conversationId));
      else if (e.code === 'KeyT' && mineOpen) act(() => setDialog('transfer'));
      else if (e.code === 'KeyW' && mineOpen) act(() => setDialog('close'));
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [desk, me]);

  const takes = state.agent?.takesConversations ?? true;
  return (
    <div className="kefu-desk" data-testid="desk">
      <aside className="kefu-desk-list">
        <div className="kefu-desk-status">
          {takes && state.agent && (
            <Segmented<Exclude<AgentStatus, 'offline'>>
              block
              aria-label={t('desk.status')}
              value={state.agent.status === 'offline' ? 'away' : state.agent.status}
              onChange={(s) => desk.setStatus(s)}
              options={[
                { value: 'ready', label: <span className="kefu-status"><i className="kefu-dot kefu-dot-ready" />{t('desk.status.ready')}</span> },
                { value: 'busy', label: <span className="kefu-status"><i className="kefu-dot kefu-dot-busy" />{t('desk.status.busy')}</span> },
                { value: 'away', label: <span className="kefu-status"><i className="kefu-dot kefu-dot-away" />{t('desk.status.away')}</span> },
              ]}
            />
          )}
          <ConnectionTag state={state.connection} />
        </div>
        <Segmented<'conversations' | 'visitors'>
          className="kefu-desk-tabs"
          block
          size="small"
          value={tab}
          onChange={setTab}
          options={[
            { value: 'conversations', label: t('desk.conversations') },
            { value: 'visitors', label: t('desk.visitors') },
          ]}
        />
        {tab === 'conversations' ? <ConversationList rows={rows} selected={selected} me={me} desk={desk} onSelect={setSelected} /> : <OnlineVisitors desk={desk} />}
      </aside>
      <section className="kefu-desk-main">
        {current ? (
          <>
            <ChatHeader c={current} me={me} desk={desk} onDialog={setDialog} onInfo={() => setSideOpen(true)} />
            {awaitsAccept(current, me) && (
              <Alert
                className="kefu-accept-banner"
                type="info"
                showIcon
                message={t('desk.offered')}
                action={<Button type="primary" size="small" onClick={() => desk.accept(current.info.conversationId)}>{t('desk.accept')}</Button>}
              />
            )}
            {current.reminded && current.awaitingSince !== null && <Alert type="warning" showIcon banner message={t('desk.reminder')} />}
            <Chat key={current.info.conversationId} c={current} desk={desk} me={me} replies={quickReplies} />
          </>
        ) : (
          <div className="kefu-desk-empty">
            <Empty description={state.connection === 'online' ? t('desk.nothing') : t('desk.connecting')} />
          </div>
        )}
      </section>
      {current && (
        <aside className="kefu-desk-side">
          <VisitorPane c={current} desk={desk} />
        </aside>
      )}
      <Drawer className="kefu-side-drawer" open={sideOpen && current !== null} onClose={() => setSideOpen(false)} width={320} title={t('desk.visitorInfo')}>
        {current && <VisitorPane c={current} desk={desk} />}
      </Drawer>
      {current && dialog === 'transfer' && <TransferDialog title={t('desk.transferTitle')} colleagues={desk.colleagues} exceptAgentId={me} onTransfer={(to, memo) => desk.transfer(current.info.conversationId, to, memo)} onDone={() => setDialog(null)} />}
      {current && dialog === 'close' && <CloseDialog c={current} desk={desk} onDone={() => setDialog(null)} />}
      {current && dialog === 'invite' && <InviteDialog c={current} desk={desk} me={me} onDone={() => setDialog(null)} />}
      {current && dialog === 'block' && <BlockDialog c={current} desk={desk} onDone={() => setDialog(null)} />}
    </div>
  );
}

function ConnectionTag({ state }: { state: DeskApi['state']['connection'] }) {
  const { t } = useI18n();
  if (state === 'online') return null;
  const label: Record<typeof state, MessageKey> = { connecting: 'desk.conn.connecting', reconnecting: 'desk.conn.reconnecting', 'signed-out': 'desk.conn.signedOut', refused: 'desk.conn.refused' };
  return <Tag color={state === 'refused' ? 'red' : 'orange'} className="kefu-conn-tag" data-testid="desk-connection">{t(label[state])}</Tag>;
}

function ConversationList({ rows, selected, me, desk, onSelect }: { rows: Row[]; selected: string | null; me: string; desk: DeskApi; onSelect: (id: string) => void }) {
  const { t } = useI18n();
  const holder = useRef<HTMLDivElement>(null);
  const { height } = useSize(holder);
  const now = useNow(10_000);
  return (
    <div className="kefu-conv-list" ref={holder} role="list" aria-label={t('desk.conversations')}>
      {rows.length === 0 && <Typography.Text type="secondary" className="kefu-conv-none">{t('desk.noConversations')}</Typography.Text>}
      {height > 0 && rows.length > 0 && (
        <VirtualList<Row> data={rows} height={height} itemHeight={ROW_HEIGHT} itemKey="key">
          {(row) => {
            if (row.kind === 'header') return <div className="kefu-conv-header">{t(row.label)} · {row.count}</div>;
            if (row.kind === 'waiting') {
              const w = row.entry;
              return (
                <div className="kefu-conv kefu-conv-waiting" role="listitem">
                  <div className="kefu-conv-avatar">{visitorName(w.visitor, t).slice(0, 1).toUpperCase()}</div>
                  <div className="kefu-conv-body">
                    <div className="kefu-conv-name">{visitorName(w.visitor, t)}</div>
                    <div className="kefu-conv-preview">{skillGroupName(row.skillGroupId, desk.colleagues)} · {t('desk.waited', { time: duration(w.waitedMs, t) })}</div>
                  </div>
                  <Button size="small" onClick={() => desk.pick(row.skillGroupId, w.conversationId)}>{t('desk.pick')}</Button>
                </div>
              );
            }
            const { c } = row;
            const id = c.info.conversationId;
            const last = c.messages[c.messages.length - 1];
            const preview = c.visitorTyping ? t('desk.typing') : last ? (last.file ? `📎 ${last.file.name}` : last.text) : c.info.status === 'closed' ? t('desk.closed') : '';
            return (
              <div
                className={`kefu-conv${id === selected ? ' kefu-conv-selected' : ''}${row.section === 'closed' ? ' kefu-conv-closed' : ''}`}
                role="listitem"
                tabIndex={0}
                aria-current={id === selected}
                data-conversation-id={id}
                onClick={() => onSelect(id)}
                onKeyDown={(e) => e.key === 'Enter' && onSelect(id)}
              >
                <div className={`kefu-conv-avatar${row.section === 'offered' ? ' kefu-conv-avatar-offered' : ''}`}>{visitorName(c.info.visitor, t).slice(0, 1).toUpperCase()}</div>
                <div className="kefu-conv-body">
                  <div className="kefu-conv-name">
                    <span>{visitorName(c.info.visitor, t)}</span>
                    {c.awaitingSince !== null && row.section !== 'closed' && (
                      <span className={`kefu-conv-wait${now - c.awaitingSince > 60_000 ? ' kefu-conv-wait-long' : ''}`}>{duration(now - c.awaitingSince, t)}</span>
                    )}
                  </div>
                  <div className="kefu-conv-preview">{preview}</div>
                </div>
                {c.unread > 0 && <span className="kefu-unread" aria-label={t('desk.unread', { n: c.unread })}>{c.unread > 99 ? '99+' : c.unread}</span>}
                {row.section === 'offered' && c.info.agentId === me && <Tag color="blue" className="kefu-conv-tag">{t('desk.new')}</Tag>}
              </div>
            );
          }}
        </VirtualList>
      )}
    </div>
  );
}

function ChatHeader({ c, me, desk, onDialog, onInfo }: { c: DeskConversation; me: string; desk: DeskApi; onDialog: (d: 'transfer' | 'close' | 'invite' | 'block') => void; onInfo: () => void }) {
  const { t } = useI18n();
  const id = c.info.conversationId;
  const mine = c.info.agentId === me && c.info.status !== 'closed';
  const invited = c.info.invitedAgentIds.includes(me) && c.info.status !== 'closed';
  const watching = watchingOnly(c, me) && c.info.status !== 'closed';
  const mode = c.info.monitors.find((m) => m.supervisorId === me)?.mode ?? 'monitor';
  return (
    <div className="kefu-chat-header">
      <div className="kefu-chat-title">
        <Typography.Text strong ellipsis>{visitorName(c.info.visitor, t)}</Typography.Text>
        <Typography.Text type="secondary" className="kefu-chat-sub" ellipsis>
          {skillGroupName(c.info.skillGroupId, desk.colleagues)}
          {c.info.context.page ? ` · ${c.info.context.page.title || c.info.context.page.url}` : ''}
        </Typography.Text>
      </div>
      <Space size={4} className="kefu-chat-actions">
        {c.info.status === 'closed' && <Tag>{t('desk.closed')}</Tag>}
        {mine && <Tooltip title={`${t('desk.transfer')} · Alt+T`}><Button aria-label={t('desk.transfer')} icon={<SwapOutlined />} onClick={() => onDialog('transfer')}>{t('desk.transfer')}</Button></Tooltip>}
        {mine && <Tooltip title={t('desk.invite')}><Button aria-label={t('desk.invite')} icon={<UserAddOutlined />} onClick={() => onDialog('invite')}>{t('desk.invite')}</Button></Tooltip>}
        {mine && c.info.accepted && (
          <Tooltip title={desk.state.ratingRequested[id] ? t('desk.ratingRequested') : t('desk.requestRating')}>
            <Button aria-label={t('desk.requestRating')} icon={<StarOutlined />} disabled={desk.state.ratingRequested[id] !== undefined} onClick={() => desk.requestRating(id)} />
          </Tooltip>
        )}
        {c.info.agentId === me && (id in desk.state.blocked ? (
          <Tag color="red">{t('desk.blocked')}</Tag>
        ) : (
          <Tooltip title={t('desk.block')}><Button aria-label={t('desk.block')} icon={<StopOutlined />} onClick={() => onDialog('block')} /></Tooltip>
        ))}
        {invited && <Button onClick={() => desk.leave(id)}>{t('desk.leave')}</Button>}
        {watching && (
          <>
            <Segmented<'monitor' | 'whisper' | 'barge'>
              size="small"
              aria-label={t('desk.watchMode')}
              value={mode}
              onChange={(m) => desk.monitor(id, m)}
              options={[
                { value: 'monitor', label: t('desk.mode.monitor') },
                { value: 'whisper', label: t('desk.mode.whisper') },
                { value: 'barge', label: t('desk.mode.barge') },
              ]}
            />
            <Button onClick={() => desk.takeOver(id)}>{t('desk.takeOver')}</Button>
            <Button onClick={() => desk.monitor(id, 'stop')}>{t('desk.stopWatching')}</Button>
          </>
        )}
        {mine && <Tooltip title={`${t('desk.close')} · Alt+W`}><Button aria-label={t('desk.close')} danger icon={<CloseCircleOutlined />} onClick={() => onDialog('close')}>{t('desk.close')}</Button></Tooltip>}
        {c.info.status === 'closed' && <Button icon={<CheckCircleOutlined />} onClick={() => desk.dismiss(id)}>{t('desk.dismiss')}</Button>}
        <Button className="kefu-info-button" icon={<InfoCircleOutlined />} aria-label={t('desk.visitorInfo')} onClick={onInfo} />
      </Space>
    </div>
  );
}

function CloseDialog({ c, desk, onDone }: { c: DeskConversation; desk: DeskApi; onDone: () => void }) {
  const { t } = useI18n();
  const [summary, setSummary] = useState('');
  return (
    <Modal open title={t('desk.closeTitle')} okText={t('desk.close')} okButtonProps={{ danger: true }} cancelText={t('desk.cancel')} onOk={() => { desk.close(c.info.conversationId, summary.trim()); onDone(); }} onCancel={onDone} destroyOnHidden>
      <Form layout="vertical">
        <Form.Item label={t('desk.summary')} extra={t('desk.summaryHint')}>
          <Input.TextArea aria-label={t('desk.summary')} autoFocus value={summary} onChange={(e) => setSummary(e.target.value)} maxLength={2000} autoSize={{ minRows: 3, maxRows: 8 }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Days a block lasts; 0: until unblocked. */
const BLOCK_FOR = [1, 7, 30, 0] as const;

/** Blocking the visitor (拉黑): why, and for how long; an open conversation ends with it. */
function BlockDialog({ c, desk, onDone }: { c: DeskConversation; desk: DeskApi; onDone: () => void }) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [days, setDays] = useState<(typeof BLOCK_FOR)[number]>(0);
  const name = visitorName(c.info.visitor, t);
  return (
    <Modal open title={t('desk.blockTitle', { name })} okText={t('desk.block')} okButtonProps={{ danger: true }} cancelText={t('desk.cancel')} onOk={() => { desk.blockVisitor(c.info.conversationId, reason.trim(), days || null); onDone(); }} onCancel={onDone} destroyOnHidden>
      <Typography.Paragraph type="secondary">{t(c.info.status === 'closed' ? 'desk.blockHintClosed' : 'desk.blockHint')}</Typography.Paragraph>
      <Form layout="vertical">
        <Form.Item label={t('desk.blockFor')}>
          <Segmented<(typeof BLOCK_FOR)[number]>
            aria-label={t('desk.blockFor')}
            value={days}
            onChange={setDays}
            options={BLOCK_FOR.map((d) => ({ value: d, label: d === 0 ? t('desk.blockForever') : t('desk.blockDays', { n: d }) }))}
          />
        </Form.Item>
        <Form.Item label={t('admin.reason')}>
          <Input.TextArea aria-label={t('admin.reason')} autoFocus value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} autoSize={{ minRows: 2, maxRows: 6 }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function InviteDialog({ c, desk, me, onDone }: { c: DeskConversation; desk: DeskApi; me: string; onDone: () => void }) {
  const { t } = useI18n();
  const [agentId, setAgentId] = useState<string | null>(null);
  const agents = desk.colleagues.agents.filter((a) => a.id !== me && !c.info.invitedAgentIds.includes(a.id));
  return (
    <Modal open title={t('desk.inviteTitle')} okText={t('desk.invite')} cancelText={t('desk.cancel')} okButtonProps={{ disabled: !agentId }} onOk={() => { if (agentId) desk.invite(c.info.conversationId, agentId); onDone(); }} onCancel={onDone} destroyOnHidden>
      <Select showSearch={{ optionFilterProp: 'label' }} style={{ width: '100%' }} aria-label={t('desk.invite')} value={agentId} onChange={setAgentId} placeholder={t('desk.choose')} options={agents.map((a) => ({ value: a.id, label: a.displayName }))} />
    </Modal>
  );
}
