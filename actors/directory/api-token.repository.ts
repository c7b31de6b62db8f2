/**
 * API tokens for integrations (`Authorization: Bearer kefu_…`). Whoever holds `tokens.write` makes
 * tokens that act for themselves, with any subset of their own permissions; a super admin sees and
 * revokes every token of the tenant, anyone else only their own.
 */
import type { InferEntity } from '@mikro-orm/core';
import { ApiToken } from './api-token.entity.ts';
import { API_TOKEN_PREFIX } from './authenticator.ts';
import { auditChange, authorize, notFound, type Caller, type DirectoryContext } from './context.ts';
import { newId, newSecret, secretHash } from './ids.ts';
import { mayGrant, mayUse } from './policies/access.ts';
import { isPermission, type Permission } from './policies/permissions.ts';

export type ApiTokenView = {
  readonly id: string;
  readonly name: string;
  readonly accountId: string;
  readonly permissions: readonly Permission[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
};

const tokenView = (t: InferEntity<typeof ApiToken>): ApiTokenView => ({
  id: t.id,
  name: t.name,
  accountId: t.accountId,
  permissions: (JSON.parse(t.permissions) as string[]).filter(isPermission),
  createdAt: t.createdAt.toISOString(),
  expiresAt: t.expiresAt?.toISOString() ?? null,
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
});

export class ApiTokenRepository {
  readonly #ctx: DirectoryContext;

  constructor(ctx: DirectoryContext) {
    this.#ctx = ctx;
  }

  async list(caller: Caller): Promise<ApiTokenView[]> {
    await authorize(this.#ctx, caller, mayUse(caller.principal, 'tokens.write'), { action: 'tokens.list', type: 'api-token', id: '' });
    const { tenantId, accountId, superAdmin } = caller.principal;
    const rows = await this.#ctx.em().find(ApiToken, superAdmin ? { tenantId } : { tenantId, accountId }, { orderBy: { createdAt: 'desc' } });
    return rows.map(tokenView);
  }

  /** Makes a token; the secret is in the answer and nowhere else, ever. */
  async create(caller: Caller, input: { name: string; permissions: readonly Permission[]; expiresAt: Date | null }): Promise<ApiTokenView & { readonly token: string }> {
    const target = { action: 'token.create', type: 'api-token', id: '' };
    await authorize(this.#ctx, caller, mayUse(caller.principal, 'tokens.write'), target);
    await authorize(this.#ctx, caller, mayGrant(caller.principal, input.permissions), target);
    const em = this.#ctx.em();
    const token = `${API_TOKEN_PREFIX}${newSecret()}`;
    const row = em.create(ApiToken, {
      id: newId(),
      tenantId: caller.principal.tenantId,
      tokenHash: secretHash(token),
      accountId: caller.principal.accountId,
      name: input.name,
      permissions: JSON.stringify([...new Set(input.permissions)]),
      createdAt: this.#ctx.now(),
      expiresAt: input.expiresAt,
      lastUsedAt: null,
    });
    auditChange(this.#ctx, em, caller, { action: 'token.create', type: 'api-token', id: row.id, departmentPath: caller.principal.departmentPath, details: { name: input.name, permissions: input.permissions } });
    await em.flush();
    return { ...tokenView(row), token };
  }

  async revoke(caller: Caller, id: string): Promise<void> {
    await authorize(this.#ctx, caller, mayUse(caller.principal, 'tokens.write'), { action: 'token.revoke', type: 'api-token', id });
    const em = this.#ctx.em();
    const { tenantId, accountId, superAdmin } = caller.principal;
    const t = await em.findOne(ApiToken, { tenantId, id, ...(superAdmin ? {} : { accountId }) });
    if (!t) throw notFound('api-token');
    auditChange(this.#ctx, em, caller, { action: 'token.revoke', type: 'api-token', id, departmentPath: caller.principal.departmentPath, details: { name: t.name } });
    em.remove(t);
    await em.flush();
    this.#ctx.changed(tenantId);
  }
}
