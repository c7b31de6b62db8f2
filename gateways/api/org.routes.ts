/** Routes of the org tree: departments and skill groups with their settings, roles, accounts. */
import { z } from 'zod';
import type { DepartmentSettings } from '../../actors/directory/policies/org.ts';
import type { ApiContext } from './identity.routes.ts';
import { defined, NO_CONTENT, ok, pathId, route, type Route } from './route.ts';
import * as s from './schemas.ts';

export function orgRoutes({ directory }: ApiContext): Route[] {
  return [
    route({
      method: 'get',
      path: '/api/v1/departments',
      tag: 'Org tree',
      summary: 'The departments one may see (one’s own and below; all for a super admin), in tree order',
      access: { kind: 'permission', permission: 'departments.read' },
      response: z.array(s.department),
      handler: async ({ caller }) => ok(await directory.departments.list(caller!)),
    }),
    route({
      method: 'post',
      path: '/api/v1/departments',
      tag: 'Org tree',
      summary: 'Create a department or skill group below one in one’s subtree',
      access: { kind: 'permission', permission: 'departments.write' },
      body: s.newDepartment,
      response: s.department,
      status: 201,
      handler: async ({ caller, body }) =>
        ok(await directory.departments.create(caller!, { parentId: body.parentId, name: body.name, isSkillGroup: body.isSkillGroup, settings: defined(body.settings) as Partial<DepartmentSettings> })),
    }),
    route({
      method: 'get',
      path: '/api/v1/departments/{id}',
      tag: 'Org tree',
      summary: 'One department',
      access: { kind: 'permission', permission: 'departments.read' },
      response: s.department,
      handler: async ({ caller, params }) => ok(await directory.departments.get(caller!, pathId(params))),
    }),
    route({
      method: 'patch',
      path: '/api/v1/departments/{id}',
      tag: 'Org tree',
      summary: 'Rename, move, flag as skill group, or change its own settings',
      description: 'Renaming, moving and the skill-group flag need departments.write over a department strictly below one’s own; settings need settings.write. In `settings`, null removes the department’s own value so it inherits again.',
      access: { kind: 'permission', permission: 'departments.read' },
      body: s.departmentPatch,
      response: s.department,
      handler: async ({ caller, params, body }) => ok(await directory.departments.update(caller!, pathId(params), defined({ ...body, settings: body.settings ? defined(body.settings) : undefined }))),
    }),
    route({
      method: 'delete',
      path: '/api/v1/departments/{id}',
      tag: 'Org tree',
      summary: 'Delete an empty department (no sub-departments, accounts or channels)',
      access: { kind: 'permission', permission: 'departments.write' },
      handler: async ({ caller, params }) => {
        await directory.departments.delete(caller!, pathId(params));
        return NO_CONTENT;
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/departments/{id}/settings',
      tag: 'Org tree',
      summary: 'The settings in force at a department, each with the department it is inherited from',
      access: { kind: 'permission', permission: 'settings.read' },
      response: s.effectiveSettings,
      handler: async ({ caller, params }) => ok(await directory.departments.settings(caller!, pathId(params))),
    }),

    route({
      method: 'get',
      path: '/api/v1/roles',
      tag: 'Roles',
      summary: 'The tenant’s roles',
      access: { kind: 'permission', permission: 'roles.read' },
      response: z.array(s.role),
      handler: async ({ caller }) => ok(await directory.roles.list(caller!)),
    }),
    route({
      method: 'post',
      path: '/api/v1/roles',
      tag: 'Roles',
      summary: 'Create a role',
      access: { kind: 'super-admin' },
      body: s.newRole,
      response: s.role,
      status: 201,
      handler: async ({ caller, body }) => ok(await directory.roles.create(caller!, body)),
    }),
    route({
      method: 'get',
      path: '/api/v1/roles/{id}',
      tag: 'Roles',
      summary: 'One role',
      access: { kind: 'permission', permission: 'roles.read' },
      response: s.role,
      handler: async ({ caller, params }) => ok(await directory.roles.get(caller!, pathId(params))),
    }),
    route({
      method: 'patch',
      path: '/api/v1/roles/{id}',
      tag: 'Roles',
      summary: 'Rename a role or change its permissions (effective at once for its holders)',
      access: { kind: 'super-admin' },
      body: s.rolePatch,
      response: s.role,
      handler: async ({ caller, params, body }) => ok(await directory.roles.update(caller!, pathId(params), defined(body))),
    }),
    route({
      method: 'delete',
      path: '/api/v1/roles/{id}',
      tag: 'Roles',
      summary: 'Delete a role nobody holds',
      access: { kind: 'super-admin' },
      handler: async ({ caller, params }) => {
        await directory.roles.delete(caller!, pathId(params));
        return NO_CONTENT;
      },
    }),

    route({
      method: 'get',
      path: '/api/v1/colleagues',
      tag: 'Accounts',
      summary: 'The tenant’s active agents, skill groups and channels by name: whom a conversation can be transferred to, who wrote a message, where a visitor came from',
      description: 'Across the whole tenant (a transfer may go to any colleague), names and ids only; at most 2,000 of each, by name.',
      access: { kind: 'permission', permission: 'conversations.read' },
      response: s.colleagues,
      handler: async ({ caller }) => ok(await directory.colleagues(caller!)),
    }),
    route({
      method: 'get',
      path: '/api/v1/accounts',
      tag: 'Accounts',
      summary: 'Accounts of one’s subtree (or of one department in it)',
      access: { kind: 'permission', permission: 'accounts.read' },
      query: s.page.extend({ departmentId: s.id.optional(), q: z.string().max(100).optional().describe('start of the name or email') }),
      response: z.array(s.account),
      handler: async ({ caller, query }) => ok(await directory.accounts.list(caller!, defined(query))),
    }),
    route({
      method: 'post',
      path: '/api/v1/accounts',
      tag: 'Accounts',
      summary: 'Create an account in a department of one’s subtree, with roles whose permissions one holds',
      access: { kind: 'permission', permission: 'accounts.write' },
      body: s.newAccount,
      response: s.account,
      status: 201,
      handler: async ({ caller, body }) => ok(await directory.accounts.create(caller!, body)),
    }),
    route({
      method: 'get',
      path: '/api/v1/accounts/{id}',
      tag: 'Accounts',
      summary: 'One account',
      access: { kind: 'permission', permission: 'accounts.read' },
      response: s.account,
      handler: async ({ caller, params }) => ok(await directory.accounts.get(caller!, pathId(params))),
    }),
    route({
      method: 'patch',
      path: '/api/v1/accounts/{id}',
      tag: 'Accounts',
      summary: 'Edit, move, give roles, disable or enable an account (not one’s own)',
      description: 'A change of department, roles, super-admin flag, or disabling, ends all of the account’s sessions. Enabling also lifts a lock.',
      access: { kind: 'permission', permission: 'accounts.write' },
      body: s.accountPatch,
      response: s.account,
      handler: async ({ caller, params, body }) => ok(await directory.accounts.update(caller!, pathId(params), defined(body))),
    }),
    route({
      method: 'post',
      path: '/api/v1/accounts/{id}/password',
      tag: 'Accounts',
      summary: 'Set a new password for an account (ends its sessions)',
      access: { kind: 'permission', permission: 'accounts.write' },
      body: z.strictObject({ password: s.password }),
      handler: async ({ caller, params, body }) => {
        await directory.accounts.resetPassword(caller!, pathId(params), body.password);
        return NO_CONTENT;
      },
    }),
    route({
      method: 'delete',
      path: '/api/v1/accounts/{id}',
      tag: 'Accounts',
      summary: 'Delete an account (not one’s own), with its sessions and API tokens',
      access: { kind: 'permission', permission: 'accounts.write' },
      handler: async ({ caller, params }) => {
        await directory.accounts.delete(caller!, pathId(params));
        return NO_CONTENT;
      },
    }),
  ];
}
