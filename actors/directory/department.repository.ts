/**
 * The org tree (组织机构) as admins change it: departments and skill groups, their moves, and their
 * session settings (inherited down the tree). Every operation checks the caller's rights over the
 * departments involved first (policies/access.ts) and writes its audit entry in the same commit.
 */
import type { EntityManager, InferEntity } from '@mikro-orm/core';
import { DomainError } from '../kernel/domain-error.ts';
import { Account } from './account.entity.ts';
import { Channel } from './channel.entity.ts';
import { Contact } from './contact.entity.ts';
import { auditChange, authorize, invalid, notFound, type Caller, type DirectoryContext } from './context.ts';
import { Department } from './department.entity.ts';
import { newId } from './ids.ts';
import { Tenant } from './tenant.entity.ts';
import { may, mayChangeDepartment, mayUse, visibleSubtree, type Scope } from './policies/access.ts';
import { QuickReply } from './quick-reply.entity.ts';
import { effectiveSettings, MAX_DEPARTMENT_DEPTH, pathIds, pathOf, type DepartmentSettings } from './policies/org.ts';

export type DepartmentRow = InferEntity<typeof Department>;

export type DepartmentView = {
  readonly id: string;
  readonly parentId: string | null;
  readonly path: string;
  readonly name: string;
  readonly isSkillGroup: boolean;
  /** Only what this department sets itself; `GET …/settings` gives the inherited result. */
  readonly settings: Partial<DepartmentSettings>;
  readonly createdAt: string;
  readonly updatedAt: string;
};

export const departmentView = (d: DepartmentRow): DepartmentView => ({
  id: d.id,
  parentId: d.parentId || null,
  path: d.path,
  name: d.name,
  isSkillGroup: d.isSkillGroup,
  settings: JSON.parse(d.settings) as Partial<DepartmentSettings>,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});

/** Where a department sits, as access rules take it (null: no such department). */
export const departmentScope = (d: { readonly tenantId: string; readonly path: string } | null): Scope | null => (d ? { tenantId: d.tenantId, departmentPath: d.path } : null);

export async function findDepartment(em: EntityManager, tenantId: string, id: string): Promise<DepartmentRow | null> {
  return em.findOne(Department, { tenantId, id });
}

const depthOf = (path: string): number => pathIds(path).length;

export class DepartmentRepository {
  readonly #ctx: DirectoryContext;

  constructor(ctx: DirectoryContext) {
    this.#ctx = ctx;
  }

  /** The caller's department and everything below it (the whole tenant for a super admin), tree order. */
  async list(caller: Caller): Promise<DepartmentView[]> {
    await authorize(this.#ctx, caller, mayUse(caller.principal, 'departments.read'), { action: 'departments.list', type: 'department', id: '' });
    const rows = await this.#ctx.em().find(Department, { tenantId: caller.principal.tenantId, path: { $like: `${visibleSubtree(caller.principal)}%` } }, { orderBy: { path: 'asc' } });
    return rows.map(departmentView);
  }

  async get(caller: Caller, id: string): Promise<DepartmentView> {
    const d = await this.#load(caller, this.#ctx.em(), id, 'departments.read');
    return departmentView(d);
  }

  async create(caller: Caller, input: { parentId: string; name: string; isSkillGroup: boolean; settings: Partial<DepartmentSettings> }): Promise<DepartmentView> {
    const em = this.#ctx.em();
    const parent = await findDepartment(em, caller.principal.tenantId, input.parentId);
    const scope = departmentScope(parent);
    await authorize(this.#ctx, caller, may(caller.principal, 'departments.write', scope), {
      action: 'department.create',
      type: 'department',
      id: input.parentId,
    });
    if (Object.keys(input.settings).length) await authorize(this.#ctx, caller, may(caller.principal, 'settings.write', scope), { action: 'department.create', type: 'department', id: input.parentId });
    const id = newId();
    const path = pathOf(parent!, id);
    if (depthOf(path) > MAX_DEPARTMENT_DEPTH) throw invalid('parentId', `departments nest at most ${MAX_DEPARTMENT_DEPTH} deep`);
    const now = this.#ctx.now();
    const row = em.create(Department, {
      id,
      tenantId: caller.principal.tenantId,
      parentId: parent!.id,
      path,
      name: input.name,
      isSkillGroup: input.isSkillGroup,
      settings: JSON.stringify(input.settings),
      createdAt: now,
      updatedAt: now,
    });
    auditChange(this.#ctx, em, caller, { action: 'department.create', type: 'department', id, departmentPath: path, details: { name: input.name, parentId: parent!.id, isSkillGroup: input.isSkillGroup, settings: input.settings } });
    await em.flush();
    if (input.isSkillGroup) await this.#configureSkillGroups(caller.principal.tenantId, path);
    return departmentView(row);
  }

  /**
   * Renames, moves (with its whole subtree and the accounts in it), turns into or out of a skill
   * group, or replaces the settings it sets itself (null for a setting removes it: inherited again).
   */
  async update(
    caller: Caller,
    id: string,
    patch: { name?: string; parentId?: string; isSkillGroup?: boolean; settings?: Partial<Record<keyof DepartmentSettings, unknown>> },
  ): Promise<DepartmentView> {
    const em = this.#ctx.em();
    const d = await this.#load(caller, em, id, 'departments.read');
    const tenantId = caller.principal.tenantId;
    const target = { action: 'department.update', type: 'department', id };
    const structural = patch.name !== undefined || patch.parentId !== undefined || patch.isSkillGroup !== undefined;
    if (structural) await authorize(this.#ctx, caller, mayChangeDepartment(caller.principal, d.path, tenantId), target);
    if (patch.settings) await authorize(this.#ctx, caller, may(caller.principal, 'settings.write', { tenantId, departmentPath: d.path }), target);

    const before = departmentView(d);
    const wasSkillGroup = d.isSkillGroup;
    if (patch.name !== undefined) d.name = patch.name;
    if (patch.isSkillGroup !== undefined) d.isSkillGroup = patch.isSkillGroup;
    if (patch.settings) {
      const settings: Record<string, unknown> = JSON.parse(d.settings);
      for (const [k, v] of Object.entries(patch.settings)) {
        if (v === null) delete settings[k];
        else settings[k] = v;
      }
      d.settings = JSON.stringify(settings);
    }
    if (patch.parentId !== undefined && patch.parentId !== d.parentId) await this.#move(caller, em, d, patch.parentId);
    d.updatedAt = this.#ctx.now();
    auditChange(this.#ctx, em, caller, { action: 'department.update', type: 'department', id, departmentPath: d.path, details: { before: { name: before.name, parentId: before.parentId, isSkillGroup: before.isSkillGroup }, patch } });
    await em.flush();
    if (patch.parentId !== undefined) this.#ctx.changed(tenantId);
    // Settings are inherited: a change here (or a move under other ancestors) reaches every skill group below.
    if (patch.settings || patch.parentId !== undefined || (d.isSkillGroup && !wasSkillGroup)) await this.#configureSkillGroups(tenantId, d.path);
    return departmentView(d);
  }

  async #move(caller: Caller, em: EntityManager, d: DepartmentRow, parentId: string): Promise<void> {
    const tenantId = caller.principal.tenantId;
    const parent = await findDepartment(em, tenantId, parentId);
    await authorize(this.#ctx, caller, may(caller.principal, 'departments.write', departmentScope(parent)), {
      action: 'department.move',
      type: 'department',
      id: parentId,
    });
    if (parent!.path.startsWith(d.path)) throw invalid('parentId', 'a department cannot move below itself');
    const oldPath = d.path;
    const newPath = pathOf(parent!, d.id);
    const subtree = await em.find(Department, { tenantId, path: { $like: `${oldPath}%` } });
    const deepest = Math.max(...subtree.map((s) => depthOf(s.path)));
    if (deepest - depthOf(oldPath) + depthOf(newPath) > MAX_DEPARTMENT_DEPTH) throw invalid('parentId', `departments nest at most ${MAX_DEPARTMENT_DEPTH} deep`);
    for (const s of subtree) s.path = newPath + s.path.slice(oldPath.length);
    d.parentId = parent!.id;
    const accounts = await em.find(Account, { tenantId, departmentPath: { $like: `${oldPath}%` } });
    for (const a of accounts) a.departmentPath = newPath + a.departmentPath.slice(oldPath.length);
    const contacts = await em.find(Contact, { tenantId, departmentPath: { $like: `${oldPath}%` } });
    for (const c of contacts) c.departmentPath = newPath + c.departmentPath.slice(oldPath.length);
  }

  /** Deletes an empty department: no departments, accounts, channels or contacts may depend on it. */
  async delete(caller: Caller, id: string): Promise<void> {
    const em = this.#ctx.em();
    const d = await this.#load(caller, em, id, 'departments.read');
    const tenantId = caller.principal.tenantId;
    await authorize(this.#ctx, caller, mayChangeDepartment(caller.principal, d.path, tenantId), { action: 'department.delete', type: 'department', id });
    if (d.parentId === '') throw new DomainError('CONFLICT', 'the root department cannot be deleted');
    if ((await em.count(Department, { tenantId, parentId: id })) > 0) throw new DomainError('CONFLICT', 'the department has sub-departments; move or delete them first');
    if ((await em.count(Account, { tenantId, departmentId: id })) > 0) throw new DomainError('CONFLICT', 'the department has accounts; move them first');
    if ((await em.count(Channel, { tenantId, skillGroupId: id })) > 0) throw new DomainError('CONFLICT', 'channels route to this skill group; change them first');
    if ((await em.count(Contact, { tenantId, departmentPath: d.path })) > 0) throw new DomainError('CONFLICT', 'the department has contacts; move them first');
    // Its shared quick replies go with it (they are the department's own, like its settings).
    const replies = await em.find(QuickReply, { tenantId, ownerId: '', departmentId: id });
    auditChange(this.#ctx, em, caller, { action: 'department.delete', type: 'department', id, departmentPath: d.path, details: { name: d.name, quickReplies: replies.length } });
    em.remove(replies);
    em.remove(d);
    await em.flush();
    this.#ctx.changed(tenantId);
  }

  /** The settings in force at the department, and the department each one comes from (null: the default). */
  async settings(caller: Caller, id: string): Promise<ReturnType<typeof effectiveSettings>> {
    const d = await this.#load(caller, this.#ctx.em(), id, 'settings.read');
    return (await this.#settingsAt(caller.principal.tenantId, [d.path]))[0]!;
  }

  /**
   * Gives every skill group of every tenant its settings (at a gateway's start: queues exist, and
   * run with what the directory says, even after a restore or a lost message).
   */
  async syncAllSkillGroups(): Promise<void> {
    for (const t of await this.#ctx.em().find(Tenant, {}, { fields: ['id'] })) await this.#configureSkillGroups(t.id, '/');
  }

  /** Gives every skill group at or below `path` the settings now in force at it. */
  async #configureSkillGroups(tenantId: string, path: string): Promise<void> {
    const groups = await this.#ctx.em().find(Department, { tenantId, isSkillGroup: true, path: { $like: `${path}%` } });
    const settings = await this.#settingsAt(tenantId, groups.map((g) => g.path));
    for (const [i, g] of groups.entries()) await this.#ctx.skillGroupChanged(tenantId, g.id, settings[i]!.settings);
  }

  /** The settings in force at each of these paths (one query for all their ancestors). */
  async #settingsAt(tenantId: string, paths: readonly string[]): Promise<ReturnType<typeof effectiveSettings>[]> {
    const ids = [...new Set(paths.flatMap(pathIds))];
    const rows = ids.length ? await this.#ctx.em().find(Department, { tenantId, id: { $in: ids } }) : [];
    const own = new Map(rows.map((r) => [r.id, JSON.parse(r.settings) as Partial<DepartmentSettings>]));
    // Nearest first: the department itself, then its parent, up to the root.
    return paths.map((path) => effectiveSettings(pathIds(path).reverse().flatMap((id) => (own.has(id) ? [{ id, settings: own.get(id)! }] : []))));
  }

  /** Loads a department the caller may `permission` (NOT_FOUND otherwise: unknown and out-of-reach look alike). */
  async #load(caller: Caller, em: EntityManager, id: string, permission: 'departments.read' | 'settings.read'): Promise<DepartmentRow> {
    const d = await findDepartment(em, caller.principal.tenantId, id);
    if (!d) throw notFound('department');
    await authorize(this.#ctx, caller, may(caller.principal, permission, { tenantId: d.tenantId, departmentPath: d.path }), { action: permission, type: 'department', id });
    return d;
  }
}
