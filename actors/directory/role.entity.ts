/** A role (角色): a named set of permissions (policies/permissions.ts) of one tenant. */
import { defineEntity, p } from '@mikro-orm/core';

export const Role = defineEntity({
  name: 'Role',
  tableName: 'kefu_role',
  uniques: [{ properties: ['tenantId', 'name'] }],
  properties: {
    id: p.string().length(32).primary(),
    tenantId: p.string().length(20),
    name: p.string().length(100),
    description: p.string().length(500),
    /** JSON array of permission names. */
    permissions: p.text(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
