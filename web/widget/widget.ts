/**
 * The Kefu chat widget: one script, no framework, embedded by
 *
 *   <script src="https://HOST/widget.js" data-channel="KEY" async></script>
 *
 * It draws a launcher and a chat panel inside a shadow root (the host page's CSS cannot break it,
 * and it cannot break the page), and speaks visitor protocol v1 (docs/protocol/visitor.md):
 * - the token from `welcome` is kept in localStorage, so a reload or another tab continues the
 *   conversation; a page load asks for the whole transcript, a reconnect only for what it missed;
 * - messages wait in an outbox (also in localStorage) until their `ack`, and are sent again with
 *   the same `clientMsgId` after a reconnect, so nothing typed is lost and nothing is stored twice;
 * - it reconnects with jittered exponential backoff after close codes 4000–4499 and network loss,
 *   and stops for good after 4500–4999.
 * - files (the paperclip) are uploaded over HTTP with the visitor token (docs/files.md) and then
 *   sent as a message naming them; images show by the server's preview, fetched with the token too.
 * Text is only ever put into the page with `textContent`: messages cannot inject markup.
 */
import type { VisitorServerFrame } from '../../gateways/visitor/wire.ts';

type Frame<T extends VisitorServerFrame['type']> = Extract<VisitorServerFrame, { type: T }>;
type Status = NonNullable<Frame<'welcome'>['status']>;
type PreChatField = { name: string; label: string; required: boolean };
type ChannelInfo = {
  name: string;
  appearance: { color?: string; position?: 'left' | 'right'; greeting?: string; avatarUrl?: string; preChatFields?: PreChatField[] };
};
type SharedFile = NonNullable<Frame<'message'>['file']>;
/** An image preview is shown at most this many CSS pixels a side. */
const PREVIEW_SHOWN_PX = 220;
type Outgoing = { clientMsgId: string; text: string; at: number; file?: SharedFile };

// ---- where we are ------------------------------------------------------------------------------

const script = document.currentScript as HTMLScriptElement | null;
const channelKey = script?.dataset['channel'] ?? '';
const base = new URL('.', script?.src ?? location.href);
const socketUrl = `${base.protocol === 'https:' ? 'wss:' : 'ws:'}//${base.host}${base.pathname}ws/visitor/${encodeURIComponent(channelKey)}`;
const filesUrl = new URL(`files/visitor/${encodeURIComponent(channelKey)}`, base).href;
/** What the server accepts (docs/files.md); it checks again, by content. */
const MAX_FILE_BYTES = 10 * 1024 * 1024;
const ACCEPT = 'image/png,image/jpeg,image/gif,image/webp,application/pdf,.docx,.xlsx,.pptx,.zip,.txt,.log,.csv';

/**
 * A signed-in user of the site, from `data-user-id` and `data-user-hash` (hex HMAC-SHA256 of the id
 * with the channel secret, computed by the site's server), optionally `data-user-name` and
 * `data-user-email`. Sent in `hello`; the gateway checks the hash.
 */
function identityOf(data: DOMStringMap): { userId: string; hash: string; name?: string; email?: string } | null {
  const userId = data['userId'];
  const hash = data['userHash']?.toLowerCase();
  if (!userId || !hash) return null;
  return { userId, hash, ...(data['userName'] ? { name: data['userName'].slice(0, 100) } : {}), ...(data['userEmail'] ? { email: data['userEmail'].slice(0, 200) } : {}) };
}
const identity = script ? identityOf(script.dataset) : null;

// ---- words -------------------------------------------------------------------------------------

const WORDS = {
  en: {
    open: 'Chat with us',
    close: 'Close chat',
    placeholder: 'Type a message…',
    send: 'Send',
    connecting: 'Connecting…',
    reconnecting: 'Connection lost. Reconnecting…',
    offline: 'You are offline. Messages will be sent when you are back.',
    unavailable: 'Chat is not available right now.',
    waiting: 'Finding an agent for you…',
    position: (n: number, minutes: number) => `You are number ${n} in line${minutes > 0 ? ` — about ${minutes} min` : ''}`,
    online: 'Online',
    closed: 'This conversation has ended. Write again to start a new one.',
    typing: (name: string) => `${name} is typing…`,
    agent: 'Agent',
    sending: 'Sending…',
    sent: 'Sent',
    read: 'Read',
    failed: 'Not sent',
    startChat: 'Start chat',
    prechatTitle: 'Before we start, tell us a little about you',
    leaveTitle: 'No agent is available right now. Leave us a message and we will get back to you.',
    leaveText: 'Your message',
    leaveContact: 'Email or phone',
    leaveSend: 'Send message',
    leaveThanks: 'Thank you — we will get back to you.',
    rateTitle: 'How was your conversation?',
    rateComment: 'Anything to add? (optional)',
    rateSend: 'Send rating',
    rateThanks: 'Thank you for your feedback!',
    stars: (n: number) => `${n} of 5`,
    attach: 'Send a file',
    uploading: (name: string) => `Uploading ${name}…`,
    fileTooLarge: 'Files can be at most 10 MB.',
    fileRefused: 'This kind of file cannot be sent.',
    fileFailed: 'The file could not be sent.',
    invitedBy: (name: string) => `${name} invites you to chat`,
    inviteDefault: 'Hi! Can I help you with anything?',
    inviteAccept: 'Chat now',
    inviteDismiss: 'Not now',
  },
  zh: {
    open: '在线咨询',
    close: '关闭对话窗口',
    placeholder: '请输入消息…',
    send: '发送',
    connecting: '正在连接…',
    reconnecting: '连接已断开，正在重新连接…',
    offline: '网络已断开，恢复后将自动发送消息。',
    unavailable: '在线咨询暂不可用。',
    waiting: '正在为您接入客服…',
    position: (n: number, minutes: number) => `您前面还有 ${n - 1} 位${minutes > 0 ? `，预计等待约 ${minutes} 分钟` : ''}`,
    online: '在线',
    closed: '本次对话已结束，再次发送消息即可开始新的对话。',
    typing: (name: string) => `${name} 正在输入…`,
    agent: '客服',
    sending: '发送中…',
    sent: '已发送',
    read: '已读',
    failed: '发送失败',
    startChat: '开始咨询',
    prechatTitle: '开始之前，请留下您的信息',
    leaveTitle: '当前没有客服在线，请留言，我们会尽快联系您。',
    leaveText: '留言内容',
    leaveContact: '邮箱或电话',
    leaveSend: '提交留言',
    leaveThanks: '感谢留言，我们会尽快联系您。',
    rateTitle: '请对本次服务进行评价',
    rateComment: '其他意见（选填）',
    rateSend: '提交评价',
    rateThanks: '感谢您的评价！',
    stars: (n: number) => `${n} 星`,
    attach: '发送文件',
    uploading: (name: string) => `正在上传 ${name}…`,
    fileTooLarge: '文件不能超过 10 MB。',
    fileRefused: '不支持发送此类文件。',
    fileFailed: '文件发送失败。',
    invitedBy: (name: string) => `${name} 邀请您咨询`,
    inviteDefault: '您好，有什么可以帮您？',
    inviteAccept: '开始咨询',
    inviteDismiss: '以后再说',
  },
};
const locale = (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';

/** The browser's time zone for the agent's screen pop (left out when the browser does not say). */
function zone(): { timeZone?: string } {
  try {
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    // Only a name the gateway accepts (an odd one must not cost the visitor their hello).
    return timeZone && timeZone.length <= 64 && /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(timeZone) ? { timeZone } : {};
  } catch {
    return {};
  }
}
const t = WORDS[locale];

// ---- storage (may be unavailable: private modes, blocked cookies) -----------------------------

const storageKey = (name: string) => `kefu:${channelKey}:${name}`;
const store = {
  get(name: string): string | null {
    try {
      return localStorage.getItem(storageKey(name));
    } catch {
      return null;
    }
  },
  set(name: string, value: string | null): void {
    try {
      if (value === null) localStorage.removeItem(storageKey(name));
      else localStorage.setItem(storageKey(name), value);
    } catch {
      // storage full or blocked: the widget still works for this page view
    }
  },
};

function loadOutbox(): Outgoing[] {
  try {
    const parsed: unknown = JSON.parse(store.get('outbox') ?? '[]');
    return Array.isArray(parsed)
      ? (parsed as Outgoing[]).filter((m) => typeof m.clientMsgId === 'string' && typeof m.text === 'string' && (m.file === undefined || typeof m.file.id === 'string'))
      : [];
  } catch {
    return [];
  }
}

const messageFrame = (m: Outgoing) => ({ type: 'message', clientMsgId: m.clientMsgId, text: m.text, ...(m.file ? { file: { id: m.file.id } } : {}) });

const sizeText = (bytes: number): string => (bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

const clock = (at: number): string => new Date(at).toLocaleTimeString(navigator.language, { hour: '2-digit', minute: '2-digit' });

const randomId = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
};

/** Whether the panel was open on the previous page of this tab (it stays open across navigation). */
function wasOpen(): boolean {
  try {
    return sessionStorage.getItem(storageKey('open')) === '1';
  } catch {
    return false;
  }
}

// ---- the view ----------------------------------------------------------------------------------

const STYLE = `
:host { all: initial; }
* { box-sizing: border-box; font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif; }
.root { position: fixed; bottom: 20px; z-index: 2147483000; --c: #1677ff; font-size: 14px; line-height: 1.5; color: #1f2329; }
.root.right { right: 20px; } .root.left { left: 20px; }
.launcher { width: 56px; height: 56px; border-radius: 50%; border: 0; background: var(--c); color: #fff; cursor: pointer; box-shadow: 0 6px 20px rgba(0,0,0,.2); display: grid; place-items: center; position: relative; transition: transform .15s; }
.launcher:hover { transform: scale(1.06); } .launcher:focus-visible { outline: 3px solid rgba(22,119,255,.4); outline-offset: 2px; }
.launcher svg { width: 28px; height: 28px; fill: currentColor; }
.badge { position: absolute; top: -2px; right: -2px; min-width: 20px; height: 20px; padding: 0 6px; border-radius: 10px; background: #f5222d; color: #fff; font-size: 12px; line-height: 20px; text-align: center; }
.panel { position: absolute; bottom: 72px; width: 370px; height: min(600px, calc(100vh - 110px)); background: #fff; border-radius: 14px; box-shadow: 0 12px 40px rgba(0,0,0,.18); display: flex; flex-direction: column; overflow: hidden; }
.right .panel { right: 0; } .left .panel { left: 0; }
.panel[hidden], [hidden] { display: none !important; }
header { background: var(--c); color: #fff; padding: 14px 16px; display: flex; align-items: center; gap: 10px; }
header img { width: 36px; height: 36px; border-radius: 50%; object-fit: cover; background: rgba(255,255,255,.3); }
header .title { flex: 1; min-width: 0; } header strong { display: block; font-size: 16px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
header .subtitle { display: block; font-size: 12px; opacity: .9; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
header button { background: transparent; border: 0; color: #fff; font-size: 24px; line-height: 1; cursor: pointer; width: 32px; height: 32px; border-radius: 6px; }
header button:hover { background: rgba(255,255,255,.15); }
.banner { background: #fff7e6; color: #ad6800; font-size: 12px; padding: 6px 16px; border-bottom: 1px solid #ffe7ba; }
.banner.error { background: #fff1f0; color: #a8071a; border-color: #ffccc7; }
.messages { flex: 1; overflow-y: auto; margin: 0; padding: 16px; list-style: none; background: #f5f6f7; display: flex; flex-direction: column; gap: 10px; }
.msg { display: flex; flex-direction: column; max-width: 80%; }
.msg.mine { align-self: flex-end; align-items: flex-end; } .msg.theirs { align-self: flex-start; align-items: flex-start; }
.msg.note { align-self: center; max-width: 90%; color: #646a73; font-size: 12px; text-align: center; }
.bubble { padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; word-break: break-word; }
.mine .bubble { background: var(--c); color: #fff; border-bottom-right-radius: 4px; }
.theirs .bubble { background: #fff; border: 1px solid #e4e6e8; border-bottom-left-radius: 4px; }
.meta { font-size: 11px; color: #8f959e; margin: 2px 4px 0; }
.mine.failed .meta { color: #f5222d; }
.typing { font-size: 12px; color: #8f959e; padding: 4px 16px; background: #f5f6f7; }
form.card { padding: 16px; border-top: 1px solid #e4e6e8; display: flex; flex-direction: column; gap: 10px; background: #fff; }
form.card p { margin: 0; color: #1f2329; }
label { display: flex; flex-direction: column; gap: 4px; font-size: 12px; color: #646a73; }
input, textarea { font-size: 14px; padding: 8px 10px; border: 1px solid #d0d3d6; border-radius: 8px; color: #1f2329; background: #fff; resize: none; }
input:focus, textarea:focus { outline: none; border-color: var(--c); box-shadow: 0 0 0 2px rgba(22,119,255,.15); }
button.primary { background: var(--c); color: #fff; border: 0; border-radius: 8px; padding: 9px 14px; font-size: 14px; cursor: pointer; }
button.primary:disabled { opacity: .5; cursor: default; }
.stars { display: flex; gap: 6px; } .stars button { background: none; border: 0; font-size: 28px; line-height: 1; cursor: pointer; color: #d0d3d6; padding: 0; }
.stars button.on { color: #faad14; }
.composer { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #e4e6e8; background: #fff; align-items: flex-end; }
.composer textarea { flex: 1; max-height: 120px; min-height: 38px; }
.composer button { width: 38px; height: 38px; border-radius: 50%; border: 0; background: var(--c); color: #fff; cursor: pointer; display: grid; place-items: center; flex: none; }
.composer button svg { width: 18px; height: 18px; fill: currentColor; }
.composer button.attach { background: transparent; color: #646a73; border-radius: 8px; }
.composer button.attach:hover { background: #f0f1f2; color: var(--c); }
.composer button:disabled { opacity: .5; cursor: default; }
.bubble.file { padding: 4px; }
.bubble.file img { display: block; border-radius: 9px; cursor: zoom-in; background: #e9ebed; }
.bubble.file a.doc { display: flex; align-items: center; gap: 10px; padding: 6px 8px; color: inherit; text-decoration: none; max-width: 240px; }
.bubble.file a.doc svg { width: 28px; height: 28px; fill: currentColor; flex: none; opacity: .8; }
.bubble.file .name { display: block; font-weight: 500; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bubble.file .size { display: block; font-size: 11px; opacity: .75; }
.bubble.file .caption { padding: 4px 8px 2px; }
.invite { position: absolute; bottom: 72px; width: 290px; background: #fff; border-radius: 14px; box-shadow: 0 12px 40px rgba(0,0,0,.18); padding: 14px 16px; display: flex; flex-direction: column; gap: 8px; }
.right .invite { right: 0; } .left .invite { left: 0; }
.invite.inline { position: static; width: auto; box-shadow: none; border-radius: 0; border-top: 1px solid #e4e6e8; }
.invite strong { font-size: 13px; color: #646a73; font-weight: 500; } .invite p { margin: 0; white-space: pre-wrap; word-break: break-word; }
.invite .actions { display: flex; gap: 8px; justify-content: flex-end; }
.invite button.secondary { background: transparent; border: 1px solid #d0d3d6; border-radius: 8px; padding: 8px 12px; font-size: 14px; cursor: pointer; color: #1f2329; }
@media (max-width: 480px) {
  .root { bottom: 16px; } .root.right { right: 16px; } .root.left { left: 16px; }
  .panel { position: fixed; inset: 0; width: auto; height: auto; border-radius: 0; bottom: 0; }
  .root.open .launcher { display: none; }
}
`;

const CHAT_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3C6.5 3 2 6.6 2 11c0 2.4 1.3 4.6 3.4 6.1L4.5 21l4.3-2.3c1 .3 2.1.4 3.2.4 5.5 0 10-3.6 10-8.1S17.5 3 12 3z"/></svg>';
const CLIP_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z"/></svg>';
const DOC_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zm0 2.5L17.5 8H14zM8 13h8v1.5H8zm0 3h8v1.5H8zm0-6h4v1.5H8z"/></svg>';
const SEND_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 20.5 21 12 3 3.5v6.6l12.5 1.9L3 13.9z"/></svg>';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

class View {
  readonly root = el('div', { class: 'root right' });
  readonly launcher = el('button', { class: 'launcher', type: 'button', 'aria-label': t.open, 'aria-expanded': 'false' });
  readonly badge = el('span', { class: 'badge', hidden: '' });
  readonly panel = el('section', { class: 'panel', role: 'dialog', 'aria-label': t.open, hidden: '' });
  readonly avatar = el('img', { alt: '', hidden: '' });
  readonly title = el('strong');
  readonly subtitle = el('span', { class: 'subtitle' }, t.connecting);
  readonly closeButton = el('button', { type: 'button', 'aria-label': t.close }, '×');
  readonly banner = el('div', { class: 'banner', role: 'status', hidden: '' });
  readonly list = el('ol', { class: 'messages', 'aria-live': 'polite' });
  readonly typing = el('div', { class: 'typing', hidden: '' });
  readonly composer = el('form', { class: 'composer' });
  readonly input = el('textarea', { rows: '1', placeholder: t.placeholder, 'aria-label': t.placeholder, maxlength: '5000' });
  readonly send = el('button', { type: 'submit', 'aria-label': t.send });
  readonly attach = el('button', { type: 'button', class: 'attach', 'aria-label': t.attach, title: t.attach });
  readonly picker = el('input', { type: 'file', accept: ACCEPT, hidden: '' });
  readonly forms = el('div');

  constructor() {
    this.launcher.innerHTML = CHAT_ICON; // static markup of ours, never text from anyone
    this.launcher.append(this.badge);
    this.send.innerHTML = SEND_ICON;
    this.attach.innerHTML = CLIP_ICON;
    const titles = el('div', { class: 'title' });
    titles.append(this.title, this.subtitle);
    const header = el('header');
    header.append(this.avatar, titles, this.closeButton);
    this.composer.append(this.attach, this.picker, this.input, this.send);
    this.panel.append(header, this.banner, this.list, this.typing, this.forms, this.composer);
    this.root.append(this.panel, this.launcher);
  }

  mount(): void {
    const host = el('div', { id: 'kefu-widget' });
    const shadow = host.attachShadow({ mode: 'open' });
    shadow.append(el('style', {}, STYLE), this.root);
    document.body.append(host);
  }

  setBanner(text: string | null, error = false): void {
    this.banner.hidden = text === null;
    this.banner.textContent = text ?? '';
    this.banner.classList.toggle('error', error);
  }

  note(text: string): void {
    this.list.append(el('li', { class: 'msg note' }, text));
    this.scroll();
  }

  scroll(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }
}

// ---- the conversation --------------------------------------------------------------------------

class Widget {
  readonly view = new View();
  readonly info: ChannelInfo;
  socket: WebSocket | null = null;
  token = store.get('token');
  outbox: Outgoing[] = loadOutbox();
  /** Highest seq shown on this page (a reconnect asks for what follows; a page load for everything). */
  lastSeq = 0;
  shownOnThisPage = false;
  status: Status | null = null;
  agentName: string | null = null;
  readSeq = 0;
  /** seq → the message's element; clientMsgId → my message's element. */
  bySeq = new Map<number, HTMLLIElement>();
  mine = new Map<string, HTMLLIElement>();
  attempt = 0;
  final = false;
  retry: number | null = null;
  heartbeat: number | null = null;
  typingSentAt = 0;
  typingStop: number | null = null;
  typingHide: number | null = null;
  unread = 0;
  /** Uploads waiting for the conversation they belong to to start. */
  onStarted: (() => void)[] = [];
  /** An agent who invited this visitor (主动邀请): the conversation, when it starts, goes to them first. */
  invitedBy: string | null = null;
  /** The code of the last error frame: a close that follows is explained by it. */
  lastErrorCode: string | null = null;

  constructor(info: ChannelInfo) {
    this.info = info;
    const { view } = this;
    const a = info.appearance;
    if (a.color && /^#[0-9a-fA-F]{3,8}$/.test(a.color)) view.root.style.setProperty('--c', a.color);
    view.root.classList.replace('right', a.position === 'left' ? 'left' : 'right');
    view.title.textContent = info.name;
    if (a.avatarUrl && /^https?:\/\//.test(a.avatarUrl)) {
      view.avatar.src = a.avatarUrl;
      view.avatar.hidden = false;
    }
    view.launcher.addEventListener('click', () => this.toggle(view.panel.hidden));
    view.closeButton.addEventListener('click', () => this.toggle(false));
    view.composer.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    view.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    view.input.addEventListener('input', () => this.visitorTyping());
    view.attach.addEventListener('click', () => view.picker.click());
    view.picker.addEventListener('change', () => {
      const file = view.picker.files?.[0];
      view.picker.value = '';
      if (file) void this.sendFile(file);
    });
    window.addEventListener('online', () => this.reconnectNow());
    window.addEventListener('offline', () => view.setBanner(t.offline));
    document.addEventListener('visibilitychange', () => this.markRead());
    for (const m of this.outbox) this.renderMine(m);
    view.mount();
    // Connected from the first page view: agents see who is on the site and can invite them.
    this.connect();
    if (wasOpen()) this.toggle(true);
  }

  toggle(open: boolean): void {
    const { view } = this;
    view.panel.hidden = !open;
    view.root.classList.toggle('open', open);
    view.launcher.setAttribute('aria-expanded', String(open));
    try {
      sessionStorage.setItem(storageKey('open'), open ? '1' : '0');
    } catch {
      // fine without it
    }
    if (!open) return;
    // A floating invitation gives way to the panel (the visitor chose to open the chat themselves).
    view.root.querySelector(':scope > .invite')?.remove();
    this.unread = 0;
    view.badge.hidden = true;
    if (!this.socket && !this.final) this.connect();
    this.showGreeting();
    this.showPreChat();
    this.markRead();
    view.scroll();
    view.input.focus();
  }

  // -- connection --

  connect(): void {
    if (this.final || !channelKey) return;
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    const ws = new WebSocket(socketUrl);
    this.socket = ws;
    ws.onopen = () => {
      ws.send(
        JSON.stringify({
          type: 'hello',
          v: 1,
          ...(this.token ? { token: this.token } : {}),
          ...(this.token && this.shownOnThisPage ? { lastSeq: this.lastSeq } : {}),
          ...(identity ? { identity } : {}),
          page: { url: location.href.slice(0, 2000), title: document.title.slice(0, 300), ...(document.referrer ? { referrer: document.referrer.slice(0, 2000) } : {}) },
          locale: navigator.language,
          ...zone(),
        }),
      );
    };
    ws.onmessage = (e) => {
      try {
        this.receive(JSON.parse(String(e.data)) as VisitorServerFrame);
      } catch {
        // a frame this widget does not understand is skipped
      }
    };
    ws.onclose = (e) => this.closed(ws, e.code);
  }

  closed(ws: WebSocket, code: number): void {
    if (this.socket !== ws) return;
    this.socket = null;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (code === 4501 && this.lastErrorCode === 'TOKEN_INVALID') {
      // The token is no good (expired, of another channel): start over as a new visitor. (Other
      // refusals of hello — a wrong identity hash, a channel only for signed-in users — are final.)
      this.lastErrorCode = null;
      this.token = null;
      store.set('token', null);
      this.shownOnThisPage = false;
      this.schedule(0);
      return;
    }
    if (code >= 4500 && code <= 4999) {
      this.final = true;
      this.view.input.disabled = true;
      this.view.send.disabled = true;
      this.view.setBanner(t.unavailable, true);
      this.view.subtitle.textContent = t.unavailable;
      return;
    }
    this.view.setBanner(navigator.onLine === false ? t.offline : t.reconnecting);
    this.schedule(Math.min(30_000, 500 * 2 ** this.attempt++) * (0.5 + Math.random()));
  }

  schedule(ms: number): void {
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = window.setTimeout(() => this.connect(), ms);
  }

  reconnectNow(): void {
    if (this.socket || this.final) return;
    this.attempt = 0;
    this.schedule(0);
  }

  sendFrame(frame: object): boolean {
    const ws = this.socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  // -- frames --

  receive(frame: VisitorServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        return this.welcome(frame);
      case 'ack':
        return this.acked(frame.clientMsgId, frame.seq);
      case 'message':
        return this.message(frame);
      case 'typing':
        return this.agentTyping(frame);
      case 'read':
        this.readSeq = Math.max(this.readSeq, frame.seq);
        for (const [seq, li] of this.bySeq) if (seq <= this.readSeq && li.classList.contains('mine')) this.setMeta(li, t.read);
        return;
      case 'status':
        return this.setStatus(frame.status, frame.agent?.name ?? null);
      case 'queue':
        if (this.status === 'queued') this.view.subtitle.textContent = t.position(frame.position, Math.round(frame.estimatedWaitMs / 60_000));
        return;
      case 'rating-requested':
        return this.showRating();
      case 'leave-message-form':
        return this.showLeaveMessage();
      case 'invitation':
        return this.showInvitation(frame);
      case 'error':
        return this.error(frame);
      case 'pong':
        return;
    }
  }

  welcome(w: Frame<'welcome'>): void {
    this.token = w.token;
    store.set('token', w.token);
    this.attempt = 0;
    this.view.setBanner(null);
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = window.setInterval(() => this.sendFrame({ type: 'ping' }), Math.max(1_000, w.heartbeatMs * 0.8));
    this.setStatus(w.status, w.agent?.name ?? null);
    this.shownOnThisPage = true;
    // Whatever waited for an ack goes again, with its original clientMsgId.
    for (const m of this.outbox) this.sendFrame(messageFrame(m));
    this.showPreChat();
  }

  setStatus(status: Status | null, agentName: string | null): void {
    const changed = status !== this.status;
    this.status = status;
    if (this.inConversation()) for (const started of this.onStarted.splice(0)) started();
    if (agentName) this.agentName = agentName;
    const { view } = this;
    switch (status) {
      case null:
      case 'new':
        view.subtitle.textContent = t.online;
        break;
      case 'bot':
      case 'queued':
        view.subtitle.textContent = t.waiting;
        break;
      case 'assigned':
      case 'transferred':
        view.subtitle.textContent = agentName ?? this.agentName ?? t.online;
        break;
      case 'closed':
        view.subtitle.textContent = t.online;
        if (changed) view.note(t.closed);
        break;
      case 'offline-message':
        this.showLeaveMessage();
        break;
    }
  }

  message(m: Frame<'message'>): void {
    this.lastSeq = Math.max(this.lastSeq, m.seq);
    if (this.bySeq.has(m.seq)) return;
    let li = m.clientMsgId !== null && m.from.kind === 'visitor' ? this.mine.get(m.clientMsgId) : undefined;
    if (li) {
      this.setMeta(li, m.seq <= this.readSeq ? t.read : t.sent);
      li.classList.remove('failed');
    } else {
      const mine = m.from.kind === 'visitor';
      li = el('li', { class: `msg ${mine ? 'mine' : 'theirs'}` });
      li.append(this.bubble(m.text, m.file));
      const time = clock(m.at);
      li.append(el('div', { class: 'meta' }, mine ? `${time} · ${t.sent}` : `${m.from.name ?? (m.from.kind === 'agent' ? t.agent : '')} · ${time}`.replace(/^ · /, '')));
      if (mine && m.clientMsgId) this.mine.set(m.clientMsgId, li);
      this.insertInOrder(li, m.seq);
      if (!mine) {
        this.view.typing.hidden = true;
        if (this.view.panel.hidden) {
          this.unread++;
          this.view.badge.textContent = String(this.unread);
          this.view.badge.hidden = false;
        }
      }
    }
    li.dataset['seq'] = String(m.seq);
    this.bySeq.set(m.seq, li);
    this.markRead();
    this.view.scroll();
  }

  /** Messages appear in seq order even when a replayed one arrives after a live one. */
  insertInOrder(li: HTMLLIElement, seq: number): void {
    const later = [...this.bySeq.entries()].filter(([s]) => s > seq).sort(([a], [b]) => a - b)[0];
    if (later) this.view.list.insertBefore(li, later[1]);
    else {
      // Unsent messages of mine stay last.
      const pending = [...this.mine.values()].find((p) => !p.dataset['seq'] && p.parentNode === this.view.list);
      this.view.list.insertBefore(li, pending ?? null);
    }
  }

  acked(clientMsgId: string, seq: number): void {
    this.outbox = this.outbox.filter((m) => m.clientMsgId !== clientMsgId);
    store.set('outbox', this.outbox.length > 0 ? JSON.stringify(this.outbox) : null);
    const li = this.mine.get(clientMsgId);
    if (li && !li.dataset['seq']) {
      li.dataset['seq'] = String(seq);
      this.bySeq.set(seq, li);
      this.setMeta(li, seq <= this.readSeq ? t.read : t.sent);
    }
    this.lastSeq = Math.max(this.lastSeq, seq);
  }

  error(e: Frame<'error'>): void {
    this.lastErrorCode = e.code;
    if (e.clientMsgId !== undefined) {
      if (e.temporary) {
        window.setTimeout(() => {
          const m = this.outbox.find((o) => o.clientMsgId === e.clientMsgId);
          if (m) this.sendFrame(messageFrame(m));
        }, 2_000 + Math.random() * 2_000);
        return;
      }
      // Refused for good (e.g. too long): it leaves the outbox, and says so.
      this.outbox = this.outbox.filter((m) => m.clientMsgId !== e.clientMsgId);
      store.set('outbox', this.outbox.length > 0 ? JSON.stringify(this.outbox) : null);
      const li = this.mine.get(e.clientMsgId);
      if (li) {
        li.classList.add('failed');
        this.setMeta(li, t.failed);
      }
    }
  }

  // -- the visitor's side --

  submit(): void {
    const text = this.view.input.value.trim();
    if (!text || this.final) return;
    this.view.input.value = '';
    const m: Outgoing = { clientMsgId: randomId(), text: text.slice(0, 5_000), at: Date.now() };
    this.outbox.push(m);
    store.set('outbox', JSON.stringify(this.outbox));
    this.renderMine(m);
    if (!this.socket) this.connect();
    else this.sendFrame(messageFrame(m));
    this.stopTyping();
  }

  /**
   * Shares a file: uploads it (the conversation starts first if there is none yet), then sends
   * the message naming it — through the outbox like any message, so it is resent until acked.
   */
  async sendFile(file: File): Promise<void> {
    if (this.final) return;
    const placeholder = el('li', { class: 'msg note' }, t.uploading(file.name));
    if (file.size > MAX_FILE_BYTES) return this.view.note(t.fileTooLarge);
    this.view.list.append(placeholder);
    this.view.scroll();
    this.view.attach.disabled = true;
    try {
      await this.conversationStarted();
      const res = await fetch(`${filesUrl}?name=${encodeURIComponent(file.name)}`, { method: 'POST', body: file, headers: { authorization: `Bearer ${this.token ?? ''}` } });
      if (!res.ok) {
        const code = ((await res.json().catch(() => ({}))) as { code?: string }).code;
        throw new Error(code === 'FILE_TOO_LARGE' ? t.fileTooLarge : code === 'FILE_TYPE_NOT_ALLOWED' ? t.fileRefused : t.fileFailed);
      }
      const shared = (await res.json()) as SharedFile;
      placeholder.remove();
      const m: Outgoing = { clientMsgId: randomId(), text: '', at: Date.now(), file: shared };
      this.outbox.push(m);
      store.set('outbox', JSON.stringify(this.outbox));
      this.renderMine(m);
      this.sendFrame(messageFrame(m));
    } catch (error) {
      placeholder.textContent = error instanceof Error && error.message ? error.message : t.fileFailed;
    } finally {
      this.view.attach.disabled = false;
    }
  }

  /** Whether the visitor is in a live conversation (with the bot, waiting, or with an agent). */
  inConversation(): boolean {
    return this.status === 'bot' || this.status === 'queued' || this.status === 'assigned' || this.status === 'transferred';
  }

  /** Resolves once the visitor is in a live conversation (files belong to one); starts it if needed. */
  conversationStarted(): Promise<void> {
    if (this.inConversation()) return Promise.resolve();
    if (!this.sendFrame({ type: 'start' })) return Promise.reject(new Error(t.fileFailed));
    return new Promise((resolve, reject) => {
      const started = () => {
        clearTimeout(timeout);
        resolve();
      };
      const timeout = window.setTimeout(() => {
        this.onStarted = this.onStarted.filter((f) => f !== started);
        reject(new Error(t.fileFailed));
      }, 10_000);
      this.onStarted.push(started);
    });
  }

  /**
   * The bubble of a message: its text, or a shared file with its caption — an image by its preview
   * (the server's small copy; a click saves the original), anything else, images without a preview
   * included, as a card to download.
   */
  bubble(text: string, file: SharedFile | undefined): HTMLDivElement {
    if (!file) return el('div', { class: 'bubble' }, text);
    const bubble = el('div', { class: 'bubble file' });
    const url = `${filesUrl}/${encodeURIComponent(file.id)}`;
    const fetchBlob = async (what: string): Promise<string> => {
      const res = await fetch(what, { headers: { authorization: `Bearer ${this.token ?? ''}` } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return URL.createObjectURL(await res.blob());
    };
    const save = (href: string) => {
      const a = el('a', { href, download: file.name });
      a.click();
    };
    if (file.preview) {
      // Its place is kept at its shown size before it loads: the conversation does not jump.
      const scale = Math.min(1, PREVIEW_SHOWN_PX / file.preview.width, PREVIEW_SHOWN_PX / file.preview.height);
      const size = { width: String(Math.max(1, Math.round(file.preview.width * scale))), height: String(Math.max(1, Math.round(file.preview.height * scale))) };
      const img = el('img', { alt: file.name, title: file.name, ...size });
      void fetchBlob(`${url}/preview`).then((u) => (img.src = u), () => img.setAttribute('alt', `${file.name} (${t.fileFailed})`));
      img.addEventListener('click', () => void fetchBlob(url).then(save, () => undefined));
      bubble.append(img);
    } else {
      const card = el('a', { class: 'doc', href: '#', title: file.name });
      card.innerHTML = DOC_ICON; // static markup of ours
      const label = el('span');
      label.append(el('span', { class: 'name' }, file.name), el('span', { class: 'size' }, sizeText(file.size)));
      card.append(label);
      card.addEventListener('click', (e) => {
        e.preventDefault();
        void fetchBlob(url).then(save, () => undefined);
      });
      bubble.append(card);
    }
    if (text) bubble.append(el('div', { class: 'caption' }, text));
    return bubble;
  }

  /** A message of mine not yet acknowledged. */
  renderMine(m: Outgoing): void {
    if (this.mine.has(m.clientMsgId)) return;
    const li = el('li', { class: 'msg mine' });
    li.append(this.bubble(m.text, m.file), el('div', { class: 'meta' }, `${clock(m.at)} · ${t.sending}`));
    this.mine.set(m.clientMsgId, li);
    this.view.list.append(li);
    this.view.scroll();
  }

  setMeta(li: HTMLLIElement, state: string): void {
    const meta = li.querySelector('.meta');
    if (!meta) return;
    const time = (meta.textContent ?? '').split(' · ')[0] ?? '';
    meta.textContent = /\d/.test(time) ? `${time} · ${state}` : state;
  }

  visitorTyping(): void {
    const now = Date.now();
    if (now - this.typingSentAt > 2_000 && this.status !== null) {
      this.typingSentAt = now;
      this.sendFrame({ type: 'typing', typing: true });
    }
    if (this.typingStop !== null) clearTimeout(this.typingStop);
    this.typingStop = window.setTimeout(() => this.stopTyping(), 3_000);
  }

  stopTyping(): void {
    if (this.typingStop !== null) clearTimeout(this.typingStop);
    this.typingStop = null;
    if (this.typingSentAt > 0 && this.status !== null) this.sendFrame({ type: 'typing', typing: false });
    this.typingSentAt = 0;
  }

  agentTyping(f: Frame<'typing'>): void {
    const { typing } = this.view;
    typing.hidden = !f.typing;
    typing.textContent = t.typing(f.from.name ?? t.agent);
    if (this.typingHide !== null) clearTimeout(this.typingHide);
    if (f.typing) this.typingHide = window.setTimeout(() => (typing.hidden = true), 6_000);
  }

  markRead(): void {
    if (this.view.panel.hidden || document.visibilityState !== 'visible' || this.lastSeq <= 0 || this.status === null) return;
    this.sendFrame({ type: 'read', seq: this.lastSeq });
  }

  // -- forms --

  showGreeting(): void {
    const greeting = this.info.appearance.greeting;
    if (greeting && this.status === null && this.view.list.children.length === 0) this.view.note(greeting);
  }

  showPreChat(): void {
    const fields = this.info.appearance.preChatFields ?? [];
    if (fields.length === 0 || this.status !== null || this.view.panel.hidden || this.view.forms.querySelector('.prechat')) return;
    const form = el('form', { class: 'card prechat' });
    form.append(el('p', {}, t.prechatTitle));
    for (const f of fields) {
      const label = el('label', {}, f.label);
      label.append(el('input', { name: f.name, maxlength: '500', ...(f.required ? { required: '' } : {}) }));
      form.append(label);
    }
    form.append(el('button', { class: 'primary', type: 'submit' }, t.startChat));
    this.view.composer.hidden = true;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const preChat: Record<string, string> = {};
      for (const input of form.querySelectorAll('input')) if (input.value.trim()) preChat[input.name] = input.value.trim();
      if (!this.sendFrame({ type: 'start', preChat, ...(this.invitedBy ? { requestedAgentId: this.invitedBy } : {}) })) return;
      form.remove();
      this.view.composer.hidden = false;
      this.view.input.focus();
    });
    this.view.forms.append(form);
  }

  /** An agent's invitation, floating above the launcher; accepting opens the chat with that agent asked for. */
  showInvitation(invitation: Frame<'invitation'>): void {
    if (this.inConversation() || this.final) return;
    this.view.root.querySelectorAll('.invite').forEach((c) => c.remove());
    const inline = !this.view.panel.hidden;
    const card = el('div', { class: inline ? 'invite inline' : 'invite', role: 'dialog', 'aria-label': t.invitedBy(invitation.agent.name) });
    const accept = el('button', { class: 'primary', type: 'button' }, t.inviteAccept);
    const dismiss = el('button', { class: 'secondary', type: 'button' }, t.inviteDismiss);
    const actions = el('div', { class: 'actions' });
    actions.append(dismiss, accept);
    card.append(el('strong', {}, t.invitedBy(invitation.agent.name)), el('p', {}, invitation.text || t.inviteDefault), actions);
    dismiss.addEventListener('click', () => card.remove());
    accept.addEventListener('click', () => {
      card.remove();
      this.invitedBy = invitation.agent.id;
      this.toggle(true);
      // With a pre-chat form the start waits for it (and carries the agent); without one it goes now.
      if (!this.view.forms.querySelector('.prechat')) this.sendFrame({ type: 'start', requestedAgentId: invitation.agent.id });
    });
    if (inline) this.view.forms.append(card);
    else this.view.root.insertBefore(card, this.view.launcher);
  }

  showLeaveMessage(): void {
    if (this.view.forms.querySelector('.leave')) return;
    const form = el('form', { class: 'card leave' });
    const text = el('textarea', { rows: '3', maxlength: '5000', required: '' });
    const contact = el('input', { maxlength: '200' });
    const textLabel = el('label', {}, t.leaveText);
    textLabel.append(text);
    const contactLabel = el('label', {}, t.leaveContact);
    contactLabel.append(contact);
    form.append(el('p', {}, t.leaveTitle), textLabel, contactLabel, el('button', { class: 'primary', type: 'submit' }, t.leaveSend));
    this.view.composer.hidden = true;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!text.value.trim()) return;
      if (!this.sendFrame({ type: 'leave-message', text: text.value.trim(), ...(contact.value.trim() ? { contact: contact.value.trim() } : {}) })) return;
      form.remove();
      this.view.note(t.leaveThanks);
    });
    this.view.forms.append(form);
  }

  showRating(): void {
    if (this.view.forms.querySelector('.rating')) return;
    const form = el('form', { class: 'card rating' });
    const stars = el('div', { class: 'stars', role: 'radiogroup', 'aria-label': t.rateTitle });
    let score = 0;
    const buttons = [1, 2, 3, 4, 5].map((n) => {
      const b = el('button', { type: 'button', role: 'radio', 'aria-checked': 'false', 'aria-label': t.stars(n) }, '★');
      b.addEventListener('click', () => {
        score = n;
        buttons.forEach((x, i) => {
          x.classList.toggle('on', i < n);
          x.setAttribute('aria-checked', String(i === n - 1));
        });
        submit.disabled = false;
      });
      return b;
    });
    stars.append(...buttons);
    const comment = el('textarea', { rows: '2', maxlength: '1000', placeholder: t.rateComment, 'aria-label': t.rateComment });
    const submit = el('button', { class: 'primary', type: 'submit', disabled: '' }, t.rateSend);
    form.append(el('p', {}, t.rateTitle), stars, comment, submit);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (score === 0) return;
      if (!this.sendFrame({ type: 'rate', score, ...(comment.value.trim() ? { comment: comment.value.trim() } : {}) })) return;
      form.remove();
      this.view.note(t.rateThanks);
    });
    this.view.forms.append(form);
    this.view.scroll();
  }
}

// ---- start -------------------------------------------------------------------------------------

async function start(): Promise<void> {
  if (!channelKey) {
    console.warn('[kefu] the widget script needs data-channel="KEY"');
    return;
  }
  let info: ChannelInfo;
  try {
    const res = await fetch(new URL(`widget/v1/channels/${encodeURIComponent(channelKey)}`, base));
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    info = (await res.json()) as ChannelInfo;
  } catch (error) {
    console.warn(`[kefu] channel ${channelKey} is not available:`, error);
    return;
  }
  const go = () => new Widget(info);
  if (document.body) go();
  else document.addEventListener('DOMContentLoaded', go, { once: true });
}

void start();
