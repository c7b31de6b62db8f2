/**
 * The visitor blacklist (黑名单): a blocked visitor's widget is refused at `hello` until the ban
 * expires or is lifted, and their open widgets are closed at once. A ban belongs to the skill group
 * the visitor's channel routes to, so `blacklist.*` over that department decides who may see, add
 * and lift it; the agent serving a conversation may also block its visitor from the desk.
 */
import type { EntityManager, InferEntity } from '@mikro-orm/core';
import { Channel } from './channel.entity.ts';
import { auditChange, authorize, notFound, type Caller, type DirectoryContext } from './context.ts';
import { findDepartment } from './department.repository.ts';
import { newId } from './ids.ts';
import { may, mayUse, visibleSubtree } from './policies/access.ts';
import { flushUnique } from './role.repository.ts';
import { VisitorBan } from './visitor-ban.entity.ts';
import { Visitor } from './visitor.entity.ts';

export type BanInput = { readonly visitorId: string; readonly reason: string; readonly expiresAt: Date | null };

export type VisitorBanView = { readonly id: string; readonly visitorId: string; readonly reason: string; readonly createdBy: string; readonly createdAt: string; readonly expiresAt: string | null };

const banView = (b: InferEntity<typeof VisitorBan>): VisitorBanView => ({
  id: b.id,
  visitorId: b.visitorId,
  reason: b.reason,
  createdBy: b.createdBy,
  createdAt: b.createdAt.toISOString(),
  expiresAt: b.expiresAt?.toISOString() ?? null,
});

/** Is the visitor blocked right now? (Asked by the visitor gateway at every `hello`.) */
export async function isBanned(em: EntityManager, tenantId: string, visitorId: string, now: Date): Promise<boolean> {
  const ban = await em.findOne(VisitorBan, { tenantId, visitorId });
  return ban !== null && (!ban.expiresAt || ban.expiresAt > now);
}

/**
 * A visitor, and where they sit in the org tree: the department of the skill group their channel
 * routes to (what decides who may block them or see their contact). '/' for an unknown visitor.
 */
export async function visitorPlace(em: EntityManager, tenantId: string, visitorId: string): Promise<{ visitor: InferEntity<typeof Visitor> | null; departmentPath: string }> {
  const visitor = await em.findOne(Visitor, { tenantId, id: visitorId });
  const channel = visitor ? await em.findOne(Channel, { tenantId, id: visitor.channelId }) : null;
  const group = channel ? await findDepartment(em, tenantId, channel.skillGroupId) : null;
  return { visitor, departmentPath: group?.path ?? '/' };
}

export class VisitorBanRepository {
  readonly #ctx: DirectoryContext;

  constructor(ctx: DirectoryContext) {
    this.#ctx = ctx;
  }

  /** The bans in force in the caller's subtree, newest first. */
  async list(caller: Caller): Promise<VisitorBanView[]> {
    await authorize(this.#ctx, caller, mayUse(caller.principal, 'blacklist.read'), { action: 'blacklist.list', type: 'visitor-ban', id: '' });
    const rows = await this.#ctx.em().find(
      VisitorBan,
      { tenantId: caller.principal.tenantId, departmentPath: { $like: `${visibleSubtree(caller.principal)}%` }, $or: [{ expiresAt: null }, { expiresAt: { $gt: this.#ctx.now() } }] },
      { orderBy: { createdAt: 'desc' } },
    );
    return rows.map(banView);
  }

  async create(caller: Caller, input: BanInput): Promise<VisitorBanView> {
    const em = this.#ctx.em();
    const { visitor, departmentPath } = await visitorPlace(em, caller.principal.tenantId, input.visitorId);
    await authorize(this.#ctx, caller, may(caller.principal, 'blacklist.write', visitor ? { tenantId: caller.principal.tenantId, departmentPath } : null), { action: 'visitor.ban', type: 'visitor', id: input.visitorId });
    return this.#ban(em, caller, input, departmentPath, {});
  }

  /**
   * The visitor of a conversation, blocked from the desk by the agent serving it (or a supervisor
   * intervening in it): the agent gateway has checked that the caller acts in the conversation,
   * which is the right to block its visitor — no `blacklist.write` is needed (lifting the ban is).
   */
  async blockFromConversation(caller: Caller, input: BanInput & { readonly conversationId: string }): Promise<VisitorBanView> {
    const em = this.#ctx.em();
    const { visitor, departmentPath } = await visitorPlace(em, caller.principal.tenantId, input.visitorId);
    if (!visitor) throw notFound('visitor');
    return this.#ban(em, caller, input, departmentPath, { conversationId: input.conversationId });
  }

  async #ban(em: EntityManager, caller: Caller, input: BanInput, departmentPath: string, details: Record<string, unknown>): Promise<VisitorBanView> {
    const tenantId = caller.principal.tenantId;
    const now = this.#ctx.now();
    // A lapsed ban of the same visitor is replaced by the new one.
    await em.nativeDelete(VisitorBan, { tenantId, visitorId: input.visitorId, expiresAt: { $lte: now } });
    const row = em.create(VisitorBan, { id: newId(), tenantId, visitorId: input.visitorId, departmentPath, reason: input.reason, createdBy: caller.principal.accountId, createdAt: now, expiresAt: input.expiresAt });
    auditChange(this.#ctx, em, caller, { action: 'visitor.ban', type: 'visitor', id: input.visitorId, departmentPath, details: { reason: input.reason, expiresAt: input.expiresAt?.toISOString() ?? null, ...details } });
    await flushUnique(em, 'visitorId', 'this visitor is already blocked');
    if (!input.expiresAt || input.expiresAt > now) this.#ctx.visitorBlocked(tenantId, input.visitorId);
    return banView(row);
  }

  async lift(caller: Caller, id: string): Promise<void> {
    const em = this.#ctx.em();
    const tenantId = caller.principal.tenantId;
    const ban = await em.findOne(VisitorBan, { tenantId, id });
    if (!ban) throw notFound('visitor-ban');
    await authorize(this.#ctx, caller, may(caller.principal, 'blacklist.write', { tenantId, departmentPath: ban.departmentPath }), { action: 'visitor.unban', type: 'visitor-ban', id });
    auditChange(this.#ctx, em, caller, { action: 'visitor.unban', type: 'visitor', id: ban.visitorId, departmentPath: ban.departmentPath });
    em.remove(ban);
    await em.flush();
  }
}
