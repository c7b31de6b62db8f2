/**
 * Quick replies (快捷回复), personal and shared. An agent uses their own and those shared by their
 * department or any department above it (a reply shared at the root reaches everyone), so a
 * department moved elsewhere in the tree takes up the replies of its new ancestors. Personal
 * replies are their owner's alone: anyone else's id answers NOT_FOUND. Shared ones are managed with
 * `quickReplies.write` over their department, and those changes are audited.
 */
import type { EntityManager, InferEntity } from '@mikro-orm/core';
import { DomainError } from '../kernel/domain-error.ts';
import { auditChange, authorize, notFound, type Caller, type DirectoryContext } from './context.ts';
import { Department } from './department.entity.ts';
import { departmentScope, findDepartment } from './department.repository.ts';
import { newId } from './ids.ts';
import { may, mayUse, visibleSubtree } from './policies/access.ts';
import { pathIds } from './policies/org.ts';
import { QuickReply } from './quick-reply.entity.ts';
import { flushUnique } from './role.repository.ts';

/** How many personal replies one account keeps, and shared ones one department has. */
export const PERSONAL_QUICK_REPLIES = 200;
export const SHARED_QUICK_REPLIES = 500;

export type QuickReplyView = {
  readonly id: string;
  readonly shortcut: string;
  readonly content: string;
  /** The department sharing it; null for one's own. */
  readonly departmentId: string | null;
  readonly departmentName: string | null;
  readonly updatedAt: string;
};

export type QuickReplyInput = { readonly shortcut: string; readonly content: string };

type Row = InferEntity<typeof QuickReply>;

/** What follows the `/`: trimmed and lowercased, so `/Refund` and `/refund` are one shortcut on every database. */
export const normalShortcut = (shortcut: string): string => shortcut.trim().toLowerCase();

const byShortcut = { orderBy: { shortcut: 'asc', id: 'asc' } } as const;

export class QuickReplyRepository {
  readonly #ctx: DirectoryContext;

  constructor(ctx: DirectoryContext) {
    this.#ctx = ctx;
  }

  /** The replies the caller can insert: their own, then those shared down to their department, each list by shortcut. */
  async usable(caller: Caller): Promise<QuickReplyView[]> {
    await authorize(this.#ctx, caller, mayUse(caller.principal, 'conversations.reply'), { action: 'quick-replies.read', type: 'quick-reply', id: '' });
    const em = this.#ctx.em();
    const { tenantId, accountId, departmentPath } = caller.principal;
    const above = pathIds(departmentPath);
    const [own, shared] = await Promise.all([
      em.find(QuickReply, { tenantId, ownerId: accountId }, byShortcut),
      em.find(QuickReply, { tenantId, ownerId: '', departmentId: { $in: above } }, byShortcut),
    ]);
    return [...own.map((r) => view(r, null)), ...(await this.#withDepartments(em, tenantId, shared))];
  }

  async createPersonal(caller: Caller, input: QuickReplyInput): Promise<QuickReplyView> {
    await authorize(this.#ctx, caller, mayUse(caller.principal, 'conversations.reply'), { action: 'quick-reply.create', type: 'quick-reply', id: '' });
    const em = this.#ctx.em();
    const { tenantId, accountId } = caller.principal;
    if ((await em.count(QuickReply, { tenantId, ownerId: accountId })) >= PERSONAL_QUICK_REPLIES) throw full(`you keep at most ${PERSONAL_QUICK_REPLIES} quick replies`);
    const row = this.#create(em, { tenantId, ownerId: accountId, departmentId: '', updatedBy: accountId }, input);
    await flushUnique(em, 'shortcut', 'you already have a reply with this shortcut');
    return view(row, null);
  }

  async updatePersonal(caller: Caller, id: string, patch: Partial<QuickReplyInput>): Promise<QuickReplyView> {
    const em = this.#ctx.em();
    const row = await this.#own(caller, em, id);
    this.#patch(row, caller, patch);
    await flushUnique(em, 'shortcut', 'you already have a reply with this shortcut');
    return view(row, null);
  }

  async deletePersonal(caller: Caller, id: string): Promise<void> {
    const em = this.#ctx.em();
    em.remove(await this.#own(caller, em, id));
    await em.flush();
  }

  /** The shared replies of the departments in the caller's subtree (what they manage), by shortcut. */
  async shared(caller: Caller): Promise<QuickReplyView[]> {
    await authorize(this.#ctx, caller, mayUse(caller.principal, 'quickReplies.write'), { action: 'quick-replies.list', type: 'quick-reply', id: '' });
    const em = this.#ctx.em();
    const tenantId = caller.principal.tenantId;
    const departments = await em.find(Department, { tenantId, path: { $like: `${visibleSubtree(caller.principal)}%` } }, { fields: ['id', 'name'] });
    const rows = await em.find(QuickReply, { tenantId, ownerId: '', departmentId: { $in: departments.map((d) => d.id) } }, byShortcut);
    const names = new Map(departments.map((d) => [d.id, d.name]));
    return rows.map((r) => view(r, names.get(r.departmentId) ?? null));
  }

  async createShared(caller: Caller, input: QuickReplyInput & { readonly departmentId: string }): Promise<QuickReplyView> {
    const em = this.#ctx.em();
    const tenantId = caller.principal.tenantId;
    const department = await findDepartment(em, tenantId, input.departmentId);
    await authorize(this.#ctx, caller, may(caller.principal, 'quickReplies.write', departmentScope(department)), { action: 'quick-reply.create', type: 'department', id: input.departmentId });
    if ((await em.count(QuickReply, { tenantId, ownerId: '', departmentId: department!.id })) >= SHARED_QUICK_REPLIES) throw full(`a department shares at most ${SHARED_QUICK_REPLIES} quick replies`);
    const row = this.#create(em, { tenantId, ownerId: '', departmentId: department!.id, updatedBy: caller.principal.accountId }, input);
    auditChange(this.#ctx, em, caller, { action: 'quick-reply.create', type: 'quick-reply', id: row.id, departmentPath: department!.path, details: { shortcut: row.shortcut } });
    await flushUnique(em, 'shortcut', 'this department already shares a reply with this shortcut');
    return view(row, department!.name);
  }

  async updateShared(caller: Caller, id: string, patch: Partial<QuickReplyInput>): Promise<QuickReplyView> {
    const em = this.#ctx.em();
    const { row, department } = await this.#shared(caller, em, id, 'quick-reply.update');
    const before = row.shortcut;
    this.#patch(row, caller, patch);
    auditChange(this.#ctx, em, caller, { action: 'quick-reply.update', type: 'quick-reply', id, departmentPath: department.path, details: { shortcut: row.shortcut, ...(before !== row.shortcut ? { was: before } : {}) } });
    await flushUnique(em, 'shortcut', 'this department already shares a reply with this shortcut');
    return view(row, department.name);
  }

  async deleteShared(caller: Caller, id: string): Promise<void> {
    const em = this.#ctx.em();
    const { row, department } = await this.#shared(caller, em, id, 'quick-reply.delete');
    auditChange(this.#ctx, em, caller, { action: 'quick-reply.delete', type: 'quick-reply', id, departmentPath: department.path, details: { shortcut: row.shortcut } });
    em.remove(row);
    await em.flush();
  }

  #create(em: EntityManager, owner: Pick<Row, 'tenantId' | 'ownerId' | 'departmentId' | 'updatedBy'>, input: QuickReplyInput): Row {
    const now = this.#ctx.now();
    return em.create(QuickReply, { id: newId(), ...owner, shortcut: normalShortcut(input.shortcut), content: input.content, createdAt: now, updatedAt: now });
  }

  #patch(row: Row, caller: Caller, patch: Partial<QuickReplyInput>): void {
    if (patch.shortcut !== undefined) row.shortcut = normalShortcut(patch.shortcut);
    if (patch.content !== undefined) row.content = patch.content;
    row.updatedBy = caller.principal.accountId;
    row.updatedAt = this.#ctx.now();
  }

  /** One of the caller's own replies (anyone else's is NOT_FOUND, like an unknown id). */
  async #own(caller: Caller, em: EntityManager, id: string): Promise<Row> {
    await authorize(this.#ctx, caller, mayUse(caller.principal, 'conversations.reply'), { action: 'quick-reply.change', type: 'quick-reply', id });
    const row = await em.findOne(QuickReply, { tenantId: caller.principal.tenantId, ownerId: caller.principal.accountId, id });
    if (!row) throw notFound('quick reply');
    return row;
  }

  /** A shared reply the caller manages, with its department. */
  async #shared(caller: Caller, em: EntityManager, id: string, action: string): Promise<{ row: Row; department: InferEntity<typeof Department> }> {
    const tenantId = caller.principal.tenantId;
    const row = await em.findOne(QuickReply, { tenantId, ownerId: '', id });
    const department = row ? await findDepartment(em, tenantId, row.departmentId) : null;
    await authorize(this.#ctx, caller, may(caller.principal, 'quickReplies.write', departmentScope(department)), { action, type: 'quick-reply', id });
    return { row: row!, department: department! };
  }

  async #withDepartments(em: EntityManager, tenantId: string, rows: readonly Row[]): Promise<QuickReplyView[]> {
    const ids = [...new Set(rows.map((r) => r.departmentId))];
    const departments = ids.length ? await em.find(Department, { tenantId, id: { $in: ids } }, { fields: ['id', 'name'] }) : [];
    const names = new Map(departments.map((d) => [d.id, d.name]));
    return rows.map((r) => view(r, names.get(r.departmentId) ?? null));
  }
}

const view = (r: Row, departmentName: string | null): QuickReplyView => ({
  id: r.id,
  shortcut: r.shortcut,
  content: r.content,
  departmentId: r.departmentId || null,
  departmentName: r.departmentId ? departmentName : null,
  updatedAt: r.updatedAt.toISOString(),
});

const full = (message: string): DomainError => new DomainError('CONFLICT', message);
