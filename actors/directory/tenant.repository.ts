/**
 * Tenants and their first admin. A tenant is born with its root department (named after it) and
 * the built-in roles; the default tenant also gets the `default` skill group that the default
 * channel routes to, so a fresh embedded installation can chat at once. The first super admin is
 * created only with the tenant's one-time setup token (setup.ts) — there is no default password.
 */
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { DomainError } from '../kernel/domain-error.ts';
import { accountView, insertAccount, type AccountView } from './account.repository.ts';
import { audit } from './audit.repository.ts';
import { DEFAULT_SKILL_GROUP_ID, DEFAULT_TENANT_ID } from './channel.repository.ts';
import { invalid, type DirectoryContext } from './context.ts';
import { Department } from './department.entity.ts';
import { newId } from './ids.ts';
import { pathOf } from './policies/org.ts';
import { BUILT_IN_ROLES } from './policies/permissions.ts';
import { Role } from './role.entity.ts';
import { redeemSetupToken } from './setup.ts';
import { Tenant } from './tenant.entity.ts';

export const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?$/;

/** Creates the tenant with its root department and built-in roles, unless it exists. Returns its root department id. */
export async function ensureTenant(em: EntityManager, input: { id: string; name: string }, now: Date): Promise<string> {
  if (!TENANT_ID_PATTERN.test(input.id)) throw invalid('tenant', 'lowercase letters, digits and -, at most 20');
  try {
    return await em.fork().transactional((tx) => createTenantRows(tx, input, now));
  } catch (error) {
    // Cluster nodes starting together: another one created it first.
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    return createTenantRows(em.fork(), input, now);
  }
}

async function createTenantRows(em: EntityManager, input: { id: string; name: string }, now: Date): Promise<string> {
  const existing = await em.findOne(Department, { tenantId: input.id, parentId: '' }, { orderBy: { createdAt: 'asc' } });
  if (existing) return existing.id;
  em.create(Tenant, { id: input.id, name: input.name, createdAt: now });
  const rootId = input.id === DEFAULT_TENANT_ID ? 'root' : newId();
  const root = em.create(Department, { id: rootId, tenantId: input.id, parentId: '', path: pathOf(null, rootId), name: input.name, isSkillGroup: false, settings: '{}', createdAt: now, updatedAt: now });
  if (input.id === DEFAULT_TENANT_ID) {
    em.create(Department, {
      id: DEFAULT_SKILL_GROUP_ID,
      tenantId: input.id,
      parentId: root.id,
      path: pathOf(root, DEFAULT_SKILL_GROUP_ID),
      name: 'Customer service · 客服',
      isSkillGroup: true,
      settings: '{}',
      createdAt: now,
      updatedAt: now,
    });
  }
  for (const role of BUILT_IN_ROLES) {
    em.create(Role, { id: newId(), tenantId: input.id, name: role.name, description: `Built in; edit as needed (${role.key})`, permissions: JSON.stringify(role.permissions), createdAt: now, updatedAt: now });
  }
  await em.flush();
  return root.id;
}

/**
 * Redeems the tenant's setup token and creates its first super admin in the root department, in
 * one transaction: a wrong, used or expired token changes nothing.
 */
export async function createFirstAdmin(
  ctx: DirectoryContext,
  input: { tenantId: string; token: string; email: string; displayName: string; password: string; ip: string },
): Promise<AccountView> {
  const now = ctx.now();
  return ctx.em().transactional(async (em) => {
    const root = await em.findOne(Department, { tenantId: input.tenantId, parentId: '' }, { orderBy: { createdAt: 'asc' } });
    if (!root || !(await redeemSetupToken(em, input.tenantId, input.token, now))) {
      throw new DomainError('UNAUTHENTICATED', 'the setup token is wrong, used or expired; `kefu setup-token` issues a new one');
    }
    const row = await insertAccount(ctx, em, input.tenantId, root.path, {
      email: input.email,
      displayName: input.displayName,
      password: input.password,
      departmentId: root.id,
      roleIds: [],
      skillGroupIds: [],
      isSuperAdmin: true,
      isAgent: false,
      maxConversations: 0,
    });
    audit(em, { tenantId: input.tenantId, actorId: row.id, actorName: row.displayName, departmentPath: root.path, action: 'setup.first-admin', outcome: 'success', targetType: 'account', targetId: row.id, ip: input.ip }, now);
    await em.flush();
    return accountView(row);
  });
}
