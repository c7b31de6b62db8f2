/**
 * The directory (通讯录/组织): the stateless service behind identity and administration — tenants,
 * the org tree, roles, accounts, sign-in, API tokens, channels, quick replies, contacts, the visitor
 * blacklist and the audit log. Any gateway node serves it straight from the database (there is no
 * per-entity actor: every operation is one short transaction); the only per-node state is the
 * principal cache, kept in step across nodes by the `directory.changed` event (directory.service.ts).
 */
import { ACCOUNT_SUBTREE_INDEX, Account } from './account.entity.ts';
import { AccountRepository } from './account.repository.ts';
import { ApiTokenRepository } from './api-token.repository.ts';
import { audit, auditCsv, listAudit, type AuditView } from './audit.repository.ts';
import { Authenticator } from './authenticator.ts';
import { ChannelAdminRepository } from './channel-admin.repository.ts';
import { ContactRepository } from './contact.repository.ts';
import { Channel } from './channel.entity.ts';
import { authorize, type Caller, type DirectoryContext } from './context.ts';
import { Department } from './department.entity.ts';
import { DepartmentRepository, departmentScope, findDepartment } from './department.repository.ts';
import { mayUse, visibleSubtree, type Scope } from './policies/access.ts';
import { QuickReplyRepository } from './quick-reply.repository.ts';
import { RoleRepository } from './role.repository.ts';
import { VisitorBanRepository } from './visitor-ban.repository.ts';

export const AUDIT_EXPORT_LIMIT = 10_000;
export const COLLEAGUES_LIMIT = 2_000;

export type Colleagues = {
  readonly agents: { id: string; displayName: string; skillGroupIds: string[] }[];
  readonly skillGroups: { id: string; name: string }[];
  /** The tenant's chat channels, for naming where a visitor came from. */
  readonly channels: { id: string; name: string }[];
};

export type AuditFilter = { readonly action?: string; readonly actorId?: string; readonly from?: Date; readonly to?: Date; readonly before?: { at: Date; id: string }; readonly limit: number };

export class Directory {
  readonly ctx: DirectoryContext;
  readonly authenticator: Authenticator;
  readonly departments: DepartmentRepository;
  readonly roles: RoleRepository;
  readonly accounts: AccountRepository;
  readonly channels: ChannelAdminRepository;
  readonly bans: VisitorBanRepository;
  readonly tokens: ApiTokenRepository;
  readonly quickReplies: QuickReplyRepository;
  readonly contacts: ContactRepository;

  constructor(ctx: Omit<DirectoryContext, 'changed'> & { readonly changed?: (tenantId: string) => void }) {
    // The local cache is dropped at once; `changed` tells the other nodes.
    const full: DirectoryContext = {
      ...ctx,
      changed: (tenantId) => {
        this.authenticator.invalidate(tenantId);
        ctx.changed?.(tenantId);
      },
    };
    this.ctx = full;
    this.authenticator = new Authenticator(full);
    this.departments = new DepartmentRepository(full);
    this.roles = new RoleRepository(full);
    this.accounts = new AccountRepository(full);
    this.channels = new ChannelAdminRepository(full);
    this.bans = new VisitorBanRepository(full);
    this.tokens = new ApiTokenRepository(full);
    this.quickReplies = new QuickReplyRepository(full);
    this.contacts = new ContactRepository(full);
  }

  /** Where an active agent of the tenant sits in the org tree (a supervisor's rights over them are checked there); null for anyone else. */
  async agentScope(tenantId: string, accountId: string): Promise<Scope | null> {
    const a = await this.ctx.em().findOne(Account, { tenantId, id: accountId }, { fields: ['isAgent', 'disabled', 'departmentPath', 'tenantId'] });
    return a !== null && a.isAgent && !a.disabled ? { tenantId: a.tenantId, departmentPath: a.departmentPath } : null;
  }

  /** The active agents of a department and everything below it, in tree order (the supervisor's agent board), at most `limit`. */
  async agentsIn(tenantId: string, departmentPath: string, limit: number): Promise<{ accountId: string; displayName: string; departmentPath: string }[]> {
    const order = { orderBy: { departmentPath: 'asc', id: 'asc' }, ...(this.ctx.dialect === 'mysql' ? { indexHint: `force index(${ACCOUNT_SUBTREE_INDEX})` } : {}) } as const;
    const rows = await this.ctx.em().find(Account, { tenantId, departmentPath: { $like: `${departmentPath}%` }, isAgent: true, disabled: false }, { ...order, limit, fields: ['id', 'displayName', 'departmentPath'] });
    return rows.map((a) => ({ accountId: a.id, displayName: a.displayName, departmentPath: a.departmentPath }));
  }

  /**
   * The colleagues an agent works with across the tenant, as a desk lists them (transfer and
   * invitation targets, names on messages): the active agents with the skill groups they serve,
   * and the skill groups, each by name. At most COLLEAGUES_LIMIT of each, by name.
   */
  async colleagues(caller: Caller): Promise<Colleagues> {
    await authorize(this.ctx, caller, mayUse(caller.principal, 'conversations.read'), { action: 'colleagues.read', type: 'account', id: '' });
    const em = this.ctx.em();
    const tenantId = caller.principal.tenantId;
    const [agents, groups, channels] = await Promise.all([
      em.find(Account, { tenantId, isAgent: true, disabled: false }, { orderBy: { displayName: 'asc', id: 'asc' }, limit: COLLEAGUES_LIMIT, fields: ['id', 'displayName', 'skillGroupIds'] }),
      em.find(Department, { tenantId, isSkillGroup: true }, { orderBy: { name: 'asc', id: 'asc' }, limit: COLLEAGUES_LIMIT, fields: ['id', 'name'] }),
      em.find(Channel, { tenantId }, { orderBy: { name: 'asc', id: 'asc' }, limit: COLLEAGUES_LIMIT, fields: ['id', 'name'] }),
    ]);
    return {
      agents: agents.map((a) => ({ id: a.id, displayName: a.displayName, skillGroupIds: JSON.parse(a.skillGroupIds) as string[] })),
      skillGroups: groups.map((d) => ({ id: d.id, name: d.name })),
      channels: channels.map((c) => ({ id: c.id, name: c.name })),
    };
  }

  /** Where a skill group sits in the org tree (the scope supervisors' permissions are checked against); null if the tenant has none of that id. */
  async skillGroupScope(tenantId: string, skillGroupId: string): Promise<Scope | null> {
    const d = await findDepartment(this.ctx.em(), tenantId, skillGroupId);
    return d?.isSkillGroup ? departmentScope(d) : null;
  }

  /** Audit entries of the caller's subtree, newest first. */
  async auditLog(caller: Caller, filter: AuditFilter): Promise<AuditView[]> {
    await authorize(this.ctx, caller, mayUse(caller.principal, 'audit.read'), { action: 'audit.read', type: 'audit', id: '' });
    return listAudit(this.ctx.em(), { ...filter, tenantId: caller.principal.tenantId, subtree: visibleSubtree(caller.principal) });
  }

  /** The same entries as CSV (at most AUDIT_EXPORT_LIMIT); the export itself is audited. */
  async exportAuditLog(caller: Caller, filter: Omit<AuditFilter, 'limit' | 'before'>): Promise<string> {
    await authorize(this.ctx, caller, mayUse(caller.principal, 'audit.export'), { action: 'audit.export', type: 'audit', id: '' });
    const entries = await listAudit(this.ctx.em(), { ...filter, limit: AUDIT_EXPORT_LIMIT, tenantId: caller.principal.tenantId, subtree: visibleSubtree(caller.principal) });
    const em = this.ctx.em();
    audit(
      em,
      {
        tenantId: caller.principal.tenantId,
        actorId: caller.principal.accountId,
        actorName: caller.name,
        departmentPath: caller.principal.departmentPath,
        action: 'audit.export',
        outcome: 'success',
        targetType: 'audit',
        targetId: '',
        ip: caller.ip,
        details: { ...filter, rows: entries.length },
      },
      this.ctx.now(),
    );
    await em.flush();
    return auditCsv(entries);
  }
}
