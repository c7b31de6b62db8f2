/** Routes of who one is: first-run setup, sign-in and out, one's own account and sessions, the permission catalogue, API tokens. */
import { z } from 'zod';
import { DEFAULT_TENANT_ID } from '../../actors/directory/channel.repository.ts';
import type { History } from '../../actors/history/history.ts';
import type { Directory } from '../../actors/directory/directory.ts';
import { PERMISSIONS, ALL_PERMISSIONS } from '../../actors/directory/policies/permissions.ts';
import { setupComplete } from '../../actors/directory/setup.ts';
import { createFirstAdmin } from '../../actors/directory/tenant.repository.ts';
import { NO_CONTENT, ok, pathId, route, type Route } from './route.ts';
import * as s from './schemas.ts';
import { SESSION_COOKIE } from './server.ts';

export type ApiContext = { readonly directory: Directory; readonly history: History; readonly secureCookies: boolean };

export function identityRoutes({ directory, secureCookies }: ApiContext): Route[] {
  const cookie = (token: string, maxAgeSeconds: number): string =>
    `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secureCookies ? '; Secure' : ''}`;

  return [
    route({
      method: 'get',
      path: '/api/v1/setup',
      tag: 'Setup',
      summary: 'Whether the first admin still has to be created',
      access: { kind: 'public' },
      query: z.strictObject({ tenant: s.tenantId.optional() }),
      response: s.setupStatus,
      handler: async ({ query }) => {
        const tenant = query.tenant ?? DEFAULT_TENANT_ID;
        return ok({ tenant, status: (await setupComplete(directory.ctx.em(), tenant)) ? ('complete' as const) : ('pending' as const) });
      },
    }),
    route({
      method: 'post',
      path: '/api/v1/setup',
      tag: 'Setup',
      summary: 'Create the first super admin with the one-time setup token',
      description: 'The token is printed once by the first start (or by `kefu setup-token`). It works once; afterwards this answers 401.',
      access: { kind: 'public' },
      limit: 'sign-in',
      body: s.setup,
      response: s.account,
      status: 201,
      handler: async ({ body, ip }) => ok(await createFirstAdmin(directory.ctx, { tenantId: body.tenant ?? DEFAULT_TENANT_ID, token: body.token, email: body.email, displayName: body.displayName, password: body.password, ip })),
    }),
    route({
      method: 'post',
      path: '/api/v1/session',
      tag: 'Session',
      summary: 'Sign in',
      description: 'Sets the HttpOnly `kefu_session` cookie and answers the CSRF token to send as `X-CSRF-Token` with every state-changing request. Five wrong passwords in a row lock the account (423) for 15 minutes, doubling with each further lock.',
      access: { kind: 'public' },
      limit: 'sign-in',
      body: s.login,
      response: s.signedIn,
      handler: async ({ body, ip, userAgent }) => {
        const result = await directory.authenticator.login({ tenantId: body.tenant ?? DEFAULT_TENANT_ID, email: body.email, password: body.password, ip, userAgent });
        const maxAge = Math.floor((result.expiresAt.getTime() - Date.now()) / 1000);
        return ok({ account: result.account, csrfToken: result.csrfToken, expiresAt: result.expiresAt.toISOString() }, { 'set-cookie': cookie(result.token, maxAge) });
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/session',
      tag: 'Session',
      summary: 'The signed-in account, its permissions and the CSRF token',
      access: { kind: 'session' },
      response: s.signedIn,
      handler: async ({ caller }) => ok({ account: await directory.authenticator.me(caller!), csrfToken: caller!.session!.csrfToken, expiresAt: caller!.session!.expiresAt.toISOString() }),
    }),
    route({
      method: 'delete',
      path: '/api/v1/session',
      tag: 'Session',
      summary: 'Sign out',
      access: { kind: 'session' },
      handler: async ({ caller }) => {
        await directory.authenticator.logout(caller!);
        return { body: undefined, headers: { 'set-cookie': cookie('', 0) } };
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/me',
      tag: 'Me',
      summary: 'One’s own account and effective permissions',
      access: { kind: 'signed-in' },
      response: s.me,
      handler: async ({ caller }) => ok(await directory.authenticator.me(caller!)),
    }),
    route({
      method: 'patch',
      path: '/api/v1/me',
      tag: 'Me',
      summary: 'Change one’s own profile: the display name colleagues and visitors see',
      access: { kind: 'session' },
      body: s.profilePatch,
      response: s.me,
      handler: async ({ caller, body }) => {
        await directory.authenticator.updateProfile(caller!, body);
        return ok(await directory.authenticator.me(caller!));
      },
    }),
    route({
      method: 'post',
      path: '/api/v1/me/password',
      tag: 'Me',
      summary: 'Change one’s own password (ends every other session)',
      access: { kind: 'session' },
      body: s.passwordChange,
      handler: async ({ caller, body }) => {
        await directory.authenticator.changePassword(caller!, body.currentPassword, body.newPassword);
        return NO_CONTENT;
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/me/sessions',
      tag: 'Me',
      summary: 'One’s own signed-in browsers',
      access: { kind: 'session' },
      response: z.array(s.session),
      handler: async ({ caller }) => ok(await directory.authenticator.sessions(caller!)),
    }),
    route({
      method: 'delete',
      path: '/api/v1/me/sessions/{id}',
      tag: 'Me',
      summary: 'End one of one’s own sessions',
      access: { kind: 'session' },
      handler: async ({ caller, params }) => {
        await directory.authenticator.endSession(caller!, pathId(params));
        return NO_CONTENT;
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/permissions',
      tag: 'Roles',
      summary: 'The permission catalogue',
      access: { kind: 'signed-in' },
      response: z.array(s.permissionEntry),
      handler: async () => ok(ALL_PERMISSIONS.map((name) => ({ name, description: PERMISSIONS[name] }))),
    }),
    route({
      method: 'get',
      path: '/api/v1/api-tokens',
      tag: 'API tokens',
      summary: 'API tokens (a super admin sees all of the tenant’s; others their own)',
      access: { kind: 'permission', permission: 'tokens.write' },
      response: z.array(s.apiToken),
      handler: async ({ caller }) => ok(await directory.tokens.list(caller!)),
    }),
    route({
      method: 'post',
      path: '/api/v1/api-tokens',
      tag: 'API tokens',
      summary: 'Make an API token acting for oneself with some of one’s permissions',
      access: { kind: 'permission', permission: 'tokens.write' },
      body: s.newApiToken,
      response: s.createdApiToken,
      status: 201,
      handler: async ({ caller, body }) => ok(await directory.tokens.create(caller!, { name: body.name, permissions: body.permissions, expiresAt: body.expiresAt ? new Date(body.expiresAt) : null })),
    }),
    route({
      method: 'delete',
      path: '/api/v1/api-tokens/{id}',
      tag: 'API tokens',
      summary: 'Revoke an API token',
      access: { kind: 'permission', permission: 'tokens.write' },
      handler: async ({ caller, params }) => {
        await directory.tokens.revoke(caller!, pathId(params));
        return NO_CONTENT;
      },
    }),
  ];
}
