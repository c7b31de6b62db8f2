/**
 * What every directory operation gets: a way to the database, the clock, the password hasher, and
 * `changed` to call after a commit that alters anyone's rights (cached principals of the tenant are
 * dropped on every node). `Caller` is who asks — checked by policies/access.ts before anything is
 * read or written, and named in the audit log.
 */
import type { EntityManager } from '@mikro-orm/core';
import { DomainError } from '../kernel/domain-error.ts';
import type { Decision, Principal } from './policies/access.ts';
import type { DepartmentSettings } from './policies/org.ts';
import { audit } from './audit.repository.ts';
import type { PasswordHasher } from './passwords.ts';

export type DirectoryContext = {
  /** A fresh EntityManager for one operation. */
  readonly em: () => EntityManager;
  /** Which database: a few queries carry a MySQL index hint. */
  readonly dialect: 'sqlite' | 'mysql';
  readonly now: () => Date;
  readonly hasher: PasswordHasher;
  /** After a commit that changes rights (roles, accounts, sessions, departments, tokens) in `tenantId`. */
  readonly changed: (tenantId: string) => void;
  /**
   * After an account that is (or was) an agent changed: its agent actor gets the profile, skill
   * groups and capacity (an account no longer an agent, disabled or deleted: none, and offline).
   */
  readonly agentChanged: (agent: AgentProfile) => Promise<void>;
  /**
   * After a skill group was created, or the settings in force at it changed (its own, an
   * ancestor's, or a move): its queue actor gets them (and must exist before visitors arrive).
   */
  readonly skillGroupChanged: (tenantId: string, skillGroupId: string, settings: DepartmentSettings) => Promise<void>;
  /** After a visitor was blocked: their open widgets, on every gateway node, are told and closed. */
  readonly visitorBlocked: (tenantId: string, visitorId: string) => void;
};

export type AgentProfile = {
  readonly tenantId: string;
  readonly accountId: string;
  readonly displayName: string;
  /** False: the account no longer takes conversations (not an agent, disabled or deleted). */
  readonly active: boolean;
  readonly skillGroupIds: readonly string[];
  readonly maxConversations: number;
};

export type Caller = {
  readonly principal: Principal;
  /** The account's display name, for the audit log. */
  readonly name: string;
  readonly ip: string;
};

/**
 * Throws unless `decision` allows. A refusal is written to the audit log (in its own transaction,
 * so it survives the failed request). Out-of-scope and other-tenant refusals are answered
 * NOT_FOUND so a caller cannot learn which ids exist beyond their reach.
 */
export async function authorize(
  ctx: DirectoryContext,
  caller: Caller,
  decision: Decision,
  target: { readonly action: string; readonly type: string; readonly id: string },
): Promise<void> {
  if (decision.allowed) return;
  const em = ctx.em();
  audit(
    em,
    {
      tenantId: caller.principal.tenantId,
      actorId: caller.principal.accountId,
      actorName: caller.name,
      departmentPath: caller.principal.departmentPath,
      action: 'permission.denied',
      outcome: 'denied',
      targetType: target.type,
      targetId: target.id,
      ip: caller.ip,
      details: { attempted: target.action, reason: decision.denial },
    },
    ctx.now(),
  );
  await em.flush();
  if (decision.denial === 'OUT_OF_SCOPE' || decision.denial === 'OTHER_TENANT') throw new DomainError('NOT_FOUND', `no such ${target.type}`);
  throw new DomainError('FORBIDDEN', FORBIDDEN_MESSAGES[decision.denial]);
}

const FORBIDDEN_MESSAGES = {
  MISSING_PERMISSION: 'your roles do not allow this',
  SUPER_ADMIN_ONLY: 'only a super admin may do this',
  ESCALATION: 'you cannot grant permissions you do not hold yourself',
  SELF: 'you cannot do this to your own account',
} as const;

/** Writes a successful change to the audit log in `em` (committed with the change). */
export function auditChange(
  ctx: DirectoryContext,
  em: EntityManager,
  caller: Caller,
  change: { readonly action: string; readonly type: string; readonly id: string; readonly departmentPath: string; readonly details?: Record<string, unknown> },
): void {
  audit(
    em,
    {
      tenantId: caller.principal.tenantId,
      actorId: caller.principal.accountId,
      actorName: caller.name,
      departmentPath: change.departmentPath,
      action: change.action,
      outcome: 'success',
      targetType: change.type,
      targetId: change.id,
      ip: caller.ip,
      details: change.details ?? {},
    },
    ctx.now(),
  );
}

export const notFound = (type: string): DomainError => new DomainError('NOT_FOUND', `no such ${type}`);

export const invalid = (field: string, problem: string): DomainError =>
  new DomainError('INVALID', `${field}: ${problem}`, { fields: { [field]: problem } });
