/**
 * The REST API under `/api/v1` on the gateway's uWS app: the route table (routes.ts) registered
 * with authentication, CSRF protection, request validation, response validation and one error
 * mapping. What every request goes through, in order:
 *   1. body read (JSON only, at most MAX_BODY_BYTES: 413/415 otherwise);
 *   2. credentials: `Authorization: Bearer kefu_…` (API token) or the `kefu_session` cookie;
 *   3. access: the route's `access` (401 without valid credentials, 403 without the right);
 *   4. CSRF, for cookie requests that change something: the `X-CSRF-Token` header must equal the
 *      session's token and a present `Origin` must be this node's own (403 CSRF_INVALID);
 *   5. query and body validated against the route's zod schemas (400 INVALID naming the fields);
 *   6. the handler, whose directory operation checks the resource's department itself;
 *   7. the answer validated against the route's response schema (a mismatch is a 500: the
 *      document must never promise what the server does not send).
 */
import { timingSafeEqual } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { z } from 'zod';
import type { Authenticated, Authenticator } from '../../actors/directory/authenticator.ts';
import { mayUse, superAdminOnly } from '../../actors/directory/policies/access.ts';
import { DomainError, isDomainError, type DomainErrorType } from '../../actors/kernel/domain-error.ts';
import { json, readBody, send, type Reply } from '../http.ts';
import { RatePerAddress } from '../rate-limit.ts';
import type { HttpTiming } from '../../cluster/metrics.ts';
import type { RouteModule } from '../server.ts';
import type { Access, Route } from './route.ts';

export const SESSION_COOKIE = 'kefu_session';
export const CSRF_HEADER = 'x-csrf-token';
export const MAX_BODY_BYTES = 64 * 1024;

const STATUS: Readonly<Record<DomainErrorType, number>> = {
  INVALID: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  LOCKED: 423,
  RATE_LIMITED: 429,
  BUSY: 503,
  UNAVAILABLE: 503,
};

/** The one mapping of errors to HTTP answers. */
export function errorReply(error: unknown): Reply | null {
  if (!isDomainError(error)) return null;
  const body: Record<string, unknown> = { code: error.type, message: error.message, temporary: error.temporary };
  if (Object.keys(error.details).length) body.details = error.details;
  return json(STATUS[error.type], body);
}

const problem = (status: number, code: string, message: string, temporary = false): Reply => json(status, { code, message, temporary });

type Incoming = {
  readonly method: string;
  readonly params: Record<string, string>;
  readonly query: string;
  readonly cookie: string;
  readonly authorization: string;
  readonly csrf: string;
  readonly origin: string;
  readonly contentType: string;
  readonly userAgent: string;
  readonly ip: string;
  readonly hasBody: boolean;
};

export type ApiDeps = {
  readonly routes: readonly Route[];
  readonly authenticator: Authenticator;
  readonly ownOrigin: () => string;
  /** Sign-in and setup attempts per client address and minute (a burst of as many, then spread out). */
  readonly signInsPerMinute: number;
  /** Told of every answered request: route template, method, status, seconds (cluster/metrics.ts). */
  readonly timing?: HttpTiming;
  readonly onError: (error: unknown) => void;
};

export function apiRoutes(deps: ApiDeps): RouteModule {
  const signIns = new RatePerAddress({ capacity: deps.signInsPerMinute, perSecond: deps.signInsPerMinute / 60 });
  const allowSignIn = (ip: string): boolean => signIns.take(ip, performance.now());

  return (app: TemplatedApp) => {
    for (const r of deps.routes) {
      const paramNames = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      const uwsPath = r.path.replace(/\{(\w+)\}/g, ':$1');
      // uWS names DELETE `del`.
      const uwsMethod = r.method === 'delete' ? 'del' : r.method;
      const register = (app as unknown as Record<string, (path: string, handler: (res: HttpResponse, req: HttpRequest) => void) => void>)[uwsMethod]!.bind(app);
      register(uwsPath, (res: HttpResponse, req: HttpRequest) => {
        const incoming: Incoming = {
          method: r.method,
          params: Object.fromEntries(paramNames.map((name, i) => [name, decodeURIComponent(req.getParameter(i) ?? '')])),
          query: req.getQuery() ?? '',
          cookie: req.getHeader('cookie'),
          authorization: req.getHeader('authorization'),
          csrf: req.getHeader(CSRF_HEADER),
          origin: req.getHeader('origin'),
          contentType: req.getHeader('content-type'),
          userAgent: req.getHeader('user-agent'),
          ip: Buffer.from(res.getRemoteAddressAsText()).toString(),
          hasBody: req.getHeader('content-length') !== '' || req.getHeader('transfer-encoding') !== '',
        };
        let aborted = false;
        res.onAborted(() => {
          aborted = true;
        });
        const startedAt = performance.now();
        const answered = (reply: Reply): void => {
          if (aborted) return;
          send(res, reply);
          deps.timing?.(r.path, r.method, reply.status, (performance.now() - startedAt) / 1000);
        };
        readBody(res, incoming.hasBody, MAX_BODY_BYTES, (body) => {
          handle(r, incoming, body).then(answered, (error: unknown) => {
            deps.onError(error);
            answered(problem(500, 'INTERNAL', 'internal error', true));
          });
        });
      });
    }
  };

  async function handle(r: Route, incoming: Incoming, body: Buffer | 'too-large'): Promise<Reply> {
    try {
      return await answer(r, incoming, body);
    } catch (error) {
      const reply = errorReply(error);
      if (reply) return reply;
      throw error;
    }
  }

  async function answer(r: Route, incoming: Incoming, rawBody: Buffer | 'too-large'): Promise<Reply> {
    if (rawBody === 'too-large') return problem(413, 'PAYLOAD_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`);
    const caller = await authenticate(incoming);
    if (r.access.kind !== 'public') {
      if (!caller) throw new DomainError('UNAUTHENTICATED', 'sign in first');
      checkAccess(r.access, caller);
      if (caller.session && r.method !== 'get' && !csrfValid(incoming, caller, deps.ownOrigin())) {
        return problem(403, 'CSRF_INVALID', `a signed-in browser must send the ${CSRF_HEADER} header it got at sign-in, from this site`);
      }
    }
    if (r.limit === 'sign-in' && !allowSignIn(incoming.ip)) throw new DomainError('RATE_LIMITED', 'too many attempts from this address; wait a minute');

    const query = r.query ? parse(r.query, Object.fromEntries(new URLSearchParams(incoming.query)), 'query') : undefined;
    let body: unknown;
    if (r.body) {
      if (!/^application\/json\s*(;|$)/i.test(incoming.contentType)) return problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
      let value: unknown;
      try {
        value = JSON.parse(rawBody.toString('utf8'));
      } catch {
        throw new DomainError('INVALID', 'the body is not valid JSON');
      }
      body = parse(r.body, value, 'body');
    } else if (rawBody.length > 0) {
      throw new DomainError('INVALID', 'this route takes no body');
    }

    const result = await r.handler({ caller: caller ? { ...caller, ip: incoming.ip } : null, params: incoming.params, query, body, ip: incoming.ip, userAgent: incoming.userAgent });
    if (!r.response) return { status: 204, body: '', headers: { 'cache-control': 'no-store', ...result.headers } };
    const checked = r.response.safeParse(result.body);
    if (!checked.success) throw new Error(`${r.method.toUpperCase()} ${r.path}: the answer does not match its schema: ${z.prettifyError(checked.error)}`);
    if (r.csv) return { status: 200, body: String(checked.data), headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="export.csv"', 'cache-control': 'no-store', ...result.headers } };
    const reply = json(r.status ?? 200, checked.data);
    return { ...reply, headers: { ...reply.headers, ...result.headers } };
  }

  async function authenticate(incoming: Incoming): Promise<Authenticated | null> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(incoming.authorization)?.[1];
    if (bearer) {
      const who = await deps.authenticator.fromApiToken(bearer);
      if (!who) throw new DomainError('UNAUTHENTICATED', 'the API token is unknown, revoked or expired');
      return who;
    }
    const token = cookieValue(incoming.cookie, SESSION_COOKIE);
    return token ? deps.authenticator.fromSession(token) : null;
  }

}

/** A signed-in browser's state-changing request: the session's CSRF token in the header, and (when present) this site's Origin. */
export function csrfValid(request: { readonly csrf: string; readonly origin: string }, caller: Authenticated, ownOrigin: string): boolean {
  if (!caller.session) return false;
  const expected = Buffer.from(caller.session.csrfToken);
  const given = Buffer.from(request.csrf);
  const originOk = request.origin === '' || request.origin === ownOrigin;
  return originOk && given.length === expected.length && timingSafeEqual(given, expected);
}

function checkAccess(access: Access, caller: Authenticated): void {
  switch (access.kind) {
    case 'public':
    case 'signed-in':
      return;
    case 'session':
      if (caller.session) return;
      throw new DomainError('FORBIDDEN', 'only a signed-in person may do this, not an API token');
    case 'super-admin':
      if (superAdminOnly(caller.principal).allowed) return;
      throw new DomainError('FORBIDDEN', 'only a super admin may do this');
    case 'permission':
      if (mayUse(caller.principal, access.permission).allowed) return;
      throw new DomainError('FORBIDDEN', `your roles do not allow this (${access.permission})`);
    default: {
      const never: never = access;
      throw new Error(`unknown access ${JSON.stringify(never)}`);
    }
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: 'query' | 'body'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) fields[issue.path.join('.') || where] ??= issue.message;
  throw new DomainError('INVALID', `${where}: ${Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('; ')}`, { fields });
}

export function cookieValue(header: string, name: string): string | null {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

