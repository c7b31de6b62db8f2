/**
 * An API token for an integration: `Authorization: Bearer kefu_…`. It acts for the account that
 * made it, with the permissions it was given that its maker still holds (policies/access.ts).
 * Only the SHA-256 of the token is stored; the token is shown once, when it is made.
 */
import { defineEntity, p } from '@mikro-orm/core';

export const ApiToken = defineEntity({
  name: 'ApiToken',
  tableName: 'kefu_api_token',
  properties: {
    id: p.string().length(32).primary(),
    tenantId: p.string().length(20).index(),
    tokenHash: p.string().length(64).unique(),
    accountId: p.string().length(32),
    name: p.string().length(100),
    /** JSON array of permission names. */
    permissions: p.text(),
    createdAt: p.datetime(),
    expiresAt: p.datetime().nullable(),
    lastUsedAt: p.datetime().nullable(),
  },
});
