/**
 * Sign-in and the question every request asks first: who is this? A browser presents its session
 * cookie, an integration its API token; both are looked up by the SHA-256 of the secret and turned
 * into a `Principal` (policies/access.ts): the account's department path and the union of its
 * roles' permissions.
 *
 * Principals are cached per node for PRINCIPAL_CACHE_MS, so a permission check costs a hash and a
 * map lookup. `invalidate(tenantId)` drops a tenant's entries; the directory calls it (on every
 * node, through the `directory.changed` event) after any change to rights, sessions or tokens, and
 * the short TTL bounds staleness if an event is lost.
 */
import type { EntityManager } from '@mikro-orm/core';
import { DomainError } from '../kernel/domain-error.ts';
import { Account } from './account.entity.ts';
import { accountView, agentProfile, endSessions, type AccountRow, type AccountView } from './account.repository.ts';
import { ApiToken } from './api-token.entity.ts';
import { audit } from './audit.repository.ts';
import { invalid, notFound, type Caller, type DirectoryContext } from './context.ts';
import { newId, newSecret, secretHash } from './ids.ts';
import { LoginSession } from './login-session.entity.ts';
import { tokenPermissions, type Principal } from './policies/access.ts';
import { AFTER_SUCCESS, afterFailure, isLocked, passwordProblem } from './policies/login.ts';
import { isPermission, type Permission } from './policies/permissions.ts';
import { PasswordHasher } from './passwords.ts';
import { Role } from './role.entity.ts';
import { rolePermissions } from './role.repository.ts';

export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
export const SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000;
export const PRINCIPAL_CACHE_MS = 30_000;
/** A session's last-seen time is written at most this often (it is shown in the session list). */
const LAST_SEEN_WRITE_MS = 5 * 60 * 1000;
const CACHE_LIMIT = 50_000;

export type Authenticated = Caller & {
  /** The login session, for cookie requests (its CSRF token guards state-changing ones). */
  readonly session: { readonly id: string; readonly tokenHash: string; readonly csrfToken: string; readonly expiresAt: Date } | null;
};

export type LoginResult = { readonly token: string; readonly csrfToken: string; readonly expiresAt: Date; readonly account: AccountView };

export type SessionView = { readonly id: string; readonly createdAt: string; readonly lastSeenAt: string; readonly expiresAt: string; readonly ip: string; readonly userAgent: string; readonly current: boolean };

export const API_TOKEN_PREFIX = 'kefu_';

export class Authenticator {
  readonly #ctx: DirectoryContext;
  readonly #cache = new Map<string, { readonly who: Authenticated; readonly until: number }>();

  constructor(ctx: DirectoryContext) {
    this.#ctx = ctx;
  }

  /**
   * Checks email and password; on success opens a session. Wrong passwords count towards a lock
   * (policies/login.ts); an unknown email costs as long as a wrong password and gets the same answer.
   */
  async login(input: { tenantId: string; email: string; password: string; ip: string; userAgent: string }): Promise<LoginResult> {
    this.#ctx.hasher.admit();
    const em = this.#ctx.em();
    const now = this.#ctx.now();
    const email = input.email.toLowerCase();
    const account = await em.findOne(Account, { tenantId: input.tenantId, email });
    const record = (outcome: 'success' | 'failure' | 'denied', reason: string | null): void =>
      audit(
        em,
        {
          tenantId: input.tenantId,
          actorId: account?.id ?? null,
          actorName: account?.displayName ?? email,
          departmentPath: account?.departmentPath ?? '/',
          action: 'login',
          outcome,
          targetType: 'account',
          targetId: account?.id ?? '',
          ip: input.ip,
          details: { email, ...(reason ? { reason } : {}), userAgent: input.userAgent },
        },
        now,
      );
    const loginRecord = (a: AccountRow) => ({ failures: a.failedLogins, locks: a.lockouts, lockedUntil: a.lockedUntil?.getTime() ?? null });
    if (account && isLocked(loginRecord(account), now.getTime())) {
      record('denied', 'locked');
      await em.flush();
      throw new DomainError('LOCKED', 'too many wrong passwords: this account is locked for now', { lockedUntil: account.lockedUntil!.toISOString() });
    }
    const ok = await this.#ctx.hasher.verify(input.password, account?.passwordHash ?? null);
    if (!account || !ok) {
      if (account) {
        const next = afterFailure(loginRecord(account), now.getTime());
        Object.assign(account, { failedLogins: next.failures, lockouts: next.locks, lockedUntil: next.lockedUntil === null ? null : new Date(next.lockedUntil) });
      }
      record('failure', account ? 'wrong password' : 'unknown email');
      await em.flush();
      throw new DomainError('UNAUTHENTICATED', 'wrong email or password');
    }
    if (account.disabled) {
      record('denied', 'disabled');
      await em.flush();
      throw new DomainError('UNAUTHENTICATED', 'this account is disabled; ask an administrator');
    }
    Object.assign(account, { failedLogins: AFTER_SUCCESS.failures, lockouts: AFTER_SUCCESS.locks, lockedUntil: AFTER_SUCCESS.lockedUntil, lastLoginAt: now });
    if (PasswordHasher.outdated(account.passwordHash)) account.passwordHash = await this.#ctx.hasher.hash(input.password);
    const session = openSession(em, account, now, input);
    record('success', null);
    await em.flush();
    return { ...session, account: accountView(account) };
  }

  /** Ends the session behind a cookie (logout). */
  async logout(who: Authenticated): Promise<void> {
    if (!who.session) return;
    await this.#ctx.em().nativeDelete(LoginSession, { tokenHash: who.session.tokenHash });
    this.invalidate(who.principal.tenantId);
  }

  /** The principal behind a session cookie, or null (unknown, expired, or its account disabled). */
  async fromSession(token: string): Promise<Authenticated | null> {
    const hash = secretHash(token);
    const cached = this.#hit(hash);
    if (cached !== undefined) return cached;
    const em = this.#ctx.em();
    const now = this.#ctx.now();
    const s = await em.findOne(LoginSession, { tokenHash: hash });
    if (!s || s.expiresAt <= now || now.getTime() - s.lastSeenAt.getTime() > SESSION_IDLE_MS) return null;
    const account = await em.findOne(Account, { tenantId: s.tenantId, id: s.accountId });
    if (!account || account.disabled) return null;
    if (now.getTime() - s.lastSeenAt.getTime() > LAST_SEEN_WRITE_MS) {
      s.lastSeenAt = now;
      await em.flush();
    }
    const who: Authenticated = {
      principal: await principalOf(em, account, 'session', null),
      name: account.displayName,
      ip: '',
      session: { id: s.id, tokenHash: hash, csrfToken: s.csrfToken, expiresAt: s.expiresAt },
    };
    return this.#store(hash, who);
  }

  /** The principal behind an API token (`kefu_…`), or null. */
  async fromApiToken(token: string): Promise<Authenticated | null> {
    if (!token.startsWith(API_TOKEN_PREFIX)) return null;
    const hash = secretHash(token);
    const cached = this.#hit(hash);
    if (cached !== undefined) return cached;
    const em = this.#ctx.em();
    const now = this.#ctx.now();
    const t = await em.findOne(ApiToken, { tokenHash: hash });
    if (!t || (t.expiresAt && t.expiresAt <= now)) return null;
    const account = await em.findOne(Account, { tenantId: t.tenantId, id: t.accountId });
    if (!account || account.disabled) return null;
    if (!t.lastUsedAt || now.getTime() - t.lastUsedAt.getTime() > LAST_SEEN_WRITE_MS) {
      t.lastUsedAt = now;
      await em.flush();
    }
    const granted = (JSON.parse(t.permissions) as string[]).filter(isPermission);
    const who: Authenticated = { principal: await principalOf(em, account, 'api-token', granted), name: `${account.displayName} (token ${t.name})`, ip: '', session: null };
    return this.#store(hash, who);
  }

  /** Drops the cached principals of a tenant (after a change to rights, sessions or tokens). */
  invalidate(tenantId: string): void {
    for (const [k, v] of this.#cache) if (v.who.principal.tenantId === tenantId) this.#cache.delete(k);
  }

  async me(who: Authenticated): Promise<AccountView & { readonly permissions: readonly Permission[] }> {
    const a = await this.#ctx.em().findOne(Account, { tenantId: who.principal.tenantId, id: who.principal.accountId });
    if (!a) throw notFound('account');
    return { ...accountView(a), permissions: [...who.principal.permissions].sort() };
  }

  /** Changes one's own password (the current one is asked again); every other session ends. */
  async changePassword(who: Authenticated, currentPassword: string, newPassword: string): Promise<void> {
    const em = this.#ctx.em();
    const a = await em.findOne(Account, { tenantId: who.principal.tenantId, id: who.principal.accountId });
    if (!a) throw notFound('account');
    if (!(await this.#ctx.hasher.verify(currentPassword, a.passwordHash))) throw invalid('currentPassword', 'is not your current password');
    const problem = passwordProblem(newPassword, a);
    if (problem) throw invalid('newPassword', problem);
    a.passwordHash = await this.#ctx.hasher.hash(newPassword);
    a.updatedAt = this.#ctx.now();
    audit(em, { tenantId: a.tenantId, actorId: a.id, actorName: a.displayName, departmentPath: a.departmentPath, action: 'account.password-change', outcome: 'success', targetType: 'account', targetId: a.id, ip: who.ip }, this.#ctx.now());
    await em.flush();
    await endSessions(em, a.id, who.session?.tokenHash);
    this.#ctx.changed(a.tenantId);
  }

  /** Changes one's own profile: the name colleagues and visitors see (an agent's actor is told). */
  async updateProfile(who: Authenticated, patch: { readonly displayName: string }): Promise<void> {
    const em = this.#ctx.em();
    const a = await em.findOne(Account, { tenantId: who.principal.tenantId, id: who.principal.accountId });
    if (!a) throw notFound('account');
    if (a.displayName === patch.displayName) return;
    const before = a.displayName;
    a.displayName = patch.displayName;
    a.updatedAt = this.#ctx.now();
    audit(
      em,
      { tenantId: a.tenantId, actorId: a.id, actorName: a.displayName, departmentPath: a.departmentPath, action: 'account.profile-change', outcome: 'success', targetType: 'account', targetId: a.id, ip: who.ip, details: { before: { displayName: before }, patch } },
      this.#ctx.now(),
    );
    await em.flush();
    if (a.isAgent && !a.disabled) await this.#ctx.agentChanged(agentProfile(a));
  }

  async sessions(who: Authenticated): Promise<SessionView[]> {
    const rows = await this.#ctx.em().find(LoginSession, { accountId: who.principal.accountId, expiresAt: { $gt: this.#ctx.now() } }, { orderBy: { lastSeenAt: 'desc' } });
    return rows.map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      lastSeenAt: s.lastSeenAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      ip: s.ip,
      userAgent: s.userAgent,
      current: s.tokenHash === who.session?.tokenHash,
    }));
  }

  /** Ends one of one's own sessions (another browser, a lost phone). */
  async endSession(who: Authenticated, sessionId: string): Promise<void> {
    const removed = await this.#ctx.em().nativeDelete(LoginSession, { id: sessionId, accountId: who.principal.accountId });
    if (removed === 0) throw notFound('session');
    this.#ctx.changed(who.principal.tenantId);
  }

  #hit(hash: string): Authenticated | null | undefined {
    const entry = this.#cache.get(hash);
    if (!entry) return undefined;
    const expired = entry.who.session !== null && entry.who.session.expiresAt <= this.#ctx.now();
    if (entry.until > performance.now() && !expired) return entry.who;
    this.#cache.delete(hash);
    return undefined;
  }

  #store(hash: string, who: Authenticated): Authenticated {
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(hash, { who, until: performance.now() + PRINCIPAL_CACHE_MS });
    return who;
  }
}

export function openSession(em: EntityManager, account: AccountRow, now: Date, from: { ip: string; userAgent: string }): Omit<LoginResult, 'account'> {
  const token = newSecret();
  const csrfToken = newSecret();
  const expiresAt = new Date(now.getTime() + SESSION_MAX_MS);
  em.create(LoginSession, {
    tokenHash: secretHash(token),
    id: newId(),
    tenantId: account.tenantId,
    accountId: account.id,
    csrfToken,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
    ip: from.ip.slice(0, 64),
    userAgent: from.userAgent.slice(0, 300),
  });
  return { token, csrfToken, expiresAt };
}

/** An account's rights: its roles' permissions (for a token: those of them the token was given). */
async function principalOf(em: EntityManager, account: AccountRow, via: Principal['via'], granted: readonly Permission[] | null): Promise<Principal> {
  const roleIds = JSON.parse(account.roleIds) as string[];
  const roles = roleIds.length ? await em.find(Role, { tenantId: account.tenantId, id: { $in: roleIds } }) : [];
  const own: Principal = {
    tenantId: account.tenantId,
    accountId: account.id,
    superAdmin: account.isSuperAdmin,
    departmentPath: account.departmentPath,
    permissions: new Set(roles.flatMap(rolePermissions)),
    via: 'session',
  };
  return granted === null ? own : { ...own, via, permissions: tokenPermissions(granted, own) };
}
