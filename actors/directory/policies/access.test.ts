import { may, mayChangeAccount, mayChangeDepartment, mayGrant, mayUse, superAdminOnly, tokenPermissions, visibleSubtree, type Principal } from './access.ts';
import type { Permission } from './permissions.ts';

// The org of these tests:  /root/ ─ /root/a/ ─ /root/a/a1/
//                                 └ /root/b/
const principal = (over: Partial<Omit<Principal, 'permissions'>> & { permissions?: Iterable<Permission> }): Principal => ({
  tenantId: 't1',
  accountId: 'me',
  superAdmin: false,
  departmentPath: '/root/a/',
  via: 'session',
  ...over,
  permissions: new Set(over.permissions ?? []),
});
const at = (departmentPath: string, tenantId = 't1') => ({ tenantId, departmentPath });

describe('may: permission over one’s department and everything below it', () => {
  const agentA = principal({ permissions: ['conversations.read'] });
  test.each([
    ['own department', '/root/a/', true],
    ['a sub-department', '/root/a/a1/', true],
    ['a sibling', '/root/b/', false],
    ['the parent', '/root/', false],
    ['a department whose id merely starts the same', '/root/ab/', false],
  ])('%s', (_, path, allowed) => {
    expect(may(agentA, 'conversations.read', at(path)).allowed).toBe(allowed);
  });

  test('without the permission nothing is allowed, even in one’s own department', () => {
    expect(may(agentA, 'accounts.write', at('/root/a/'))).toEqual({ allowed: false, denial: 'MISSING_PERMISSION' });
  });

  test('nothing crosses tenants, not even for a super admin', () => {
    const boss = principal({ superAdmin: true, departmentPath: '/root/' });
    expect(may(boss, 'accounts.write', at('/root/a/', 't2'))).toEqual({ allowed: false, denial: 'OTHER_TENANT' });
    expect(may(boss, 'accounts.write', at('/root/b/')).allowed).toBe(true);
    expect(visibleSubtree(boss)).toBe('/');
  });
});

test('a department admin changes departments below their own, not their own', () => {
  const admin = principal({ permissions: ['departments.write'] });
  expect(mayChangeDepartment(admin, '/root/a/a1/', 't1').allowed).toBe(true);
  expect(mayChangeDepartment(admin, '/root/a/', 't1')).toEqual({ allowed: false, denial: 'OUT_OF_SCOPE' });
  expect(mayChangeDepartment(principal({ superAdmin: true, departmentPath: '/root/' }), '/root/', 't1').allowed).toBe(true);
});

test('granting is limited to what one holds', () => {
  const admin = principal({ permissions: ['accounts.write', 'conversations.read'] });
  expect(mayGrant(admin, ['conversations.read']).allowed).toBe(true);
  expect(mayGrant(admin, ['conversations.read', 'audit.read'])).toEqual({ allowed: false, denial: 'ESCALATION' });
  expect(mayGrant(principal({ superAdmin: true }), ['audit.read']).allowed).toBe(true);
});

test('accounts: not oneself, and a super admin only by a super admin', () => {
  const admin = principal({ permissions: ['accounts.write'] });
  const target = (over: object) => ({ accountId: 'other', superAdmin: false, ...at('/root/a/a1/'), ...over });
  expect(mayChangeAccount(admin, target({})).allowed).toBe(true);
  expect(mayChangeAccount(admin, target({ accountId: 'me' }))).toEqual({ allowed: false, denial: 'SELF' });
  expect(mayChangeAccount(admin, target({ superAdmin: true }))).toEqual({ allowed: false, denial: 'SUPER_ADMIN_ONLY' });
  expect(mayChangeAccount(admin, target({ departmentPath: '/root/b/' }))).toEqual({ allowed: false, denial: 'OUT_OF_SCOPE' });
});

test('an API token carries only what it was given and its maker still holds, never super-admin powers', () => {
  const maker = principal({ permissions: ['contacts.read', 'history.read'] });
  expect([...tokenPermissions(['contacts.read', 'audit.read'], maker)]).toEqual(['contacts.read']);
  const bossToken = principal({ superAdmin: true, departmentPath: '/root/', via: 'api-token', permissions: ['contacts.read'] });
  expect(mayUse(bossToken, 'contacts.read').allowed).toBe(true);
  expect(mayUse(bossToken, 'accounts.write').allowed).toBe(false);
  expect(superAdminOnly(bossToken).allowed).toBe(false);
  expect(mayGrant(bossToken, ['accounts.write']).allowed).toBe(false);
});
