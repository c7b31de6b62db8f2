/**
 * History (历史会话), a chunk of its own: past and open conversations one may read (one's subtree,
 * and those one served), filtered by time, skill group, agent, status and rating — or the messages
 * containing some words, with the matches marked (as text, never as HTML). A conversation opens
 * in a drawer with its record and transcript. Lists come in pages of HISTORY_PAGE, newest first;
 * "Load more" fetches the next page after the last one listed (a keyset cursor). Export writes what
 * is listed as CSV (formulas neutralised).
 */
import { useEffect, useState } from 'react';
import { Button, DatePicker, Descriptions, Drawer, Empty, Input, Rate, Select, Space, Table, Tag, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import { xlsx } from './xlsx.ts';
import { api, type Colleagues } from '../api.ts';
import { errorText } from '../common.tsx';
import { useI18n } from '../i18n.tsx';
import { agentName, NO_COLLEAGUES, senderName, skillGroupName, visitorName } from '../desk/names.ts';
import type { Sender } from '../desk/state.ts';
import { useFetched } from '../useFetched.ts';

export interface HistoryConversation {
  id: string;
  channelId: string;
  visitor: { id: string; name: string | null };
  skillGroupId: string | null;
  agentId: string | null;
  status: 'open' | 'closed';
  createdAt: string;
  closedAt: string | null;
  summary: string | null;
  rating: { score: number; comment: string | null } | null;
  tags: string[];
}
interface HistoryMessage {
  seq: number;
  from: Sender;
  visibility: 'public' | 'internal';
  text: string;
  file?: { name: string };
  atMs: number;
}
interface SearchHit {
  conversationId: string;
  message: HistoryMessage;
  highlights: [number, number][];
  conversation: HistoryConversation;
}

type Filters = { from?: string; to?: string; skillGroupId?: string; agentId?: string; status?: 'open' | 'closed'; score?: number; tag?: string; q?: string };

/** Conversations (or search hits) per page. */
export const HISTORY_PAGE = 200;

const queryOf = (f: Filters, before?: string): string => {
  const params = new URLSearchParams({ limit: String(HISTORY_PAGE) });
  for (const [k, v] of Object.entries(f)) if (v !== undefined && v !== '') params.set(k, String(v));
  if (before) params.set('before', before);
  return params.toString();
};

/** Where the next page starts: after the last conversation listed (created, id), or the last hit (at, conversation, seq). */
const cursorAfter = (last: HistoryConversation | SearchHit): string =>
  'message' in last ? `${last.message.atMs},${last.conversationId},${last.message.seq}` : `${Date.parse(last.createdAt)},${last.id}`;

/** A CSV cell: quoted, and a leading =, +, - or @ defused so a spreadsheet shows it as text. */
export const csvCell = (value: string): string => `"${(/^[=+\-@\t\r]/.test(value) ? `'${value}` : value).replace(/"/g, '""')}"`;

/** The text of a message with its matched ranges marked: React elements, never HTML. */
function Marked({ text, ranges }: { text: string; ranges: [number, number][] }) {
  const parts: React.ReactNode[] = [];
  let at = 0;
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (start < at) continue;
    parts.push(text.slice(at, start), <mark key={start}>{text.slice(start, end)}</mark>);
    at = end;
  }
  parts.push(text.slice(at));
  return <>{parts}</>;
}

export default function HistoryScreen() {
  const { t, locale } = useI18n();
  const [filters, setFilters] = useState<Filters>({});
  const [open, setOpen] = useState<HistoryConversation | null>(null);
  const colleagues = useFetched<Colleagues>('/colleagues');
  const searching = Boolean(filters.q);
  const conversations = useFetched<HistoryConversation[]>(searching ? null : `/history/conversations?${queryOf(filters)}`);
  const hits = useFetched<SearchHit[]>(searching ? `/history/search?${queryOf(filters)}` : null);
  // Pages after the first, for the filters they were fetched with; `full`: the last page was full (there may be more).
  const [later, setLater] = useState<{ filters: Filters; items: (HistoryConversation | SearchHit)[]; full: boolean; loading: boolean; error: unknown }>({ filters, items: [], full: true, loading: false, error: null });
  const laterItems = later.filters === filters ? later.items : [];
  const firstPage: (HistoryConversation | SearchHit)[] = (searching ? hits.data : conversations.data) ?? [];
  const loaded = [...firstPage, ...laterItems];
  const mayHaveMore = firstPage.length === HISTORY_PAGE && (later.filters !== filters || later.full);
  const loadMore = async () => {
    const last = loaded[loaded.length - 1];
    if (!last) return;
    setLater({ filters, items: laterItems, full: true, loading: true, error: null });
    try {
      const page = await api<(HistoryConversation | SearchHit)[]>('GET', `${searching ? '/history/search' : '/history/conversations'}?${queryOf(filters, cursorAfter(last))}`);
      setLater({ filters, items: [...laterItems, ...page], full: page.length === HISTORY_PAGE, loading: false, error: null });
    } catch (error) {
      setLater({ filters, items: laterItems, full: true, loading: false, error });
    }
  };
  const known = colleagues.data ?? NO_COLLEAGUES;
  const agentOf = (id: string | null) => (id ? agentName(id, known, t) : '—');
  const groupOf = (id: string | null) => skillGroupName(id, known) || '—';
  const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString(locale) : '—');
  const rows = loaded.map((item) =>
    'message' in item ? { key: `${item.conversationId}-${item.message.seq}`, c: item.conversation, hit: item as SearchHit | undefined } : { key: item.id, c: item, hit: undefined as SearchHit | undefined },
  );
  const failure = searching ? hits.error : conversations.error;

  /** What is listed, as a table: the same columns in the CSV and the XLSX export. */
  const exported = (): (string | number | null)[][] => [
    ['conversation', 'created', 'closed', 'visitor', 'skill group', 'agent', 'status', 'rating', 'summary', 'tags'],
    ...rows.map(({ c }) => [c.id, c.createdAt, c.closedAt, c.visitor.name ?? c.visitor.id, groupOf(c.skillGroupId), agentOf(c.agentId), c.status, c.rating?.score ?? null, c.summary, c.tags.join('; ')]),
  ];
  const download = (blob: Blob, extension: string) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `kefu-history-${new Date().toISOString().slice(0, 10)}.${extension}`;
    a.click();
    URL.revokeObjectURL(a.href);
  };
  const exportCsv = () => {
    const lines = exported().map((row) => row.map((cell) => csvCell(cell === null ? '' : String(cell))).join(','));
    download(new Blob([`\uFEFF${lines.join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' }), 'csv');
  };
  const exportXlsx = () => download(new Blob([xlsx(exported(), t('history.title')) as Uint8Array<ArrayBuffer>], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }), 'xlsx');

  return (
    <div data-testid="history">
      <Typography.Title level={4} style={{ marginTop: 0 }}>{t('history.title')}</Typography.Title>
      <Space wrap className="kefu-admin-toolbar">
        <Input.Search allowClear aria-label={t('history.search')} placeholder={t('history.searchHint')} style={{ width: 260 }} onSearch={(q) => setFilters((f) => ({ ...f, q: q.trim() || undefined }))} />
        <DatePicker.RangePicker aria-label={t('history.when')} onChange={(range) => setFilters((f) => ({ ...f, from: range?.[0]?.startOf('day').toISOString(), to: range?.[1]?.endOf('day').toISOString() }))} />
        <Select allowClear aria-label={t('desk.skillGroup')} placeholder={t('desk.skillGroup')} style={{ width: 160 }} options={(colleagues.data?.skillGroups ?? []).map((g) => ({ value: g.id, label: g.name }))} onChange={(skillGroupId?: string) => setFilters((f) => ({ ...f, skillGroupId }))} />
        <Select allowClear aria-label={t('monitor.agent')} placeholder={t('monitor.agent')} style={{ width: 160 }} options={(colleagues.data?.agents ?? []).map((a) => ({ value: a.id, label: a.displayName }))} onChange={(agentId?: string) => setFilters((f) => ({ ...f, agentId }))} />
        <Select allowClear aria-label={t('history.status')} placeholder={t('history.status')} style={{ width: 120 }} options={[{ value: 'open', label: t('desk.open') }, { value: 'closed', label: t('desk.closed') }]} onChange={(status?: 'open' | 'closed') => setFilters((f) => ({ ...f, status }))} />
        <Select allowClear aria-label={t('history.rating')} placeholder={t('history.rating')} style={{ width: 110 }} options={[1, 2, 3, 4, 5].map((n) => ({ value: n, label: '★'.repeat(n) }))} onChange={(score?: number) => setFilters((f) => ({ ...f, score }))} />
        <Input.Search allowClear aria-label={t('history.tag')} placeholder={t('history.tag')} style={{ width: 150 }} onSearch={(tag) => setFilters((f) => ({ ...f, tag: tag.trim() || undefined }))} />
        <Button icon={<DownloadOutlined />} onClick={exportCsv} disabled={rows.length === 0}>{t('history.export')}</Button>
        <Button icon={<DownloadOutlined />} onClick={exportXlsx} disabled={rows.length === 0}>{t('history.exportXlsx')}</Button>
      </Space>
      <Table
        size="small"
        rowKey="key"
        loading={searching ? hits.loading : conversations.loading}
        dataSource={rows}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: <Empty description={failure ? errorText(failure, t) : t('history.none')} /> }}
        onRow={(row) => ({ onClick: () => setOpen(row.c), className: 'kefu-history-row' })}
        columns={[
          { title: t('history.started'), width: 200, render: (_: unknown, { c }) => when(c.createdAt) },
          { title: t('admin.visitor'), render: (_: unknown, { c }) => <span title={c.visitor.id}>{visitorName(c.visitor, t)}</span> },
          { title: t('desk.skillGroup'), render: (_: unknown, { c }) => groupOf(c.skillGroupId) },
          { title: t('monitor.agent'), render: (_: unknown, { c }) => agentOf(c.agentId) },
          searching
            ? { title: t('history.match'), render: (_: unknown, { hit }) => hit && <span className="kefu-history-hit"><Marked text={hit.message.text} ranges={hit.highlights} /></span> }
            : { title: t('desk.summary'), render: (_: unknown, { c }) => <Typography.Text ellipsis style={{ maxWidth: 320 }}>{c.summary ?? ''}</Typography.Text> },
          { title: t('history.tags'), render: (_: unknown, { c }) => <Space size={[2, 2]} wrap>{c.tags.map((tag) => <Tag key={tag} color="blue">{tag}</Tag>)}</Space> },
          { title: t('history.rating'), width: 120, render: (_: unknown, { c }) => (c.rating ? <Rate disabled value={c.rating.score} style={{ fontSize: 12 }} /> : '—') },
          { title: t('history.status'), width: 90, render: (_: unknown, { c }) => <Tag color={c.status === 'open' ? 'green' : 'default'}>{c.status === 'open' ? t('desk.open') : t('desk.closed')}</Tag> },
        ]}
      />
      {mayHaveMore && (
        <Space className="kefu-history-more">
          <Button loading={later.loading} onClick={() => void loadMore()}>{t('history.loadMore', { n: loaded.length })}</Button>
          {later.error !== null && later.filters === filters && <Typography.Text type="danger">{errorText(later.error, t)}</Typography.Text>}
        </Space>
      )}
      <Drawer open={open !== null} onClose={() => setOpen(null)} width={560} title={open ? (open.visitor.name ?? open.visitor.id) : ''} destroyOnHidden>
        {open && <Transcript c={open} colleagues={known} agentOf={agentOf} groupOf={groupOf} when={when} />}
      </Drawer>
    </div>
  );
}

function Transcript({ c, colleagues, agentOf, groupOf, when }: { c: HistoryConversation; colleagues: Colleagues; agentOf: (id: string | null) => string; groupOf: (id: string | null) => string; when: (iso: string | null) => string }) {
  const { t, locale } = useI18n();
  const [messages, setMessages] = useState<HistoryMessage[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        const all: HistoryMessage[] = [];
        for (let after = 0; live; ) {
          const page = await api<HistoryMessage[]>('GET', `/history/conversations/${encodeURIComponent(c.id)}/messages?after=${after}&limit=500`);
          all.push(...page);
          if (page.length < 500) break;
          after = page[page.length - 1]!.seq;
        }
        if (live) setMessages(all);
      } catch (e) {
        if (live) setError(e);
      }
    })();
    return () => {
      live = false;
    };
  }, [c.id]);
  const who = (m: HistoryMessage) => senderName(m.from, c.visitor, '', colleagues, t);
  return (
    <div data-testid="transcript-drawer">
      <Descriptions size="small" column={1} colon={false}>
        <Descriptions.Item label={t('history.started')}>{when(c.createdAt)}</Descriptions.Item>
        <Descriptions.Item label={t('history.ended')}>{when(c.closedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('desk.skillGroup')}>{groupOf(c.skillGroupId)}</Descriptions.Item>
        <Descriptions.Item label={t('monitor.agent')}>{agentOf(c.agentId)}</Descriptions.Item>
        <Descriptions.Item label={t('desk.summary')}>{c.summary ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('history.tags')}>{c.tags.length ? c.tags.map((tag) => <Tag key={tag} color="blue">{tag}</Tag>) : '—'}</Descriptions.Item>
        <Descriptions.Item label={t('history.rating')}>{c.rating ? <><Rate disabled value={c.rating.score} style={{ fontSize: 12 }} /> {c.rating.comment}</> : '—'}</Descriptions.Item>
      </Descriptions>
      {error !== null && <Typography.Text type="danger">{errorText(error, t)}</Typography.Text>}
      {messages === null && error === null && <Typography.Text type="secondary">{t('desk.loading')}</Typography.Text>}
      <div className="kefu-history-transcript">
        {messages?.map((m) => (
          <div key={m.seq} className={`kefu-history-line${m.visibility === 'internal' ? ' kefu-history-internal' : ''}`}>
            <div className="kefu-muted">{who(m)} · {new Date(m.atMs).toLocaleString(locale)}{m.visibility === 'internal' ? ` · ${t('desk.internal')}` : ''}</div>
            <div className="kefu-history-text">{m.file ? `📎 ${m.file.name} ` : ''}{m.text}</div>
          </div>
        ))}
      </div>
    </div>
  );
}
