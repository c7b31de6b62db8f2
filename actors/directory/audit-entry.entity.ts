/**
 * One line of a tenant's audit log (审计日志): who did what to what, when, from where, and whether
 * it was allowed. Written for logins, permission denials and every change to accounts, roles,
 * departments, channels, settings and tokens, and for exports. Never holds a password or a token.
 */
import { defineEntity, p } from '@mikro-orm/core';

export const AuditEntry = defineEntity({
  name: 'AuditEntry',
  tableName: 'kefu_audit_entry',
  indexes: [{ properties: ['tenantId', 'at'] }, { properties: ['tenantId', 'departmentPath'] }],
  properties: {
    id: p.string().length(32).primary(),
    tenantId: p.string().length(20),
    at: p.datetime(),
    /** The account that acted (a failed login of an unknown email names the email in `details`). */
    /** '' for anonymous requests. (Not nullable: MikroORM's MariaDB comparator misreads the default of a nullable varchar and would
     * report a schema change forever — the same reason as ActorState.indexKey.) */
    actorId: p.string().length(32),
    actorName: p.string().length(100),
    /**
     * The department the entry belongs to (the target's, or the actor's for sign-ins): admins read
     * the entries of their own subtree; `/` entries (unknown emails) only super admins see.
     */
    departmentPath: p.string().length(700),
    /** `login`, `account.create`, `permission.denied`, … (audit.ts `AuditAction`). */
    action: p.string().length(64),
    outcome: p.string().length(16),
    targetType: p.string().length(32),
    targetId: p.string().length(64),
    ip: p.string().length(64),
    /** JSON: what changed (field names and new values; secrets are never written). */
    details: p.text(),
  },
});
