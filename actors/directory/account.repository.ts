/**
 * Accounts (账号) as admins manage them. A department admin manages the accounts of their subtree,
 * may give them only roles whose permissions they hold themselves, and never touches a super
 * admin or their own account here (policies/access.ts). Any change to an account's password,
 * roles, department, super-admin flag or status ends all of its sessions.
 */
import type { EntityManager, InferEntity } from '@mikro-orm/core';
import { LoginSession } from './login-session.entity.ts';
import { ACCOUNT_SUBTREE_INDEX, Account } from './account.entity.ts';
import { ApiToken } from './api-token.entity.ts';
import { auditChange, authorize, invalid, notFound, type AgentProfile, type Caller, type DirectoryContext } from './context.ts';
import { Department } from './department.entity.ts';
import { departmentScope, findDepartment } from './department.repository.ts';
import { newId } from './ids.ts';
import { may, mayChangeAccount, mayGrant, mayUse, superAdminOnly, visibleSubtree } from './policies/access.ts';
import { passwordProblem } from './policies/login.ts';
import { QuickReply } from './quick-reply.entity.ts';
import { flushUnique, loadRoles, rolePermissions } from './role.repository.ts';

export type AccountRow = InferEntity<typeof Account>;

/** What the mobile column holds for an account without one (`:` never occurs in a mobile number). */
export const NO_MOBILE = 'none:';

export type AccountView = {
  readonly id: string;
  readonly email: string;
  readonly mobile: string | null;
  readonly displayName: string;
  readonly departmentId: string;
  readonly roleIds: readonly string[];
  readonly skillGroupIds: readonly string[];
  readonly isSuperAdmin: boolean;
  readonly isAgent: boolean;
  readonly maxConversations: number;
  readonly disabled: boolean;
  readonly lockedUntil: string | null;
  readonly lastLoginAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
};

export const accountView = (a: AccountRow): AccountView => ({
  id: a.id,
  email: a.email,
  mobile: a.mobile.startsWith(NO_MOBILE) ? null : a.mobile,
  displayName: a.displayName,
  departmentId: a.departmentId,
  roleIds: JSON.parse(a.roleIds) as string[],
  skillGroupIds: JSON.parse(a.skillGroupIds) as string[],
  isSuperAdmin: a.isSuperAdmin,
  isAgent: a.isAgent,
  maxConversations: a.maxConversations,
  disabled: a.disabled,
  lockedUntil: a.lockedUntil?.toISOString() ?? null,
  lastLoginAt: a.lastLoginAt?.toISOString() ?? null,
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
});

export type NewAccount = {
  readonly email: string;
  readonly mobile?: string | null;
  readonly displayName: string;
  readonly password: string;
  readonly departmentId: string;
  readonly roleIds: readonly string[];
  readonly skillGroupIds: readonly string[];
  readonly isSuperAdmin: boolean;
  readonly isAgent: boolean;
  readonly maxConversations: number;
};

export type AccountPatch = Partial<Omit<NewAccount, 'password'>> & { readonly disabled?: boolean };

/** Writes an account row (no rights checked: callers do that, or it is the first admin). */
export async function insertAccount(ctx: DirectoryContext, em: EntityManager, tenantId: string, departmentPath: string, input: NewAccount): Promise<AccountRow> {
  const email = input.email.toLowerCase();
  const problem = passwordProblem(input.password, { email, displayName: input.displayName });
  if (problem) throw invalid('password', problem);
  const now = ctx.now();
  const id = newId();
  return em.create(Account, {
    id,
    tenantId,
    departmentId: input.departmentId,
    departmentPath,
    email,
    mobile: input.mobile || `${NO_MOBILE}${id}`,
    displayName: input.displayName,
    passwordHash: await ctx.hasher.hash(input.password),
    isSuperAdmin: input.isSuperAdmin,
    isAgent: input.isAgent,
    maxConversations: input.maxConversations,
    roleIds: JSON.stringify([...new Set(input.roleIds)]),
    skillGroupIds: JSON.stringify([...new Set(input.skillGroupIds)]),
    disabled: false,
    failedLogins: 0,
    lockouts: 0,
    lockedUntil: null,
    lastLoginAt: null,
    createdAt: now,
    updatedAt: now,
  });
}

export const agentProfile = (a: AccountRow): AgentProfile => ({
  tenantId: a.tenantId,
  accountId: a.id,
  displayName: a.displayName,
  active: a.isAgent && !a.disabled,
  skillGroupIds: JSON.parse(a.skillGroupIds) as string[],
  maxConversations: a.maxConversations,
});

/** Ends every session of the account (all its signed-in browsers), except `keep` if given. */
export async function endSessions(em: EntityManager, accountId: string, keep?: string): Promise<void> {
  const where = keep ? { accountId, tokenHash: { $ne: keep } } : { accountId };
  await em.nativeDelete(LoginSession, where);
}

export class AccountRepository {
  readonly #ctx: DirectoryContext;

  constructor(ctx: DirectoryContext) {
    this.#ctx = ctx;
  }

  /**
   * Accounts of the caller's subtree (or of one department in it), in tree order (department path,
   * then id) — the order of the (tenant, department path) index, so a page costs the same however
   * large the subtree. `q` matches the start of the name or email. Keyset pages: pass the last
   * row's id as `after`.
   */
  async list(caller: Caller, query: { departmentId?: string; q?: string; after?: string; limit: number }): Promise<AccountView[]> {
    await authorize(this.#ctx, caller, mayUse(caller.principal, 'accounts.read'), { action: 'accounts.list', type: 'account', id: '' });
    const em = this.#ctx.em();
    const tenantId = caller.principal.tenantId;
    let prefix = visibleSubtree(caller.principal);
    if (query.departmentId !== undefined) {
      const d = await findDepartment(em, tenantId, query.departmentId);
      if (!d || !d.path.startsWith(prefix)) throw notFound('department');
      prefix = d.path;
    }
    const where: Record<string, unknown> = { tenantId, departmentPath: { $like: `${prefix}%` } };
    if (query.q) {
      // LIKE wildcards are dropped, not escaped: SQLite and MySQL disagree on the escape character.
      const q = query.q.replace(/[\\%_]/g, '');
      where.$or = [{ displayName: { $like: `${q}%` } }, { email: { $like: `${q.toLowerCase()}%` } }];
    }
    // MariaDB prefers scanning the whole tenant (ref on tenant_id) to the subtree's range once the
    // path condition is a range, reading every row before the page: the hint keeps it on the range
    // (bench:subtree). SQLite plans this right by itself.
    const order = { orderBy: { departmentPath: 'asc', id: 'asc' }, ...(this.#ctx.dialect === 'mysql' ? { indexHint: `force index(${ACCOUNT_SUBTREE_INDEX})` } : {}) } as const;
    if (!query.after) return (await em.find(Account, where, { ...order, limit: query.limit })).map(accountView);
    // The page after (last path, last id), as two plain index ranges rather than one OR the optimizer
    // may turn into a scan: the rest of the last row's department, then the departments after it.
    const last = await em.findOne(Account, { tenantId, id: query.after }, { fields: ['departmentPath'] });
    if (!last || !last.departmentPath.startsWith(prefix)) throw invalid('after', 'no such account in this list');
    const rows = await em.find(Account, { ...where, departmentPath: last.departmentPath, id: { $gt: query.after } }, { ...order, limit: query.limit });
    if (rows.length < query.limit) {
      rows.push(...(await em.find(Account, { ...where, departmentPath: { $like: `${prefix}%`, $gt: last.departmentPath } }, { ...order, limit: query.limit - rows.length })));
    }
    return rows.map(accountView);
  }

  async get(caller: Caller, id: string): Promise<AccountView> {
    const a = await this.#ctx.em().findOne(Account, { tenantId: caller.principal.tenantId, id });
    if (!a) throw notFound('account');
    await authorize(this.#ctx, caller, may(caller.principal, 'accounts.read', a), { action: 'accounts.read', type: 'account', id });
    return accountView(a);
  }

  async create(caller: Caller, input: NewAccount): Promise<AccountView> {
    const em = this.#ctx.em();
    const tenantId = caller.principal.tenantId;
    const target = { action: 'account.create', type: 'account', id: '' };
    const d = await findDepartment(em, tenantId, input.departmentId);
    await authorize(this.#ctx, caller, may(caller.principal, 'accounts.write', departmentScope(d)), target);
    if (input.isSuperAdmin) await authorize(this.#ctx, caller, superAdminOnly(caller.principal), target);
    const roles = await loadRoles(em, tenantId, input.roleIds);
    await authorize(this.#ctx, caller, mayGrant(caller.principal, roles.flatMap(rolePermissions)), target);
    await this.#checkSkillGroups(caller, em, input.skillGroupIds, target);
    const row = await insertAccount(this.#ctx, em, tenantId, d!.path, input);
    const { password: _password, ...details } = input;
    auditChange(this.#ctx, em, caller, { action: 'account.create', type: 'account', id: row.id, departmentPath: row.departmentPath, details });
    await flushUnique(em, 'email', 'an account with this email or mobile exists');
    if (row.isAgent) await this.#ctx.agentChanged(agentProfile(row));
    return accountView(row);
  }

  async update(caller: Caller, id: string, patch: AccountPatch): Promise<AccountView> {
    const em = this.#ctx.em();
    const tenantId = caller.principal.tenantId;
    const a = await this.#loadForChange(caller, em, id, 'account.update');
    const target = { action: 'account.update', type: 'account', id };
    let departmentPath = a.departmentPath;
    if (patch.departmentId !== undefined && patch.departmentId !== a.departmentId) {
      const d = await findDepartment(em, tenantId, patch.departmentId);
      await authorize(this.#ctx, caller, may(caller.principal, 'accounts.write', departmentScope(d)), target);
      departmentPath = d!.path;
    }
    if (patch.isSuperAdmin !== undefined && patch.isSuperAdmin !== a.isSuperAdmin) await authorize(this.#ctx, caller, superAdminOnly(caller.principal), target);
    if (patch.roleIds !== undefined) {
      const roles = await loadRoles(em, tenantId, patch.roleIds);
      await authorize(this.#ctx, caller, mayGrant(caller.principal, roles.flatMap(rolePermissions)), target);
    }
    if (patch.skillGroupIds !== undefined) await this.#checkSkillGroups(caller, em, patch.skillGroupIds, target);
    const before = accountView(a);
    const wasAgent = a.isAgent && !a.disabled;
    const rightsChange =
      (patch.departmentId !== undefined && patch.departmentId !== a.departmentId) ||
      (patch.roleIds !== undefined && JSON.stringify([...new Set(patch.roleIds)]) !== a.roleIds) ||
      (patch.isSuperAdmin !== undefined && patch.isSuperAdmin !== a.isSuperAdmin) ||
      (patch.disabled === true && !a.disabled);
    if (patch.email !== undefined) a.email = patch.email.toLowerCase();
    if (patch.mobile !== undefined) a.mobile = patch.mobile || `${NO_MOBILE}${a.id}`;
    if (patch.displayName !== undefined) a.displayName = patch.displayName;
    if (patch.departmentId !== undefined) {
      a.departmentId = patch.departmentId;
      a.departmentPath = departmentPath;
    }
    if (patch.roleIds !== undefined) a.roleIds = JSON.stringify([...new Set(patch.roleIds)]);
    if (patch.skillGroupIds !== undefined) a.skillGroupIds = JSON.stringify([...new Set(patch.skillGroupIds)]);
    if (patch.isSuperAdmin !== undefined) a.isSuperAdmin = patch.isSuperAdmin;
    if (patch.isAgent !== undefined) a.isAgent = patch.isAgent;
    if (patch.maxConversations !== undefined) a.maxConversations = patch.maxConversations;
    if (patch.disabled !== undefined) {
      a.disabled = patch.disabled;
      // Re-enabling also lifts a lock: the admin vouches for the person.
      if (!patch.disabled) Object.assign(a, { failedLogins: 0, lockouts: 0, lockedUntil: null });
    }
    a.updatedAt = this.#ctx.now();
    auditChange(this.#ctx, em, caller, {
      action: 'account.update',
      type: 'account',
      id,
      departmentPath: a.departmentPath,
      details: { before: { departmentId: before.departmentId, roleIds: before.roleIds, isSuperAdmin: before.isSuperAdmin, disabled: before.disabled }, patch },
    });
    await flushUnique(em, 'email', 'an account with this email or mobile exists');
    if (rightsChange) {
      await endSessions(em, id);
      this.#ctx.changed(tenantId);
    }
    if (wasAgent || (a.isAgent && !a.disabled)) await this.#ctx.agentChanged(agentProfile(a));
    return accountView(a);
  }

  /** Sets a new password chosen by an admin (the person should change it at their next sign-in). */
  async resetPassword(caller: Caller, id: string, password: string): Promise<void> {
    const em = this.#ctx.em();
    const a = await this.#loadForChange(caller, em, id, 'account.password-reset');
    const problem = passwordProblem(password, a);
    if (problem) throw invalid('password', problem);
    a.passwordHash = await this.#ctx.hasher.hash(password);
    Object.assign(a, { failedLogins: 0, lockouts: 0, lockedUntil: null, updatedAt: this.#ctx.now() });
    auditChange(this.#ctx, em, caller, { action: 'account.password-reset', type: 'account', id, departmentPath: a.departmentPath });
    await em.flush();
    await endSessions(em, id);
    this.#ctx.changed(caller.principal.tenantId);
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const em = this.#ctx.em();
    const a = await this.#loadForChange(caller, em, id, 'account.delete');
    auditChange(this.#ctx, em, caller, { action: 'account.delete', type: 'account', id, departmentPath: a.departmentPath, details: { email: a.email, displayName: a.displayName } });
    em.remove(a);
    await em.flush();
    await endSessions(em, id);
    await em.nativeDelete(ApiToken, { accountId: id });
    await em.nativeDelete(QuickReply, { tenantId: caller.principal.tenantId, ownerId: id });
    this.#ctx.changed(caller.principal.tenantId);
    if (a.isAgent) await this.#ctx.agentChanged({ ...agentProfile(a), active: false });
  }

  /** Skill groups given to an agent must be skill groups the caller manages accounts in. */
  async #checkSkillGroups(caller: Caller, em: EntityManager, ids: readonly string[], target: { action: string; type: string; id: string }): Promise<void> {
    const tenantId = caller.principal.tenantId;
    const groups = ids.length ? await em.find(Department, { tenantId, id: { $in: [...ids] } }) : [];
    for (const id of ids) {
      const g = groups.find((d) => d.id === id);
      await authorize(this.#ctx, caller, may(caller.principal, 'accounts.write', departmentScope(g ?? null)), { ...target, type: 'department', id });
      if (!g!.isSkillGroup) throw invalid('skillGroupIds', `${id} is a department, not a skill group`);
    }
  }

  async #loadForChange(caller: Caller, em: EntityManager, id: string, action: string): Promise<AccountRow> {
    const a = await em.findOne(Account, { tenantId: caller.principal.tenantId, id });
    if (!a) throw notFound('account');
    await authorize(this.#ctx, caller, mayChangeAccount(caller.principal, { accountId: a.id, superAdmin: a.isSuperAdmin, tenantId: a.tenantId, departmentPath: a.departmentPath }), { action, type: 'account', id });
    return a;
  }
}
