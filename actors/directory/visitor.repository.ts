/**
 * Who a visitor connection is: the `hello` of the visitor protocol turned into a visitor and a
 * token. Rules (docs/protocol/visitor.md, "Identity"):
 * - no token: a new anonymous visitor, or — with a valid identity — the visitor of that site user;
 * - a token: the same visitor again, if the token is known, unexpired and of this channel; with a
 *   valid identity of another user, that user's visitor (someone else signed in on this browser);
 * - an identity's HMAC is checked in constant time; a channel in enforce mode refuses anonymous
 *   visitors;
 * - a blocked visitor (the blacklist, visitor-ban.repository.ts) is refused until the ban ends.
 * Every accepted hello extends its token's life (sliding expiry) or issues a new token.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { ChannelConfig } from './channel.repository.ts';
import { secretHash } from './ids.ts';
import { isBanned } from './visitor-ban.repository.ts';
import { Visitor, VisitorToken } from './visitor.entity.ts';

export const VISITOR_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export type VisitorIdentity = { readonly userId: string; readonly hash: string; readonly name?: string; readonly email?: string };

export type KnownVisitor = {
  readonly visitorId: string;
  readonly tenantId: string;
  readonly channelId: string;
  readonly identified: boolean;
  readonly displayName: string | null;
  /** The conversation the visitor is in or was last in. */
  readonly conversationId: string | null;
};

export type HelloResult =
  | { readonly ok: true; readonly visitor: KnownVisitor; readonly token: string }
  | { readonly ok: false; readonly reason: 'IDENTITY_INVALID' | 'IDENTITY_REQUIRED' | 'TOKEN_INVALID' | 'VISITOR_BLOCKED' };

const newVisitorId = (): string => randomBytes(12).toString('base64url');
/** 192 random bits, URL-safe: what the widget stores. */
const newToken = (): string => randomBytes(24).toString('base64url');

/** The hash a site's server sends for its signed-in user: hex HMAC-SHA256 of the user id with the channel secret. */
export const identityHash = (secret: string, userId: string): string => createHmac('sha256', secret).update(userId, 'utf8').digest('hex');

function identityValid(channel: ChannelConfig, identity: VisitorIdentity): boolean {
  const expected = Buffer.from(identityHash(channel.identitySecret, identity.userId), 'hex');
  const given = Buffer.from(identity.hash, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const toKnown = (row: { id: string; tenantId: string; channelId: string; identityKey: string; displayName: string; conversationId: string }): KnownVisitor => ({
  visitorId: row.id,
  tenantId: row.tenantId,
  channelId: row.channelId,
  identified: row.identityKey.startsWith('user:'),
  displayName: row.displayName || null,
  conversationId: row.conversationId || null,
});

export class VisitorDirectory {
  readonly #em: EntityManager;

  constructor(em: EntityManager) {
    this.#em = em;
  }

  async hello(channel: ChannelConfig, input: { token?: string; identity?: VisitorIdentity }, now: Date): Promise<HelloResult> {
    if (input.identity && !identityValid(channel, input.identity)) return { ok: false, reason: 'IDENTITY_INVALID' };
    if (!input.identity && channel.identityEnforced) return { ok: false, reason: 'IDENTITY_REQUIRED' };
    const em = this.#em.fork();

    let fromToken: InstanceType<typeof Visitor.class> | null = null;
    if (input.token) {
      const row = await em.findOne(VisitorToken, { tokenHash: secretHash(input.token) });
      fromToken = row && row.expiresAt > now ? await em.findOne(Visitor, { id: row.visitorId, channelId: channel.id }) : null;
      if (!fromToken) return { ok: false, reason: 'TOKEN_INVALID' };
    }
    const identityKey = input.identity ? `user:${input.identity.userId}` : null;
    let visitor = fromToken && (identityKey === null || fromToken.identityKey === identityKey) ? fromToken : null;
    if (!visitor && identityKey) visitor = await em.findOne(Visitor, { channelId: channel.id, identityKey });
    if (!visitor) visitor = await this.#create(em, channel, identityKey, input.identity, now);
    else if (await isBanned(em, visitor.tenantId, visitor.id, now)) return { ok: false, reason: 'VISITOR_BLOCKED' };
    else {
      visitor.lastSeenAt = now;
      if (input.identity?.name) visitor.displayName = input.identity.name.slice(0, 100);
      if (input.identity?.email) visitor.email = input.identity.email.slice(0, 200);
    }

    // The presented token lives on (sliding expiry) when it is this visitor's; otherwise a new one.
    const token = input.token && visitor === fromToken ? input.token : newToken();
    await em.upsert(VisitorToken, { tokenHash: secretHash(token), visitorId: visitor.id, expiresAt: new Date(now.getTime() + VISITOR_TOKEN_TTL_MS) });
    await em.flush();
    return { ok: true, visitor: toKnown(visitor), token };
  }

  /** The visitor a token belongs to, if it is valid for this channel (known, unexpired, not blocked); extends nothing. */
  async byToken(channel: ChannelConfig, token: string, now: Date): Promise<KnownVisitor | null> {
    const em = this.#em.fork();
    const row = await em.findOne(VisitorToken, { tokenHash: secretHash(token) });
    if (!row || row.expiresAt <= now) return null;
    const visitor = await em.findOne(Visitor, { id: row.visitorId, channelId: channel.id });
    if (!visitor || (await isBanned(em, visitor.tenantId, visitor.id, now))) return null;
    return toKnown(visitor);
  }

  async #create(em: EntityManager, channel: ChannelConfig, identityKey: string | null, identity: VisitorIdentity | undefined, now: Date) {
    const id = newVisitorId();
    const values = {
      id,
      tenantId: channel.tenantId,
      channelId: channel.id,
      identityKey: identityKey ?? `anon:${id}`,
      displayName: identity?.name?.slice(0, 100) ?? '',
      email: identity?.email?.slice(0, 200) ?? '',
      conversationId: '',
      createdAt: now,
      lastSeenAt: now,
    };
    try {
      await em.fork().insert(Visitor, values);
    } catch (error) {
      // Two tabs of a new signed-in user said hello at once: the other one created the visitor.
      if (!(error instanceof UniqueConstraintViolationException) || !identityKey) throw error;
    }
    return em.findOneOrFail(Visitor, { channelId: channel.id, identityKey: values.identityKey });
  }

  /** Records the visitor's current conversation (a new tab or device continues it). */
  async setConversation(visitorId: string, conversationId: string): Promise<void> {
    await this.#em.fork().nativeUpdate(Visitor, { id: visitorId }, { conversationId });
  }

  /** The visitor's current conversation, as stored (another tab may have started one). */
  async conversationOf(visitorId: string): Promise<string | null> {
    const row = await this.#em.fork().findOne(Visitor, { id: visitorId }, { fields: ['conversationId'] });
    return row?.conversationId || null;
  }
}
