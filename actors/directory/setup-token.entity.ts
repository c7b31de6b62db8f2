/**
 * The one-time token that lets the first super admin be created (there is no default password).
 * One row per tenant's first-admin step; only the token's SHA-256 is stored.
 */
import { defineEntity, p } from '@mikro-orm/core';

export const SetupToken = defineEntity({
  name: 'SetupToken',
  tableName: 'kefu_setup_token',
  properties: {
    /** The step this token unlocks: `first-admin` (the default tenant) or `first-admin:<tenant id>`. */
    step: p.string().length(32).primary(),
    tokenHash: p.string().length(64),
    issuedAt: p.datetime(),
    expiresAt: p.datetime(),
    issuedByNode: p.string().length(128),
    /** Set when the token was redeemed; the step is then complete and no token is issued again. */
    redeemedAt: p.datetime().nullable(),
  },
});
