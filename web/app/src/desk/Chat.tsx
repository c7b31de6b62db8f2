/**
 * The chat pane of one conversation: the transcript (virtualised: ten thousand messages scroll as
 * smoothly as ten), each message of ours with its delivery state (sending, sent, read by the
 * visitor), the visitor's typing, and the composer — Enter sends, Shift+Enter is a new line, files
 * by button, paste or drop, emoji, quick replies by typing `/` and a shortcut, and a draft per
 * conversation that survives a reload.
 */
import { useEffect, useMemo, useRef, useState, type ClipboardEvent, type DragEvent, type KeyboardEvent } from 'react';
import { App, Button, Input, Popover, Tooltip, Typography } from 'antd';
import { CheckOutlined, ExclamationCircleOutlined, LoadingOutlined, PaperClipOutlined, SendOutlined, SmileOutlined, ThunderboltOutlined } from '@ant-design/icons';
import VirtualList, { type ListRef } from '@rc-component/virtual-list';
import { fileUrl, uploadFile, type QuickReply } from '../api.ts';
import { errorText } from '../common.tsx';
import { useI18n } from '../i18n.tsx';
import { clock, senderName } from './names.ts';
import { insertReply, matchReplies, slashAt, type Slash } from './quick-replies.ts';
import type { ChatMessage, DeskConversation, Outgoing, SharedFile } from './state.ts';
import type { Desk } from './useDesk.tsx';
import { useSize } from './useSize.ts';

/** `continued`: by the same author shortly after the line before, so their name and time are not repeated. */
type Line = { key: string; message: ChatMessage; continued: boolean; outgoing?: undefined } | { key: string; outgoing: Outgoing; message?: undefined };

const GROUP_WITHIN_MS = 3 * 60_000;
const sameAuthor = (a: ChatMessage, b: ChatMessage): boolean => JSON.stringify(a.from) === JSON.stringify(b.from) && a.visibility === b.visibility && b.at - a.at < GROUP_WITHIN_MS;

const EMOJI = ['😀', '😊', '🙂', '😉', '😂', '🤔', '😅', '😢', '😮', '👍', '👌', '🙏', '👏', '💪', '🎉', '❤️', '✅', '❌', '⏳', '📦', '📞', '📧', '💡', '🔧'];

/** `replies`: the quick replies the composer offers after `/`. */
export function Chat({ c, desk, me, replies }: { c: DeskConversation; desk: Desk; me: string; replies: readonly QuickReply[] }) {
  const { t } = useI18n();
  const { message: toast } = App.useApp();
  const id = c.info.conversationId;
  const lines = useMemo<Line[]>(
    () => [
      ...c.messages.map((m, i) => ({ key: `m${m.seq}`, message: m, continued: i > 0 && sameAuthor(c.messages[i - 1]!, m) })),
      ...c.outbox.map((o) => ({ key: `o${o.clientMsgId}`, outgoing: o })),
    ],
    [c.messages, c.outbox],
  );

  // Follows the end — a conversation opens there, and new messages keep it there — until the
  // reader scrolls up (wheel, the scroll bar, keys); reaching the last message again follows again.
  const holder = useRef<HTMLDivElement>(null);
  const { height } = useSize(holder);
  const list = useRef<ListRef>(null);
  const atBottom = useRef(true);
  const unfollow = () => {
    atBottom.current = false;
  };
  // Scrolled by offset (past the end, clamped to it) in the next frames rather than by index inside
  // React's commit: one update per frame however fast a long history streams in; the second frame
  // lands on the true end once the rows just shown have been measured.
  useEffect(() => {
    if (!atBottom.current || lines.length === 0) return;
    let frame = requestAnimationFrame(() => {
      list.current?.scrollTo(Number.MAX_SAFE_INTEGER);
      frame = requestAnimationFrame(() => list.current?.scrollTo(Number.MAX_SAFE_INTEGER));
    });
    return () => cancelAnimationFrame(frame);
  }, [lines.length, id, height]);

  // Seen while it is on screen and the window is in front.
  useEffect(() => {
    const markRead = () => {
      if (document.visibilityState === 'visible') desk.read(id);
    };
    markRead();
    addEventListener('focus', markRead);
    document.addEventListener('visibilitychange', markRead);
    return () => {
      removeEventListener('focus', markRead);
      document.removeEventListener('visibilitychange', markRead);
    };
  }, [desk, id, c.messages.length]);

  const mine = (m: ChatMessage) => (m.from.kind === 'agent' && m.from.agentId === me) || (m.from.kind === 'supervisor' && m.from.supervisorId === me);
  const canWrite = c.info.status !== 'closed' && (c.info.agentId === me || c.info.invitedAgentIds.includes(me) || c.info.monitors.some((x) => x.supervisorId === me && x.mode !== 'monitor'));

  const upload = async (file: File) => {
    const key = `upload-${file.name}`;
    toast.open({ key, type: 'loading', content: t('desk.uploading', { name: file.name }), duration: 0 });
    try {
      const shared = await uploadFile(id, file);
      desk.send(id, '', shared);
      toast.destroy(key);
    } catch (e) {
      toast.open({ key, type: 'error', content: errorText(e, t) });
    }
  };
  const onDrop = (e: DragEvent) => {
    if (!canWrite || e.dataTransfer.files.length === 0) return;
    e.preventDefault();
    for (const file of e.dataTransfer.files) void upload(file);
  };

  return (
    <div className="kefu-chat" onDragOver={(e) => canWrite && e.preventDefault()} onDrop={onDrop}>
      <div
        className="kefu-transcript"
        ref={holder}
        data-testid="transcript"
        onWheel={(e) => e.deltaY < 0 && unfollow()}
        onPointerDown={(e) => (e.target as HTMLElement).closest('.rc-virtual-list-scrollbar') && unfollow()}
        onKeyDown={(e) => ['ArrowUp', 'PageUp', 'Home'].includes(e.key) && unfollow()}
      >
        {height > 0 && (
          <VirtualList<Line>
            ref={list}
            data={lines}
            height={height}
            itemHeight={64}
            itemKey="key"
            onVisibleChange={(visible, all) => {
              if (all.length > 0 && visible.includes(all[all.length - 1]!)) atBottom.current = true;
            }}
          >
            {(line) => (line.message ? <Bubble m={line.message} continued={line.continued} c={c} me={me} mine={mine(line.message)} desk={desk} /> : <Pending o={line.outgoing!} />)}
          </VirtualList>
        )}
        {lines.length === 0 && <Typography.Text type="secondary" className="kefu-transcript-empty">{c.historyLoaded ? t('desk.noMessages') : t('desk.loading')}</Typography.Text>}
      </div>
      <div className="kefu-typing" aria-live="polite">{c.visitorTyping ? t('desk.typing') : ''}</div>
      {canWrite ? <Composer id={id} desk={desk} onFile={(f) => void upload(f)} me={me} replies={replies} /> : <div className="kefu-composer-closed">{c.info.status === 'closed' ? t('desk.closedNote') : t('desk.watchingNote')}</div>}
    </div>
  );
}

/** How large an image's preview is shown at most (CSS pixels). */
const PREVIEW_SHOWN = { width: 260, height: 200 };

/**
 * A shared file: an image by the server's preview (its size known before it loads, so the list does
 * not jump), opening the original; anything else — images without a preview too — as a link to
 * download (docs/files.md).
 */
function FileView({ file }: { file: SharedFile }) {
  const url = fileUrl(file.id);
  if (file.preview) {
    const scale = Math.min(1, PREVIEW_SHOWN.width / file.preview.width, PREVIEW_SHOWN.height / file.preview.height);
    return (
      <a href={url} target="_blank" rel="noreferrer noopener" title={file.name}>
        <img
          className="kefu-bubble-image"
          src={`${url}/preview`}
          alt={file.name}
          width={Math.max(1, Math.round(file.preview.width * scale))}
          height={Math.max(1, Math.round(file.preview.height * scale))}
          loading="lazy"
        />
      </a>
    );
  }
  return (
    <a className="kefu-bubble-file" href={url} target="_blank" rel="noreferrer noopener" download={file.name}>
      <PaperClipOutlined /> {file.name} <span className="kefu-bubble-size">{Math.max(1, Math.round(file.size / 1024))} KB</span>
    </a>
  );
}

function Bubble({ m, continued, c, me, mine, desk }: { m: ChatMessage; continued: boolean; c: DeskConversation; me: string; mine: boolean; desk: Desk }) {
  const { t, locale } = useI18n();
  if (m.from.kind === 'system') return <div className="kefu-system-line">{m.text}</div>;
  const side = m.from.kind === 'visitor' ? 'theirs' : 'ours';
  const read = mine && m.seq <= c.visitorReadSeq;
  return (
    <div className={`kefu-line kefu-line-${side}${continued ? ' kefu-line-continued' : ''}`} data-seq={m.seq} title={continued ? clock(m.at, locale) : undefined}>
      {!continued && (
        <div className="kefu-line-meta">
          <span>{senderName(m.from, c.info.visitor, me, desk.colleagues, t)}</span>
          <span>{clock(m.at, locale)}</span>
          {m.visibility === 'internal' && <span className="kefu-internal-tag">{t('desk.internal')}</span>}
        </div>
      )}
      <div className={`kefu-bubble kefu-bubble-${side}${m.visibility === 'internal' ? ' kefu-bubble-internal' : ''}`}>
        {m.file && <FileView file={m.file} />}
        {m.text && <div className="kefu-bubble-text">{m.text}</div>}
      </div>
      {mine && (
        <div className="kefu-delivery" data-delivery={read ? 'read' : 'sent'}>
          {read ? <><CheckOutlined /><CheckOutlined style={{ marginLeft: -6 }} /> {t('desk.read')}</> : <><CheckOutlined /> {t('desk.sent')}</>}
        </div>
      )}
    </div>
  );
}

function Pending({ o }: { o: Outgoing }) {
  const { t } = useI18n();
  const state = o.error ? 'failed' : o.seq !== undefined ? 'sent' : 'sending';
  return (
    <div className="kefu-line kefu-line-ours" data-client-msg-id={o.clientMsgId}>
      <div className="kefu-bubble kefu-bubble-ours kefu-bubble-pending">
        {o.file && <FileView file={o.file} />}
        {o.text && <div className="kefu-bubble-text">{o.text}</div>}
      </div>
      <div className={`kefu-delivery${state === 'failed' ? ' kefu-delivery-failed' : ''}`} data-delivery={state}>
        {state === 'failed' ? <><ExclamationCircleOutlined /> {t('desk.failed', { reason: o.error! })}</> : state === 'sent' ? <><CheckOutlined /> {t('desk.sent')}</> : <><LoadingOutlined /> {t('desk.sending')}</>}
      </div>
    </div>
  );
}

const DRAFTS_KEY = (me: string) => `kefu.drafts.${me}`;

function readDrafts(me: string): Record<string, string> {
  try {
    return JSON.parse(localStorage.getItem(DRAFTS_KEY(me)) ?? '{}') as Record<string, string>;
  } catch {
    return {};
  }
}

function saveDraft(me: string, id: string, text: string): void {
  const drafts = readDrafts(me);
  if (text) drafts[id] = text;
  else delete drafts[id];
  localStorage.setItem(DRAFTS_KEY(me), JSON.stringify(drafts));
}

/** Typing is told at most every 2 s while it goes on, and its end after 3 s of quiet or on sending. */
const TYPING_EVERY_MS = 2_000;
const TYPING_QUIET_MS = 3_000;

function Composer({ id, desk, me, replies, onFile }: { id: string; desk: Desk; me: string; replies: readonly QuickReply[]; onFile: (file: File) => void }) {
  const { t } = useI18n();
  const [text, setText] = useState(() => readDrafts(me)[id] ?? '');
  const typingSentAt = useRef(0);
  const quiet = useRef<ReturnType<typeof setTimeout> | null>(null);
  const input = useRef<HTMLTextAreaElement | null>(null);
  const picker = useRef<HTMLInputElement>(null);

  // Quick replies: a `/word` at the cursor offers the matching ones; Esc puts that `/` aside.
  const [cursor, setCursor] = useState(0);
  const [chosen, setChosen] = useState(0);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const slash = slashAt(text, cursor);
  const offering = slash !== null && slash.start !== dismissed;
  const matches = offering ? matchReplies(replies, slash.query) : [];
  const active = Math.min(chosen, matches.length - 1);

  useEffect(() => {
    setText(readDrafts(me)[id] ?? '');
    input.current?.focus();
  }, [id, me]);
  useEffect(() => () => {
    if (quiet.current) clearTimeout(quiet.current);
  }, []);

  const stopTyping = () => {
    if (quiet.current) clearTimeout(quiet.current);
    quiet.current = null;
    if (typingSentAt.current > 0) desk.typing(id, false);
    typingSentAt.current = 0;
  };
  const change = (value: string, at = input.current?.selectionStart ?? value.length) => {
    setText(value);
    setCursor(at);
    setChosen(0);
    if (slashAt(value, at)?.start !== dismissed) setDismissed(null);
    saveDraft(me, id, value);
    if (Date.now() - typingSentAt.current > TYPING_EVERY_MS) {
      desk.typing(id, true);
      typingSentAt.current = Date.now();
    }
    if (quiet.current) clearTimeout(quiet.current);
    quiet.current = setTimeout(stopTyping, TYPING_QUIET_MS);
  };
  /** Puts `value` in place of the selection (or `replacing`, a `/query`) and the cursor after it. */
  const put = (value: string, replacing?: Slash) => {
    const el = input.current;
    const from = el?.selectionStart ?? text.length;
    const to = el?.selectionEnd ?? from;
    const next = insertReply(text, replacing ?? { start: from, query: '' }, replacing ? from : to, value);
    change(next.text, next.cursor);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(next.cursor, next.cursor);
    });
  };
  /** The ⚡ button: a `/` at the cursor, which opens the picker with every reply. */
  const offerReplies = () => {
    const before = text.slice(0, input.current?.selectionStart ?? text.length);
    put(before === '' || /\s$/u.test(before) ? '/' : ' /');
  };
  const submit = () => {
    const body = text.trim();
    if (!body) return;
    desk.send(id, body);
    change('', 0);
    stopTyping();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.nativeEvent.isComposing) return;
    if (matches.length > 0 && slash) {
      const step = e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : 0;
      if (step !== 0) {
        e.preventDefault();
        setChosen((active + step + matches.length) % matches.length);
        return;
      }
      if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
        e.preventDefault();
        put(matches[active]!.content, slash);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setDismissed(slash.start);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      submit();
    }
  };
  const onPaste = (e: ClipboardEvent<HTMLTextAreaElement>) => {
    if (e.clipboardData.files.length === 0) return;
    e.preventDefault();
    for (const file of e.clipboardData.files) onFile(file);
  };

  return (
    <div className="kefu-composer">
      {offering && (matches.length > 0 || (replies.length === 0 && slash.query === '')) && (
        <div className="kefu-reply-picker" role="listbox" id={`replies-${id}`} aria-label={t('replies.title')}>
          {matches.length === 0 && <div className="kefu-reply-empty">{t('desk.noQuickReplies')}</div>}
          {matches.map((r, i) => (
            <div
              key={r.id}
              id={`reply-${r.id}`}
              role="option"
              aria-selected={i === active}
              className={`kefu-reply-option${i === active ? ' kefu-reply-option-active' : ''}`}
              onMouseEnter={() => setChosen(i)}
              // Chosen on mouse down, before the text area loses focus and its selection.
              onMouseDown={(e) => {
                e.preventDefault();
                put(r.content, slash);
              }}
            >
              <code className="kefu-shortcut">/{r.shortcut}</code>
              <span className="kefu-reply-text">{r.content}</span>
              {r.departmentName && <span className="kefu-reply-source">{r.departmentName}</span>}
            </div>
          ))}
          {matches.length > 0 && <div className="kefu-reply-keys">{t('desk.pickerHint')}</div>}
        </div>
      )}
      <Input.TextArea
        ref={(r) => {
          input.current = r?.resizableTextArea?.textArea ?? null;
        }}
        aria-label={t('desk.compose')}
        placeholder={t('desk.composeHint')}
        value={text}
        autoSize={{ minRows: 2, maxRows: 8 }}
        maxLength={5000}
        onChange={(e) => change(e.target.value, e.target.selectionStart)}
        onSelect={(e) => setCursor(e.currentTarget.selectionStart)}
        onKeyDown={onKeyDown}
        aria-controls={matches.length > 0 ? `replies-${id}` : undefined}
        aria-activedescendant={matches.length > 0 ? `reply-${matches[active]!.id}` : undefined}
        onPaste={onPaste}
        variant="borderless"
      />
      <div className="kefu-composer-bar">
        <span>
          <Popover
            trigger="click"
            content={<div className="kefu-emoji">{EMOJI.map((e) => <button type="button" key={e} onClick={() => put(e)}>{e}</button>)}</div>}
          >
            <Tooltip title={t('desk.emoji')}><Button type="text" icon={<SmileOutlined />} aria-label={t('desk.emoji')} /></Tooltip>
          </Popover>
          <Tooltip title={t('desk.quickReplies')}><Button type="text" icon={<ThunderboltOutlined />} aria-label={t('desk.quickReplies')} onClick={offerReplies} /></Tooltip>
          <Tooltip title={t('desk.attach')}><Button type="text" icon={<PaperClipOutlined />} aria-label={t('desk.attach')} onClick={() => picker.current?.click()} /></Tooltip>
          <input
            ref={picker}
            type="file"
            hidden
            onChange={(e) => {
              for (const file of e.target.files ?? []) onFile(file);
              e.target.value = '';
            }}
          />
        </span>
        <Button type="primary" icon={<SendOutlined />} onClick={submit} disabled={!text.trim()}>{t('desk.send')}</Button>
      </div>
    </div>
  );
}
