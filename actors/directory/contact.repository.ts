/**
 * Contacts (联系人) and which visitors are theirs. A contact belongs to a department — by default
 * the one of whoever creates it — and `contacts.read` / `contacts.write` over that department decide
 * who sees and changes it (the cskefu rule: one's department and below). Binding a visitor to a
 * contact needs `contacts.write` over both: the visitor's place (their channel's skill group) and
 * the contact's department. Deleting a contact is audited and unbinds its visitors.
 */
import type { EntityManager, InferEntity } from '@mikro-orm/core';
import { auditChange, authorize, type Caller, type DirectoryContext } from './context.ts';
import { CONTACT_SUBTREE_INDEX, Contact, ContactVisitor } from './contact.entity.ts';
import { departmentScope, findDepartment } from './department.repository.ts';
import { newId } from './ids.ts';
import { may, mayUse, visibleSubtree } from './policies/access.ts';
import { pathIds } from './policies/org.ts';
import { visitorPlace } from './visitor-ban.repository.ts';

export type ContactFields = { readonly name: string; readonly email: string; readonly phone: string; readonly company: string; readonly notes: string };

export type ContactView = ContactFields & {
  readonly id: string;
  /** The owning department. */
  readonly departmentId: string;
  /** How many visitors (browsers, devices, channels) are bound to it. */
  readonly visitors: number;
  readonly createdAt: string;
  readonly updatedAt: string;
};

type Row = InferEntity<typeof Contact>;

/** LIKE wildcards are dropped, not escaped: SQLite and MySQL disagree on the escape character. */
const likeable = (q: string): string => q.replace(/[\\%_]/g, '');

export class ContactRepository {
  readonly #ctx: DirectoryContext;

  constructor(ctx: DirectoryContext) {
    this.#ctx = ctx;
  }

  /** Contacts of the caller's subtree whose name, email, phone or company contains `q`, most recently changed first. */
  async list(caller: Caller, query: { q?: string; limit: number }): Promise<ContactView[]> {
    await authorize(this.#ctx, caller, mayUse(caller.principal, 'contacts.read'), { action: 'contacts.list', type: 'contact', id: '' });
    const em = this.#ctx.em();
    const where: Record<string, unknown> = { tenantId: caller.principal.tenantId, departmentPath: { $like: `${visibleSubtree(caller.principal)}%` } };
    const q = likeable(query.q?.trim() ?? '');
    if (q) where.$or = ['name', 'email', 'phone', 'company'].map((field) => ({ [field]: { $like: `%${q}%` } }));
    const hint = this.#ctx.dialect === 'mysql' ? { indexHint: `force index(${CONTACT_SUBTREE_INDEX})` } : {};
    const rows = await em.find(Contact, where, { orderBy: { updatedAt: 'desc', id: 'desc' }, limit: query.limit, ...hint });
    return this.#views(em, rows);
  }

  async get(caller: Caller, id: string): Promise<ContactView> {
    const em = this.#ctx.em();
    const row = await this.#load(caller, em, id, 'contacts.read');
    return (await this.#views(em, [row]))[0]!;
  }

  /** A new contact of `departmentId` (default: the caller's own department). */
  async create(caller: Caller, input: ContactFields & { readonly departmentId?: string }): Promise<ContactView> {
    const em = this.#ctx.em();
    const departmentPath = await this.#departmentPath(caller, em, input.departmentId, 'contact.create');
    const now = this.#ctx.now();
    const row = em.create(Contact, { id: newId(), tenantId: caller.principal.tenantId, departmentPath, ...fieldsOf(input), createdBy: caller.principal.accountId, createdAt: now, updatedBy: caller.principal.accountId, updatedAt: now });
    await em.flush();
    return viewOf(row, 0);
  }

  async update(caller: Caller, id: string, patch: Partial<ContactFields> & { readonly departmentId?: string }): Promise<ContactView> {
    const em = this.#ctx.em();
    const row = await this.#load(caller, em, id, 'contacts.write');
    if (patch.departmentId !== undefined) row.departmentPath = await this.#departmentPath(caller, em, patch.departmentId, 'contact.move');
    Object.assign(row, fieldsOf({ ...row, ...patch }));
    row.updatedBy = caller.principal.accountId;
    row.updatedAt = this.#ctx.now();
    await em.flush();
    return (await this.#views(em, [row]))[0]!;
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const em = this.#ctx.em();
    const row = await this.#load(caller, em, id, 'contacts.write');
    auditChange(this.#ctx, em, caller, { action: 'contact.delete', type: 'contact', id, departmentPath: row.departmentPath, details: { name: row.name } });
    em.remove(row);
    em.remove(await em.find(ContactVisitor, { tenantId: row.tenantId, contactId: id }));
    await em.flush();
  }

  /** The contact a visitor is bound to, as far as the caller may see it (null: none, or one out of reach). */
  async ofVisitor(caller: Caller, visitorId: string): Promise<ContactView | null> {
    const em = this.#ctx.em();
    await this.#visitorInReach(caller, em, visitorId, 'contacts.read');
    const binding = await em.findOne(ContactVisitor, { tenantId: caller.principal.tenantId, visitorId });
    const row = binding ? await em.findOne(Contact, { tenantId: caller.principal.tenantId, id: binding.contactId }) : null;
    if (!row || !may(caller.principal, 'contacts.read', row).allowed) return null;
    return (await this.#views(em, [row]))[0]!;
  }

  /** Binds the visitor to the contact (null: unbinds), replacing a binding the caller may change. */
  async bind(caller: Caller, visitorId: string, contactId: string | null): Promise<ContactView | null> {
    const em = this.#ctx.em();
    const tenantId = caller.principal.tenantId;
    await this.#visitorInReach(caller, em, visitorId, 'contacts.write');
    const contact = contactId === null ? null : await this.#load(caller, em, contactId, 'contacts.write');
    const current = await em.findOne(ContactVisitor, { tenantId, visitorId });
    if (current) {
      const was = await em.findOne(Contact, { tenantId, id: current.contactId });
      if (was) await authorize(this.#ctx, caller, may(caller.principal, 'contacts.write', was), { action: 'contact.unbind', type: 'contact', id: was.id });
      em.remove(current);
      // The old binding goes before the new one is written (one visitor, one row).
      await em.flush();
    }
    if (contact) em.create(ContactVisitor, { visitorId, tenantId, contactId: contact.id, boundBy: caller.principal.accountId, boundAt: this.#ctx.now() });
    await em.flush();
    return contact ? (await this.#views(em, [contact]))[0]! : null;
  }

  async #load(caller: Caller, em: EntityManager, id: string, permission: 'contacts.read' | 'contacts.write'): Promise<Row> {
    const row = await em.findOne(Contact, { tenantId: caller.principal.tenantId, id });
    await authorize(this.#ctx, caller, may(caller.principal, permission, row), { action: permission, type: 'contact', id });
    return row!;
  }

  async #visitorInReach(caller: Caller, em: EntityManager, visitorId: string, permission: 'contacts.read' | 'contacts.write'): Promise<void> {
    const tenantId = caller.principal.tenantId;
    const { visitor, departmentPath } = await visitorPlace(em, tenantId, visitorId);
    await authorize(this.#ctx, caller, may(caller.principal, permission, visitor ? { tenantId, departmentPath } : null), { action: permission, type: 'visitor', id: visitorId });
  }

  async #departmentPath(caller: Caller, em: EntityManager, departmentId: string | undefined, action: string): Promise<string> {
    const tenantId = caller.principal.tenantId;
    if (departmentId === undefined) {
      await authorize(this.#ctx, caller, may(caller.principal, 'contacts.write', { tenantId, departmentPath: caller.principal.departmentPath }), { action, type: 'contact', id: '' });
      return caller.principal.departmentPath;
    }
    const d = await findDepartment(em, tenantId, departmentId);
    await authorize(this.#ctx, caller, may(caller.principal, 'contacts.write', departmentScope(d)), { action, type: 'department', id: departmentId });
    return d!.path;
  }

  async #views(em: EntityManager, rows: readonly Row[]): Promise<ContactView[]> {
    if (rows.length === 0) return [];
    const bindings = await em.find(ContactVisitor, { tenantId: rows[0]!.tenantId, contactId: { $in: rows.map((r) => r.id) } }, { fields: ['contactId'] });
    const counts = new Map<string, number>();
    for (const b of bindings) counts.set(b.contactId, (counts.get(b.contactId) ?? 0) + 1);
    return rows.map((r) => viewOf(r, counts.get(r.id) ?? 0));
  }
}

const fieldsOf = (f: ContactFields): ContactFields => ({ name: f.name, email: f.email, phone: f.phone, company: f.company, notes: f.notes });

const viewOf = (r: Row, visitors: number): ContactView => ({
  id: r.id,
  ...fieldsOf(r),
  departmentId: pathIds(r.departmentPath).at(-1) ?? '',
  visitors,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});
