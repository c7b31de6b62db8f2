/**
 * How a REST route of `/api/v1` is declared: method, path (OpenAPI form, `{id}`), who may call it,
 * zod schemas of its query, body and answer, and the handler. The table of routes is the single
 * source of the API: the server registers it, openapi.ts renders the OpenAPI 3.1 document from it,
 * and the authorization matrix test is generated from it.
 *
 * `access` is what the caller needs before the handler runs (checked by the server); the handler's
 * directory operation then checks the finer rule — the department of the resource — itself.
 */
import type { z } from 'zod';
import type { Authenticated } from '../../actors/directory/authenticator.ts';
import type { Permission } from '../../actors/directory/policies/permissions.ts';

export type Access =
  /** Anyone (sign-in, first-run setup). */
  | { readonly kind: 'public' }
  /** Any signed-in account or API token (one's own profile and sessions). */
  | { readonly kind: 'signed-in' }
  /** A signed-in person (not an API token) — changing one's password, ending sessions. */
  | { readonly kind: 'session' }
  /** A signed-in super admin only (roles). */
  | { readonly kind: 'super-admin' }
  | { readonly kind: 'permission'; readonly permission: Permission };

export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

export type RouteRequest<Q, B> = {
  /** Null only on public routes. */
  readonly caller: Authenticated | null;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Q;
  readonly body: B;
  readonly ip: string;
  readonly userAgent: string;
};

/** What a handler returns: the body (validated against `response`), and headers to add (a cookie). */
export type RouteResult<R> = { readonly body: R; readonly headers?: Readonly<Record<string, string>> };

export type Route<Q = unknown, B = unknown> = {
  readonly method: Method;
  readonly path: `/api/v1/${string}`;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly access: Access;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  /** 200 with this body; none: 204. */
  readonly response?: z.ZodType;
  /** Answered as text/csv instead of JSON (exports). */
  readonly csv?: true;
  readonly status?: 200 | 201;
  /** Sign-in and setup: limited per client address (they cost a password hash each). */
  readonly limit?: 'sign-in';
  /** Its answer is checked against `response` at run time (views carry readonly types zod's outputs lack). */
  readonly handler: (request: RouteRequest<Q, B>) => Promise<RouteResult<unknown>>;
};

/** Declares a route with its types inferred from its schemas. */
export const route = <Q = undefined, B = undefined>(r: Route<Q, B>): Route => r as unknown as Route;

export const ok = <R>(body: R, headers?: Record<string, string>): RouteResult<R> => ({ body, ...(headers ? { headers } : {}) });

export const NO_CONTENT: RouteResult<undefined> = { body: undefined };

/** The `{id}` of a route's path. */
export const pathId = (params: Readonly<Record<string, string>>): string => params.id ?? '';

/** zod's output has `undefined` for absent optional keys; the directory wants them absent. */
export const defined = <T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
