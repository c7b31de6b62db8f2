/**
 * A visitor of a channel, and the tokens that let a browser act as them. A token is issued on the
 * first `hello` (random, 192 bits), kept by the widget, and stored only as its SHA-256; it expires
 * after a period without use. Identified visitors (the site's user id, proven by the channel's HMAC)
 * are one visitor per user id across devices; anonymous ones are one per token.
 */
import { defineEntity, p } from '@mikro-orm/core';

export const Visitor = defineEntity({
  name: 'Visitor',
  tableName: 'kefu_visitor',
  uniques: [{ properties: ['channelId', 'identityKey'] }],
  properties: {
    id: p.string().length(32).primary(),
    tenantId: p.string().length(64).index(),
    channelId: p.string().length(32),
    /** `user:<site user id>` for identified visitors, `anon:<visitor id>` otherwise: one visitor per user. */
    identityKey: p.string().length(191),
    displayName: p.string().length(100),
    email: p.string().length(200),
    /** The conversation this visitor is in or was last in; '' before the first. */
    conversationId: p.string().length(64),
    createdAt: p.datetime(),
    lastSeenAt: p.datetime(),
  },
});

export const VisitorToken = defineEntity({
  name: 'VisitorToken',
  tableName: 'kefu_visitor_token',
  properties: {
    /** SHA-256 (hex) of the token; the token itself is never stored. */
    tokenHash: p.string().length(64).primary(),
    visitorId: p.string().length(32).index(),
    expiresAt: p.datetime(),
  },
});
