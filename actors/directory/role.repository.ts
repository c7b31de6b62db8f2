/**
 * Roles (角色): named permission sets of a tenant. Anyone with `roles.read` sees them all (they are
 * not tied to a department); only a signed-in super admin creates, edits or deletes one. Editing a
 * role's permissions takes effect at once for everyone holding it (cached principals are dropped).
 */
import type { EntityManager, InferEntity } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { DomainError } from '../kernel/domain-error.ts';
import { Account } from './account.entity.ts';
import { auditChange, authorize, notFound, type Caller, type DirectoryContext } from './context.ts';
import { newId } from './ids.ts';
import { mayUse, superAdminOnly } from './policies/access.ts';
import { isPermission, type Permission } from './policies/permissions.ts';
import { Role } from './role.entity.ts';

export type RoleView = {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly permissions: readonly Permission[];
  readonly createdAt: string;
  readonly updatedAt: string;
};

type RoleRow = InferEntity<typeof Role>;

export const rolePermissions = (r: RoleRow): Permission[] => (JSON.parse(r.permissions) as string[]).filter(isPermission);

const roleView = (r: RoleRow): RoleView => ({
  id: r.id,
  name: r.name,
  description: r.description,
  permissions: rolePermissions(r),
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/** The roles with these ids in the tenant; INVALID naming the first unknown one. */
export async function loadRoles(em: EntityManager, tenantId: string, ids: readonly string[]): Promise<RoleRow[]> {
  const rows = ids.length ? await em.find(Role, { tenantId, id: { $in: [...ids] } }) : [];
  const unknown = ids.find((id) => !rows.some((r) => r.id === id));
  if (unknown !== undefined) throw new DomainError('INVALID', `roleIds: no role ${unknown}`, { fields: { roleIds: `no role ${unknown}` } });
  return rows;
}

export class RoleRepository {
  readonly #ctx: DirectoryContext;

  constructor(ctx: DirectoryContext) {
    this.#ctx = ctx;
  }

  async list(caller: Caller): Promise<RoleView[]> {
    await authorize(this.#ctx, caller, mayUse(caller.principal, 'roles.read'), { action: 'roles.list', type: 'role', id: '' });
    const rows = await this.#ctx.em().find(Role, { tenantId: caller.principal.tenantId }, { orderBy: { name: 'asc' } });
    return rows.map(roleView);
  }

  async get(caller: Caller, id: string): Promise<RoleView> {
    await authorize(this.#ctx, caller, mayUse(caller.principal, 'roles.read'), { action: 'roles.read', type: 'role', id });
    const r = await this.#ctx.em().findOne(Role, { tenantId: caller.principal.tenantId, id });
    if (!r) throw notFound('role');
    return roleView(r);
  }

  async create(caller: Caller, input: { name: string; description: string; permissions: readonly Permission[] }): Promise<RoleView> {
    await authorize(this.#ctx, caller, superAdminOnly(caller.principal), { action: 'role.create', type: 'role', id: '' });
    const em = this.#ctx.em();
    const now = this.#ctx.now();
    const id = newId();
    const row = em.create(Role, {
      id,
      tenantId: caller.principal.tenantId,
      name: input.name,
      description: input.description,
      permissions: JSON.stringify([...new Set(input.permissions)]),
      createdAt: now,
      updatedAt: now,
    });
    auditChange(this.#ctx, em, caller, { action: 'role.create', type: 'role', id, departmentPath: '/', details: input });
    await flushUnique(em, 'name', 'a role with this name exists');
    return roleView(row);
  }

  async update(caller: Caller, id: string, patch: { name?: string; description?: string; permissions?: readonly Permission[] }): Promise<RoleView> {
    await authorize(this.#ctx, caller, superAdminOnly(caller.principal), { action: 'role.update', type: 'role', id });
    const em = this.#ctx.em();
    const r = await em.findOne(Role, { tenantId: caller.principal.tenantId, id });
    if (!r) throw notFound('role');
    const before = roleView(r);
    if (patch.name !== undefined) r.name = patch.name;
    if (patch.description !== undefined) r.description = patch.description;
    if (patch.permissions !== undefined) r.permissions = JSON.stringify([...new Set(patch.permissions)]);
    r.updatedAt = this.#ctx.now();
    auditChange(this.#ctx, em, caller, { action: 'role.update', type: 'role', id, departmentPath: '/', details: { before: { name: before.name, permissions: before.permissions }, patch } });
    await flushUnique(em, 'name', 'a role with this name exists');
    this.#ctx.changed(caller.principal.tenantId);
    return roleView(r);
  }

  /** Deletes a role nobody holds (CONFLICT otherwise, naming how many accounts do). */
  async delete(caller: Caller, id: string): Promise<void> {
    await authorize(this.#ctx, caller, superAdminOnly(caller.principal), { action: 'role.delete', type: 'role', id });
    const em = this.#ctx.em();
    const tenantId = caller.principal.tenantId;
    const r = await em.findOne(Role, { tenantId, id });
    if (!r) throw notFound('role');
    // roleIds is a JSON array of 16-hex ids: the quoted id cannot match inside another one.
    const holders = await em.count(Account, { tenantId, roleIds: { $like: `%"${id}"%` } });
    if (holders > 0) throw new DomainError('CONFLICT', `${holders} account(s) hold this role; take it from them first`, { accounts: holders });
    auditChange(this.#ctx, em, caller, { action: 'role.delete', type: 'role', id, departmentPath: '/', details: { name: r.name } });
    em.remove(r);
    await em.flush();
  }
}

/** Flushes, turning a unique-key clash into CONFLICT on `field`. */
export async function flushUnique(em: EntityManager, field: string, message: string): Promise<void> {
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw new DomainError('CONFLICT', message, { fields: { [field]: message } });
    throw error;
  }
}
