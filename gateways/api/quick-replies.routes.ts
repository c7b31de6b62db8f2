/**
 * Routes of quick replies (快捷回复): one's own under /me (any agent), and those departments share
 * (managed with `quickReplies.write`). The desk reads `GET /api/v1/me/quick-replies`: one's own and
 * every shared one that reaches one's department.
 */
import { z } from 'zod';
import type { ApiContext } from './identity.routes.ts';
import { defined, NO_CONTENT, ok, pathId, route, type Route } from './route.ts';
import * as s from './schemas.ts';

const tag = 'Quick replies';

export function quickReplyRoutes({ directory }: ApiContext): Route[] {
  return [
    route({
      method: 'get',
      path: '/api/v1/me/quick-replies',
      tag,
      summary: 'The quick replies one can insert: one’s own, then those shared down to one’s department',
      access: { kind: 'permission', permission: 'conversations.reply' },
      response: z.array(s.quickReply),
      handler: async ({ caller }) => ok(await directory.quickReplies.usable(caller!)),
    }),
    route({
      method: 'post',
      path: '/api/v1/me/quick-replies',
      tag,
      summary: 'Add a quick reply of one’s own',
      access: { kind: 'permission', permission: 'conversations.reply' },
      body: s.newQuickReply,
      response: s.quickReply,
      status: 201,
      handler: async ({ caller, body }) => ok(await directory.quickReplies.createPersonal(caller!, body)),
    }),
    route({
      method: 'patch',
      path: '/api/v1/me/quick-replies/{id}',
      tag,
      summary: 'Change a quick reply of one’s own',
      access: { kind: 'permission', permission: 'conversations.reply' },
      body: s.quickReplyPatch,
      response: s.quickReply,
      handler: async ({ caller, params, body }) => ok(await directory.quickReplies.updatePersonal(caller!, pathId(params), defined(body))),
    }),
    route({
      method: 'delete',
      path: '/api/v1/me/quick-replies/{id}',
      tag,
      summary: 'Delete a quick reply of one’s own',
      access: { kind: 'permission', permission: 'conversations.reply' },
      handler: async ({ caller, params }) => {
        await directory.quickReplies.deletePersonal(caller!, pathId(params));
        return NO_CONTENT;
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/quick-replies',
      tag,
      summary: 'The quick replies shared by the departments of one’s subtree',
      access: { kind: 'permission', permission: 'quickReplies.write' },
      response: z.array(s.quickReply),
      handler: async ({ caller }) => ok(await directory.quickReplies.shared(caller!)),
    }),
    route({
      method: 'post',
      path: '/api/v1/quick-replies',
      tag,
      summary: 'Share a quick reply with a department of one’s subtree (and every department below it)',
      access: { kind: 'permission', permission: 'quickReplies.write' },
      body: s.newSharedQuickReply,
      response: s.quickReply,
      status: 201,
      handler: async ({ caller, body }) => ok(await directory.quickReplies.createShared(caller!, body)),
    }),
    route({
      method: 'patch',
      path: '/api/v1/quick-replies/{id}',
      tag,
      summary: 'Change a shared quick reply',
      access: { kind: 'permission', permission: 'quickReplies.write' },
      body: s.quickReplyPatch,
      response: s.quickReply,
      handler: async ({ caller, params, body }) => ok(await directory.quickReplies.updateShared(caller!, pathId(params), defined(body))),
    }),
    route({
      method: 'delete',
      path: '/api/v1/quick-replies/{id}',
      tag,
      summary: 'Delete a shared quick reply',
      access: { kind: 'permission', permission: 'quickReplies.write' },
      handler: async ({ caller, params }) => {
        await directory.quickReplies.deleteShared(caller!, pathId(params));
        return NO_CONTENT;
      },
    }),
  ];
}
