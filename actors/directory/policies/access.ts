/**
 * Who may do what (the cskefu rule): an account's rights are its roles' permissions, over its own
 * department and every department below it — never siblings or parents. A super admin holds every
 * right in their tenant. Nothing crosses tenants. Pure: the REST API and the agent gateway ask
 * these functions for every request and frame; the caller loads the facts.
 */
import type { Permission } from './permissions.ts';

export type Principal = {
  readonly tenantId: string;
  readonly accountId: string;
  readonly superAdmin: boolean;
  /** The materialised path of the account's department (`/root/sales/`). */
  readonly departmentPath: string;
  readonly permissions: ReadonlySet<Permission>;
  /** A signed-in person, or an integration's API token (which acts for the account that made it). */
  readonly via: 'session' | 'api-token';
};

/** Where a resource sits: its tenant and the department that owns it. */
export type Scope = { readonly tenantId: string; readonly departmentPath: string };

/**
 * A refusal says why, for the audit log. `OTHER_TENANT` and `OUT_OF_SCOPE` are answered as
 * "not found" so ids of other departments and tenants cannot be probed.
 */
export type Denial = 'OTHER_TENANT' | 'MISSING_PERMISSION' | 'OUT_OF_SCOPE' | 'SUPER_ADMIN_ONLY' | 'ESCALATION' | 'SELF';
export type Decision = { readonly allowed: true } | { readonly allowed: false; readonly denial: Denial };

const ALLOWED: Decision = { allowed: true };
const deny = (denial: Denial): Decision => ({ allowed: false, denial });

/** The path prefix of everything the principal may see: the whole tenant for a super admin. */
export const visibleSubtree = (principal: Principal): string => (principal.superAdmin ? '/' : principal.departmentPath);

export const inSubtree = (principal: Principal, departmentPath: string): boolean => departmentPath.startsWith(visibleSubtree(principal));

/** May the principal use `permission` at all (for listing, before any single resource is known)? */
export function mayUse(principal: Principal, permission: Permission): Decision {
  if (principal.superAdmin && principal.via === 'session') return ALLOWED;
  return principal.permissions.has(permission) ? ALLOWED : deny('MISSING_PERMISSION');
}

/**
 * May the principal use `permission` on the resource at `scope`? A null scope is a resource that
 * does not exist: refused like one out of reach, so the two cannot be told apart.
 */
export function may(principal: Principal, permission: Permission, scope: Scope | null): Decision {
  if (scope === null) return deny('OUT_OF_SCOPE');
  if (scope.tenantId !== principal.tenantId) return deny('OTHER_TENANT');
  const use = mayUse(principal, permission);
  if (!use.allowed) return use;
  return inSubtree(principal, scope.departmentPath) ? ALLOWED : deny('OUT_OF_SCOPE');
}

/**
 * Changing a department itself (rename, move, settings, delete) needs it strictly below the
 * principal's own department: a department admin manages what is under them, not their own place
 * in the tree (moving it would take them out of their parent's control).
 */
export function mayChangeDepartment(principal: Principal, departmentPath: string, tenantId: string): Decision {
  const decision = may(principal, 'departments.write', { tenantId, departmentPath });
  if (!decision.allowed) return decision;
  return principal.superAdmin || departmentPath !== principal.departmentPath ? ALLOWED : deny('OUT_OF_SCOPE');
}

/** Only a signed-in super admin creates and edits roles, makes super admins, or manages tenants' API tokens beyond their own rights. */
export const superAdminOnly = (principal: Principal): Decision => (principal.superAdmin && principal.via === 'session' ? ALLOWED : deny('SUPER_ADMIN_ONLY'));

/**
 * Granting rights: the principal may hand out (as roles to an account, or to an API token) only
 * permissions it holds itself, so a department admin cannot mint a stronger account than theirs.
 */
export function mayGrant(principal: Principal, permissions: Iterable<Permission>): Decision {
  if (principal.superAdmin && principal.via === 'session') return ALLOWED;
  for (const p of permissions) if (!principal.permissions.has(p)) return deny('ESCALATION');
  return ALLOWED;
}

/**
 * Changing another account (edit, disable, delete, roles, password reset). Nobody changes their own
 * roles, disables or deletes themselves here (the /me routes cover one's own profile and password),
 * and only a super admin touches a super admin.
 */
export function mayChangeAccount(
  principal: Principal,
  target: { readonly accountId: string; readonly superAdmin: boolean } & Scope,
): Decision {
  const decision = may(principal, 'accounts.write', target);
  if (!decision.allowed) return decision;
  if (target.accountId === principal.accountId) return deny('SELF');
  if (target.superAdmin && !principal.superAdmin) return deny('SUPER_ADMIN_ONLY');
  return ALLOWED;
}

/** The rights an API token carries: what it was given, and only while its maker still holds them. */
export function tokenPermissions(granted: Iterable<Permission>, maker: Principal): Set<Permission> {
  const out = new Set<Permission>();
  for (const p of granted) if (maker.superAdmin || maker.permissions.has(p)) out.add(p);
  return out;
}
