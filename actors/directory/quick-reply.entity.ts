/**
 * A quick reply (快捷回复): text an agent inserts into the composer by typing `/` and its shortcut.
 * Personal ones belong to one account (`ownerId`); shared ones to a department (`departmentId`),
 * and every agent of that department and below may use them. Exactly one of the two is set; the
 * other is '' (not null, so the unique key holds for both kinds).
 */
import { defineEntity, p } from '@mikro-orm/core';

export const QuickReply = defineEntity({
  name: 'QuickReply',
  tableName: 'kefu_quick_reply',
  uniques: [{ properties: ['tenantId', 'ownerId', 'departmentId', 'shortcut'] }],
  indexes: [{ properties: ['tenantId', 'departmentId'] }],
  properties: {
    id: p.string().length(32).primary(),
    tenantId: p.string().length(20),
    ownerId: p.string().length(32),
    departmentId: p.string().length(32),
    /** Lowercase, no spaces (what follows the `/`). */
    shortcut: p.string().length(32),
    content: p.text(),
    updatedBy: p.string().length(32),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
