/**
 * The supervisor monitor (坐席监控), live while on screen — the board by the gateway's `board-agent`
 * pushes (asked again every 20 s, which keeps them coming), the queues asked again every 5 s: the queues of
 * the skill groups the supervisor's agents serve — waiting, longest wait, what a newcomer is told
 * to expect, who waits — and the agents with their status, load against capacity and
 * conversations. Watch any conversation (it opens on the desk, read-only, with whisper, barge in
 * and take over there); set an agent's status (`monitoring.intervene`).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Button, Card, Empty, Progress, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import { EyeOutlined } from '@ant-design/icons';
import type { Me } from '../api.ts';
import { useI18n, type MessageKey } from '../i18n.tsx';
import { navigate } from '../router.ts';
import { DESK_SELECTION_KEY } from './Desk.tsx';
import { TransferDialog } from './TransferDialog.tsx';
import { duration, skillGroupName, visitorName } from './names.ts';
import type { AgentStatus, BoardAgent, QueueView } from './state.ts';
import { can, useDesk, type Desk } from './useDesk.tsx';

/** The queues are asked for again this often. */
const QUEUE_POLL_MS = 5_000;
/** The board is asked for again this often: inside the gateway's 30 s of live `board-agent` changes after each answer. */
const BOARD_RENEW_MS = 20_000;
const STATUS_COLOR: Record<AgentStatus, string> = { ready: 'green', busy: 'red', away: 'orange', offline: 'default' };
const STATUS_LABEL: Record<AgentStatus, MessageKey> = { ready: 'desk.status.ready', busy: 'desk.status.busy', away: 'desk.status.away', offline: 'monitor.offline' };

export function MonitorScreen({ me }: { me: Me }) {
  const desk = useDesk();
  if (!desk) return null;
  return <MonitorView desk={desk} canIntervene={can(me, 'monitoring.intervene')} />;
}

function MonitorView({ desk, canIntervene }: { desk: Desk; canIntervene: boolean }) {
  const { t } = useI18n();
  const { state, colleagues } = desk;
  const board = state.board;
  // The skill groups the supervisor's agents serve.
  const groups = useMemo(() => {
    const ids = new Set<string>();
    for (const a of board ?? []) for (const g of colleagues.agents.find((c) => c.id === a.agentId)?.skillGroupIds ?? []) ids.add(g);
    return [...ids].sort();
  }, [board, colleagues]);

  const latest = useRef({ desk, groups });
  latest.current = { desk, groups };
  const online = state.connection === 'online';
  useEffect(() => {
    if (!online) return;
    latest.current.desk.refreshBoard();
    latest.current.desk.refreshQueues(latest.current.groups);
    const board = setInterval(() => latest.current.desk.refreshBoard(), BOARD_RENEW_MS);
    const queues = setInterval(() => latest.current.desk.refreshQueues(latest.current.groups), QUEUE_POLL_MS);
    return () => {
      clearInterval(board);
      clearInterval(queues);
    };
  }, [online]);
  // The groups are known once the board has come: ask for their queues at once.
  const groupsKey = groups.join(',');
  useEffect(() => {
    if (online && groupsKey) latest.current.desk.refreshQueues(latest.current.groups);
  }, [online, groupsKey]);

  const watch = (conversationId: string) => {
    desk.monitor(conversationId, 'monitor');
    sessionStorage.setItem(DESK_SELECTION_KEY, conversationId);
    navigate('/desk');
  };

  /** A waiting visitor the supervisor is moving to another group or to an agent. */
  const [moving, setMoving] = useState<{ conversationId: string; skillGroupId: string; name: string } | null>(null);

  const queues = groups.map((g) => state.queues[g]).filter((q): q is QueueView => q !== undefined);
  return (
    <div className="kefu-monitor" data-testid="monitor">
      <Typography.Title level={4} style={{ marginTop: 0 }}>{t('monitor.title')}</Typography.Title>
      <div className="kefu-monitor-queues">
        {queues.length === 0 && <Card size="small"><Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={board === null ? t('desk.loading') : t('monitor.noQueues')} /></Card>}
        {queues.map((q) => (
          <Card key={q.skillGroupId} size="small" title={skillGroupName(q.skillGroupId, colleagues)} className="kefu-queue-card" data-skill-group={q.skillGroupId}>
            <Space size="large">
              <Statistic title={t('monitor.waiting')} value={q.total} />
              <Statistic title={t('monitor.longest')} value={duration(q.longestWaitMs, t)} />
              <Statistic title={t('monitor.estimated')} value={duration(q.estimatedWaitMs, t)} />
            </Space>
            {q.waiting.length > 0 && (
              <ul className="kefu-queue-waiting">
                {q.waiting.slice(0, 5).map((w) => (
                  <li key={w.conversationId}>
                    <span>{visitorName(w.visitor, t)}</span>
                    <span>
                      {duration(w.waitedMs, t)}
                      {canIntervene && (
                        <Button size="small" type="link" aria-label={t('monitor.moveTitle', { name: visitorName(w.visitor, t) })} onClick={() => setMoving({ conversationId: w.conversationId, skillGroupId: q.skillGroupId, name: visitorName(w.visitor, t) })}>
                          {t('monitor.move')}
                        </Button>
                      )}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        ))}
      </div>
      <Card size="small" title={t('monitor.agents')}>
        <Table<BoardAgent>
          size="small"
          rowKey="agentId"
          loading={board === null}
          dataSource={board ?? []}
          pagination={false}
          locale={{ emptyText: t('monitor.noAgents') }}
          columns={[
            { title: t('monitor.agent'), dataIndex: 'displayName', render: (name: string) => <Typography.Text strong>{name}</Typography.Text> },
            {
              title: t('monitor.status'),
              dataIndex: 'status',
              width: 150,
              render: (status: AgentStatus, a) =>
                canIntervene ? (
                  <Select<AgentStatus>
                    size="small"
                    aria-label={t('monitor.setStatus', { name: a.displayName })}
                    value={status}
                    style={{ width: 120 }}
                    onChange={(s) => desk.forceStatus(a.agentId, s)}
                    options={(['ready', 'busy', 'away', 'offline'] as const).map((s) => ({ value: s, label: <Tag color={STATUS_COLOR[s]}>{t(STATUS_LABEL[s])}</Tag> }))}
                  />
                ) : (
                  <Tag color={STATUS_COLOR[status]}>{t(STATUS_LABEL[status])}</Tag>
                ),
            },
            {
              title: t('monitor.load'),
              width: 180,
              render: (_: unknown, a) => (
                <Space>
                  <Progress percent={a.maxConversations ? Math.round((a.load / a.maxConversations) * 100) : 0} size="small" showInfo={false} style={{ width: 80, margin: 0 }} />
                  <span>{a.load} / {a.maxConversations}</span>
                </Space>
              ),
            },
            {
              title: t('monitor.conversations'),
              render: (_: unknown, a) =>
                a.conversations.length === 0 ? (
                  <Typography.Text type="secondary">—</Typography.Text>
                ) : (
                  <Space size={4} wrap>
                    {a.conversations.map((id, i) => (
                      <Button key={id} size="small" icon={<EyeOutlined />} onClick={() => watch(id)} aria-label={t('monitor.watchOf', { name: a.displayName, n: i + 1 })}>
                        {t('monitor.watch')} {a.conversations.length > 1 ? i + 1 : ''}
                      </Button>
                    ))}
                  </Space>
                ),
            },
          ]}
        />
      </Card>
      {moving && (
        <TransferDialog
          title={t('monitor.moveTitle', { name: moving.name })}
          colleagues={colleagues}
          exceptSkillGroupId={moving.skillGroupId}
          onTransfer={(to, memo) => desk.transfer(moving.conversationId, to, memo, 'supervisor')}
          onDone={() => setMoving(null)}
        />
      )}
    </div>
  );
}
