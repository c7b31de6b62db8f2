/**
 * Files shared in conversations, over HTTP (docs/files.md):
 *
 *   POST /files/visitor/<channel>?name=<file name>     the visitor uploads (Authorization: Bearer <visitor token>)
 *   GET  /files/visitor/<channel>/<file id>            the visitor downloads one of their conversation's files
 *   POST /files/agent/<conversation id>?name=<name>    an agent or supervisor uploads (session cookie + X-CSRF-Token)
 *   GET  /files/agent/<file id>                        the agents' side downloads (or anyone with history.read over it)
 *   GET  …/<file id>/preview                           (both sides) an image's preview, a small WebP (preview.ts)
 *
 * The body is the file's bytes. An upload is judged by its content (file-policy.ts), stored under a
 * random id bound to one conversation, and answered with `{id, name, contentType, size, preview?}`; it is
 * shared by sending a chat message with `file: {id}`. Downloads are answered as attachments with
 * `X-Content-Type-Options: nosniff` and a sandboxing CSP, so nothing uploaded ever runs as a page of
 * Kefu. The visitor routes answer CORS for the channel's allowed origins (the widget runs on the
 * customer's site and sends its token in a header, not a cookie).
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { ConversationActorCommand } from '../../actors/conversation/conversation.actor.ts';
import { sharedFile, type FileStore, type StoredFile } from '../../actors/conversation/file.repository.ts';
import type { ConversationEffect } from '../../actors/conversation/protocol.ts';
import { participants } from '../../actors/conversation/state.ts';
import type { Authenticated, Authenticator } from '../../actors/directory/authenticator.ts';
import type { ChannelConfig, ChannelDirectory } from '../../actors/directory/channel.repository.ts';
import { may, type Scope } from '../../actors/directory/policies/access.ts';
import type { VisitorDirectory } from '../../actors/directory/visitor.repository.ts';
import type { Delivered } from '../../cluster/actor-host.ts';
import { cookieValue, csrfValid, CSRF_HEADER, SESSION_COOKIE } from '../api/server.ts';
import { json, readBody, send, type Reply } from '../http.ts';
import { RatePerAddress } from '../rate-limit.ts';
import type { RouteModule } from '../server.ts';
import { allowedOrigin } from '../visitor/server.ts';
import { CHANNEL_KEY_PATTERN } from '../visitor/wire.ts';
import { MAX_FILE_BYTES, judgeFile } from './file-policy.ts';
import { makePreview } from './preview.ts';

/** Uploads per client address: a burst of 20, then one every 3 s. */
const UPLOAD_BURST = 20;
const UPLOADS_PER_SECOND = 1 / 3;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export type FilesDeps = {
  readonly files: FileStore;
  readonly channels: ChannelDirectory;
  readonly visitors: VisitorDirectory;
  readonly authenticator: Authenticator;
  readonly conversation: (conversationId: string, command: ConversationActorCommand) => Promise<Delivered<ConversationEffect>>;
  readonly skillGroupScope: (tenantId: string, skillGroupId: string) => Promise<Scope | null>;
  readonly ownOrigin: () => string;
  readonly onError: (error: unknown) => void;
};

type Incoming = {
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  readonly origin: string;
  readonly authorization: string;
  readonly cookie: string;
  readonly csrf: string;
  readonly contentLength: number | null;
  readonly hasBody: boolean;
  readonly ip: string;
};

const problem = (status: number, code: string, message: string, temporary = false): Reply => json(status, { code, message, temporary });

export function filesRoutes(deps: FilesDeps): RouteModule {
  const uploads = new RatePerAddress({ capacity: UPLOAD_BURST, perSecond: UPLOADS_PER_SECOND });
  const mayUpload = (ip: string): boolean => uploads.take(ip, performance.now());

  /** Reads the request's fields now (uWS's `req` is gone after the handler returns), then runs `handler` with the body if `withBody`. */
  function route(res: HttpResponse, req: HttpRequest, paramCount: number, withBody: boolean, handler: (incoming: Incoming, body: Buffer | 'too-large') => Promise<Reply>): void {
    const length = req.getHeader('content-length');
    const incoming: Incoming = {
      params: Array.from({ length: paramCount }, (_, i) => decodeURIComponent(req.getParameter(i) ?? '')),
      query: new URLSearchParams(req.getQuery() ?? ''),
      origin: req.getHeader('origin'),
      authorization: req.getHeader('authorization'),
      cookie: req.getHeader('cookie'),
      csrf: req.getHeader(CSRF_HEADER),
      contentLength: length === '' ? null : Number(length),
      hasBody: length !== '' || req.getHeader('transfer-encoding') !== '',
      ip: Buffer.from(res.getRemoteAddressAsText()).toString(),
    };
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const run = (body: Buffer | 'too-large') =>
      handler(incoming, body).then(
        (reply) => {
          if (!aborted) send(res, reply);
        },
        (error: unknown) => {
          deps.onError(error);
          if (!aborted) send(res, problem(500, 'INTERNAL', 'internal error', true));
        },
      );
    if (!withBody) return void run(Buffer.alloc(0));
    // Announced as too large: refused before a byte is read.
    if (incoming.contentLength !== null && incoming.contentLength > MAX_FILE_BYTES) return void run('too-large');
    readBody(res, incoming.hasBody, MAX_FILE_BYTES, (body) => void run(body));
  }

  /** The checks every upload shares, then the store. */
  async function upload(incoming: Incoming, body: Buffer | 'too-large', owner: { tenantId: string; conversationId: string; uploadedBy: string }): Promise<Reply> {
    if (!mayUpload(incoming.ip)) return problem(429, 'RATE_LIMITED', 'too many uploads: wait a little', true);
    if (body === 'too-large') return problem(413, 'FILE_TOO_LARGE', `files are at most ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
    const verdict = judgeFile(incoming.query.get('name') ?? '', body);
    if (!verdict.ok) return problem(verdict.code === 'FILE_TOO_LARGE' ? 413 : verdict.code === 'FILE_EMPTY' ? 400 : 415, verdict.code, verdict.message);
    const preview = await makePreview(verdict.contentType, body);
    const stored = await deps.files.save({ ...owner, name: verdict.name, contentType: verdict.contentType, data: body, preview }, new Date());
    return json(201, sharedFile(stored));
  }

  /** The file itself, or (`what: 'preview'`) its image preview; 404 when it has none. */
  async function download(file: StoredFile, what: 'file' | 'preview', extraHeaders: Record<string, string>): Promise<Reply> {
    const bytes = what === 'file' ? await deps.files.bytes(file.id) : await deps.files.previewBytes(file.id);
    if (!bytes) return problem(404, what === 'file' ? 'FILE_UNKNOWN' : 'PREVIEW_NONE', what === 'file' ? 'no such file' : 'this file has no preview');
    const name = what === 'file' ? file.name : `${file.name.replace(/\.[^.]*$/, '')}.preview.webp`;
    return {
      status: 200,
      body: bytes,
      headers: {
        'content-type': what === 'file' ? file.contentType : 'image/webp',
        'content-disposition': `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`,
        'content-security-policy': "default-src 'none'; sandbox",
        'cache-control': 'private, max-age=3600',
        ...extraHeaders,
      },
    };
  }

  // ---- visitors ------------------------------------------------------------------------------

  /** The channel of the URL and, when the browser's origin may use it, the CORS headers to answer with. */
  async function visitorChannel(incoming: Incoming): Promise<{ channel: ChannelConfig; cors: Record<string, string> } | Reply> {
    const key = incoming.params[0] ?? '';
    const channel = CHANNEL_KEY_PATTERN.test(key) ? await deps.channels.byKey(key) : null;
    if (!channel) return problem(404, 'CHANNEL_UNKNOWN', 'no such channel');
    if (!allowedOrigin(channel, incoming.origin, deps.ownOrigin())) return problem(403, 'ORIGIN_NOT_ALLOWED', 'this site may not use this channel');
    const cors: Record<string, string> = incoming.origin ? { 'access-control-allow-origin': incoming.origin, vary: 'Origin', 'access-control-expose-headers': 'content-disposition' } : {};
    return { channel, cors };
  }

  const withHeaders = (reply: Reply, headers: Record<string, string>): Reply => ({ ...reply, headers: { ...reply.headers, ...headers } });

  async function visitorOf(incoming: Incoming, channel: ChannelConfig) {
    const token = /^Bearer\s+(\S+)$/i.exec(incoming.authorization)?.[1];
    return token ? deps.visitors.byToken(channel, token, new Date()) : null;
  }

  async function visitorUpload(incoming: Incoming, body: Buffer | 'too-large'): Promise<Reply> {
    const found = await visitorChannel(incoming);
    if ('status' in found) return found;
    const visitor = await visitorOf(incoming, found.channel);
    if (!visitor) return withHeaders(problem(401, 'TOKEN_INVALID', 'send the visitor token of this channel as a Bearer token'), found.cors);
    if (!visitor.conversationId) return withHeaders(problem(409, 'CONVERSATION_NONE', 'start a conversation before sharing files'), found.cors);
    return withHeaders(await upload(incoming, body, { tenantId: visitor.tenantId, conversationId: visitor.conversationId, uploadedBy: 'visitor' }), found.cors);
  }

  async function visitorDownload(incoming: Incoming, what: 'file' | 'preview'): Promise<Reply> {
    const found = await visitorChannel(incoming);
    if ('status' in found) return found;
    const visitor = await visitorOf(incoming, found.channel);
    if (!visitor) return withHeaders(problem(401, 'TOKEN_INVALID', 'send the visitor token of this channel as a Bearer token'), found.cors);
    const id = incoming.params[1] ?? '';
    const file = ID_PATTERN.test(id) ? await deps.files.describe(id) : null;
    // Someone else's file is answered as if it did not exist: ids cannot be probed.
    if (!file || file.tenantId !== visitor.tenantId || file.conversationId !== visitor.conversationId) return withHeaders(problem(404, 'FILE_UNKNOWN', 'no such file'), found.cors);
    return download(file, what, found.cors);
  }

  function preflight(res: HttpResponse, req: HttpRequest): void {
    route(res, req, 1, false, async (incoming) => {
      const found = await visitorChannel(incoming);
      if ('status' in found) return found;
      return {
        status: 204,
        body: '',
        headers: { ...found.cors, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'authorization, content-type', 'access-control-max-age': '600' },
      };
    });
  }

  // ---- agents and supervisors ----------------------------------------------------------------

  async function signedIn(incoming: Incoming): Promise<Authenticated | null> {
    const token = cookieValue(incoming.cookie, SESSION_COOKIE);
    return token ? deps.authenticator.fromSession(token) : null;
  }

  async function described(conversationId: string) {
    if (!ID_PATTERN.test(conversationId)) return null;
    const r = await deps.conversation(conversationId, { type: 'describe' });
    return r.ok ? (r.effects.find((e) => e.type === 'described') ?? null) : null;
  }

  async function agentUpload(incoming: Incoming, body: Buffer | 'too-large'): Promise<Reply> {
    const who = await signedIn(incoming);
    if (!who) return problem(401, 'UNAUTHENTICATED', 'sign in first');
    if (!csrfValid(incoming, who, deps.ownOrigin())) return problem(403, 'CSRF_INVALID', `send the ${CSRF_HEADER} header you got at sign-in, from this site`);
    const conversationId = incoming.params[0] ?? '';
    const d = await described(conversationId);
    if (!d || d.tenantId !== who.principal.tenantId || !participants(d).includes(who.principal.accountId)) return problem(404, 'CONVERSATION_UNKNOWN', 'no such conversation of yours');
    return upload(incoming, body, { tenantId: d.tenantId, conversationId, uploadedBy: `account:${who.principal.accountId}` });
  }

  async function agentDownload(incoming: Incoming, what: 'file' | 'preview'): Promise<Reply> {
    const who = await signedIn(incoming);
    if (!who) return problem(401, 'UNAUTHENTICATED', 'sign in first');
    const id = incoming.params[0] ?? '';
    const file = ID_PATTERN.test(id) ? await deps.files.describe(id) : null;
    const d = file && file.tenantId === who.principal.tenantId ? await described(file.conversationId) : null;
    if (!file || !d) return problem(404, 'FILE_UNKNOWN', 'no such file');
    if (!participants(d).includes(who.principal.accountId)) {
      // Not (or no longer) in the conversation: history readers of its skill group's department still may.
      const scope = d.skillGroupId === null ? null : await deps.skillGroupScope(d.tenantId, d.skillGroupId);
      if (!may(who.principal, 'history.read', scope).allowed) return problem(404, 'FILE_UNKNOWN', 'no such file');
    }
    return download(file, what, {});
  }

  return (app: TemplatedApp) => {
    app.options('/files/visitor/:channel', preflight);
    app.options('/files/visitor/:channel/:id', preflight);
    app.post('/files/visitor/:channel', (res, req) => route(res, req, 1, true, visitorUpload));
    app.options('/files/visitor/:channel/:id/preview', preflight);
    app.get('/files/visitor/:channel/:id', (res, req) => route(res, req, 2, false, (incoming) => visitorDownload(incoming, 'file')));
    app.get('/files/visitor/:channel/:id/preview', (res, req) => route(res, req, 2, false, (incoming) => visitorDownload(incoming, 'preview')));
    app.post('/files/agent/:conversation', (res, req) => route(res, req, 1, true, agentUpload));
    app.get('/files/agent/:id', (res, req) => route(res, req, 1, false, (incoming) => agentDownload(incoming, 'file')));
    app.get('/files/agent/:id/preview', (res, req) => route(res, req, 1, false, (incoming) => agentDownload(incoming, 'preview')));
  };
}
