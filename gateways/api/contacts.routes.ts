/**
 * Routes of contacts (联系人) and of which visitor is whose. The desk's visitor pane reads and sets a
 * conversation's visitor's contact through `/api/v1/visitors/{id}/contact`.
 */
import { z } from 'zod';
import type { ApiContext } from './identity.routes.ts';
import { defined, NO_CONTENT, ok, pathId, route, type Route } from './route.ts';
import * as s from './schemas.ts';

const tag = 'Contacts';
/** Visitor ids are the widget's (base64url), not directory ids. */
const visitorId = (params: Readonly<Record<string, string>>): string => params.id ?? '';

export function contactRoutes({ directory }: ApiContext): Route[] {
  return [
    route({
      method: 'get',
      path: '/api/v1/contacts',
      tag,
      summary: 'Contacts of one’s subtree, most recently changed first, optionally matching some text',
      access: { kind: 'permission', permission: 'contacts.read' },
      query: s.contactQuery,
      response: z.array(s.contact),
      handler: async ({ caller, query }) => ok(await directory.contacts.list(caller!, defined(query))),
    }),
    route({
      method: 'post',
      path: '/api/v1/contacts',
      tag,
      summary: 'Create a contact (in one’s own department unless another of one’s subtree is named)',
      access: { kind: 'permission', permission: 'contacts.write' },
      body: s.newContact,
      response: s.contact,
      status: 201,
      handler: async ({ caller, body }) => ok(await directory.contacts.create(caller!, defined(body))),
    }),
    route({
      method: 'get',
      path: '/api/v1/contacts/{id}',
      tag,
      summary: 'One contact',
      access: { kind: 'permission', permission: 'contacts.read' },
      response: s.contact,
      handler: async ({ caller, params }) => ok(await directory.contacts.get(caller!, pathId(params))),
    }),
    route({
      method: 'patch',
      path: '/api/v1/contacts/{id}',
      tag,
      summary: 'Change a contact (its details, notes or department)',
      access: { kind: 'permission', permission: 'contacts.write' },
      body: s.contactPatch,
      response: s.contact,
      handler: async ({ caller, params, body }) => ok(await directory.contacts.update(caller!, pathId(params), defined(body))),
    }),
    route({
      method: 'delete',
      path: '/api/v1/contacts/{id}',
      tag,
      summary: 'Delete a contact (its visitors are unbound; audited)',
      access: { kind: 'permission', permission: 'contacts.write' },
      handler: async ({ caller, params }) => {
        await directory.contacts.delete(caller!, pathId(params));
        return NO_CONTENT;
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/visitors/{id}/contact',
      tag,
      summary: 'The contact a visitor is bound to (null: none one may see)',
      access: { kind: 'permission', permission: 'contacts.read' },
      response: s.contact.nullable(),
      handler: async ({ caller, params }) => ok(await directory.contacts.ofVisitor(caller!, visitorId(params))),
    }),
    route({
      method: 'put',
      path: '/api/v1/visitors/{id}/contact',
      tag,
      summary: 'Bind a visitor to a contact, or unbind them (null)',
      access: { kind: 'permission', permission: 'contacts.write' },
      body: s.visitorContact,
      response: s.contact.nullable(),
      handler: async ({ caller, params, body }) => ok(await directory.contacts.bind(caller!, visitorId(params), body.contactId)),
    }),
  ];
}
