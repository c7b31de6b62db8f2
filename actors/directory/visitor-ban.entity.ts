/** A blocked visitor (黑名单) of a tenant, until `expiresAt` (null: until unblocked). */
import { defineEntity, p } from '@mikro-orm/core';

export const VisitorBan = defineEntity({
  name: 'VisitorBan',
  tableName: 'kefu_visitor_ban',
  uniques: [{ properties: ['tenantId', 'visitorId'] }],
  properties: {
    id: p.string().length(32).primary(),
    tenantId: p.string().length(20),
    visitorId: p.string().length(32),
    /** The path of the skill group the visitor's channel routes to: who may see and lift the ban. */
    departmentPath: p.string().length(700),
    reason: p.string().length(500),
    createdBy: p.string().length(32),
    createdAt: p.datetime(),
    expiresAt: p.datetime().nullable(),
  },
});
