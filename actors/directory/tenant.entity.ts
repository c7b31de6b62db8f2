/**
 * A tenant (租户): one company on a Kefu installation. Every other row carries its `tenantId` and
 * no query ever crosses tenants. Embedded mode starts with the `default` tenant; cluster operators
 * add tenants with `kefu tenant create`.
 */
import { defineEntity, p } from '@mikro-orm/core';

export const Tenant = defineEntity({
  name: 'Tenant',
  tableName: 'kefu_tenant',
  properties: {
    /** Lowercase letters, digits and `-`, at most 20 (it is part of the tenant's setup-token step). */
    id: p.string().length(20).primary(),
    name: p.string().length(100),
    createdAt: p.datetime(),
  },
});
