/** Routes of channels, the visitor blacklist and the audit log. */
import { z } from 'zod';
import type { ApiContext } from './identity.routes.ts';
import { defined, NO_CONTENT, ok, pathId, route, type Route } from './route.ts';
import * as s from './schemas.ts';

const auditFilter = (q: { action?: string | undefined; actorId?: string | undefined; from?: string | undefined; to?: string | undefined }) => ({
  ...(q.action ? { action: q.action } : {}),
  ...(q.actorId ? { actorId: q.actorId } : {}),
  ...(q.from ? { from: new Date(q.from) } : {}),
  ...(q.to ? { to: new Date(q.to) } : {}),
});

export function adminRoutes({ directory }: ApiContext): Route[] {
  return [
    route({
      method: 'get',
      path: '/api/v1/channels',
      tag: 'Channels',
      summary: 'Web chat channels routed to skill groups in one’s subtree',
      access: { kind: 'permission', permission: 'channels.read' },
      response: z.array(s.channel),
      handler: async ({ caller }) => ok(await directory.channels.list(caller!)),
    }),
    route({
      method: 'post',
      path: '/api/v1/channels',
      tag: 'Channels',
      summary: 'Create a web chat channel for a skill group of one’s subtree',
      access: { kind: 'permission', permission: 'channels.write' },
      body: s.newChannel,
      response: s.channel,
      status: 201,
      handler: async ({ caller, body }) => ok(await directory.channels.create(caller!, defined(body))),
    }),
    route({
      method: 'get',
      path: '/api/v1/channels/{id}',
      tag: 'Channels',
      summary: 'One channel',
      access: { kind: 'permission', permission: 'channels.read' },
      response: s.channel,
      handler: async ({ caller, params }) => ok(await directory.channels.get(caller!, pathId(params))),
    }),
    route({
      method: 'patch',
      path: '/api/v1/channels/{id}',
      tag: 'Channels',
      summary: 'Change a channel (gateways see it within 10 s)',
      access: { kind: 'permission', permission: 'channels.write' },
      body: s.channelPatch,
      response: s.channel,
      handler: async ({ caller, params, body }) => ok(await directory.channels.update(caller!, pathId(params), defined(body))),
    }),
    route({
      method: 'post',
      path: '/api/v1/channels/{id}/identity-secret',
      tag: 'Channels',
      summary: 'Replace the identity-verification secret',
      access: { kind: 'permission', permission: 'channels.write' },
      response: s.channel,
      handler: async ({ caller, params }) => ok(await directory.channels.rotateSecret(caller!, pathId(params))),
    }),
    route({
      method: 'delete',
      path: '/api/v1/channels/{id}',
      tag: 'Channels',
      summary: 'Delete a channel',
      access: { kind: 'permission', permission: 'channels.write' },
      handler: async ({ caller, params }) => {
        await directory.channels.delete(caller!, pathId(params));
        return NO_CONTENT;
      },
    }),

    route({
      method: 'get',
      path: '/api/v1/blacklist',
      tag: 'Blacklist',
      summary: 'Visitors blocked now, in one’s subtree',
      access: { kind: 'permission', permission: 'blacklist.read' },
      response: z.array(s.ban),
      handler: async ({ caller }) => ok(await directory.bans.list(caller!)),
    }),
    route({
      method: 'post',
      path: '/api/v1/blacklist',
      tag: 'Blacklist',
      summary: 'Block a visitor, until a time or until unblocked',
      access: { kind: 'permission', permission: 'blacklist.write' },
      body: s.newBan,
      response: s.ban,
      status: 201,
      handler: async ({ caller, body }) => ok(await directory.bans.create(caller!, { visitorId: body.visitorId, reason: body.reason, expiresAt: body.expiresAt ? new Date(body.expiresAt) : null })),
    }),
    route({
      method: 'delete',
      path: '/api/v1/blacklist/{id}',
      tag: 'Blacklist',
      summary: 'Unblock a visitor',
      access: { kind: 'permission', permission: 'blacklist.write' },
      handler: async ({ caller, params }) => {
        await directory.bans.lift(caller!, pathId(params));
        return NO_CONTENT;
      },
    }),

    route({
      method: 'get',
      path: '/api/v1/audit',
      tag: 'Audit log',
      summary: 'Audit entries of one’s subtree, newest first',
      access: { kind: 'permission', permission: 'audit.read' },
      query: s.auditQuery,
      response: z.array(s.auditEntry),
      handler: async ({ caller, query }) => {
        const [at, id] = query.before?.split(',') ?? [];
        return ok(await directory.auditLog(caller!, { ...auditFilter(query), limit: query.limit, ...(at && id ? { before: { at: new Date(at), id } } : {}) }));
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/audit/export',
      tag: 'Audit log',
      summary: 'The audit entries as CSV (at most 10,000; the export is itself audited)',
      access: { kind: 'permission', permission: 'audit.export' },
      query: s.auditQuery.omit({ before: true, limit: true }),
      response: z.string(),
      csv: true,
      handler: async ({ caller, query }) => ok(await directory.exportAuditLog(caller!, auditFilter(query))),
    }),
  ];
}
