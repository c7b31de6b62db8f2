/**
 * A signed-in browser (登录会话) of an account: the session cookie holds a random 256-bit token of
 * which only the SHA-256 is stored. `csrfToken` must accompany every state-changing request made
 * with the cookie. Sessions end at logout, on expiry, when the person ends them, and all at once
 * when the account's password, roles, department or status change.
 */
import { defineEntity, p } from '@mikro-orm/core';

export const LoginSession = defineEntity({
  name: 'LoginSession',
  tableName: 'kefu_login_session',
  properties: {
    tokenHash: p.string().length(64).primary(),
    /** What the account's own session list shows and ends sessions by (never the token). */
    id: p.string().length(32).unique(),
    tenantId: p.string().length(20),
    accountId: p.string().length(32).index(),
    csrfToken: p.string().length(64),
    createdAt: p.datetime(),
    lastSeenAt: p.datetime(),
    expiresAt: p.datetime(),
    ip: p.string().length(64),
    userAgent: p.string().length(300),
  },
});
