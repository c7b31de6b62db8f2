/**
 * An account (账号): a person who signs in to the workstation or the admin console. It belongs to
 * exactly one department (its `departmentPath` is copied from it, so subtree lists are one range
 * scan) and holds roles; an agent account (`isAgent`) also takes conversations, up to
 * `maxConversations` at once. Email and mobile are unique per tenant. The password is kept only as
 * a scrypt hash (passwords.ts).
 */
import { defineEntity, p } from '@mikro-orm/core';

/** The index subtree lists read (named, so queries can insist on it: see account.repository.ts). */
export const ACCOUNT_SUBTREE_INDEX = 'kefu_account_tenant_id_department_path_index';

export const Account = defineEntity({
  name: 'Account',
  tableName: 'kefu_account',
  uniques: [{ properties: ['tenantId', 'email'] }, { properties: ['tenantId', 'mobile'] }],
  indexes: [{ name: ACCOUNT_SUBTREE_INDEX, properties: ['tenantId', 'departmentPath'] }],
  properties: {
    id: p.string().length(32).primary(),
    tenantId: p.string().length(20),
    departmentId: p.string().length(32),
    departmentPath: p.string().length(700),
    /** Lowercased. */
    email: p.string().length(200),
    /**
     * The mobile number, or `none:<account id>` for none (account.repository.ts `NO_MOBILE`), so the
     * unique index holds for the accounts without one, as it would with NULLs. (Not nullable: MikroORM's MariaDB comparator misreads the default of a nullable varchar and would
     * report a schema change forever — the same reason as ActorState.indexKey.)
     */
    mobile: p.string().length(32),
    displayName: p.string().length(100),
    passwordHash: p.string().length(255),
    isSuperAdmin: p.boolean(),
    isAgent: p.boolean(),
    maxConversations: p.integer(),
    /** JSON array of role ids. */
    roleIds: p.text(),
    /** JSON array of the skill groups an agent account serves (its department need not be one of them). */
    skillGroupIds: p.text(),
    disabled: p.boolean(),
    /** Login abuse bookkeeping (policies/login.ts). */
    failedLogins: p.integer(),
    lockouts: p.integer(),
    lockedUntil: p.datetime().nullable(),
    lastLoginAt: p.datetime().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
