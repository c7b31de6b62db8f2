/**
 * The audit log (审计日志): appended to by every directory operation that changes something, by
 * sign-ins (successful or not) and by permission denials; read by admins, newest first, within
 * their subtree. Entries never hold passwords, tokens or secrets: `details` passes through
 * `redact`, which drops any key that could name one.
 */
import type { EntityManager } from '@mikro-orm/core';
import { AuditEntry } from './audit-entry.entity.ts';
import { newId } from './ids.ts';

export type AuditOutcome = 'success' | 'failure' | 'denied';

export type AuditRecord = {
  readonly tenantId: string;
  readonly actorId: string | null;
  readonly actorName: string;
  readonly departmentPath: string;
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly targetType: string;
  readonly targetId: string;
  readonly ip: string;
  readonly details?: Readonly<Record<string, unknown>>;
};

export type AuditView = Omit<AuditRecord, 'details' | 'departmentPath'> & { readonly id: string; readonly at: string; readonly details: Record<string, unknown> };

const SECRET_KEY = /pass(word)?|token|secret|hash|csrf|cookie/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 4) return '…';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!SECRET_KEY.test(k)) out[k] = redact(v, depth + 1);
    return out;
  }
  return typeof value === 'string' && value.length > 500 ? `${value.slice(0, 500)}…` : value;
}

/** Queues the entry in `em`; it is written with the caller's flush (so a change and its entry commit together). */
export function audit(em: EntityManager, record: AuditRecord, now: Date): void {
  em.create(AuditEntry, {
    id: newId(),
    at: now,
    ...record,
    actorId: record.actorId ?? '',
    actorName: record.actorName.slice(0, 100),
    ip: record.ip.slice(0, 64),
    targetId: record.targetId.slice(0, 64),
    details: JSON.stringify(redact(record.details ?? {})),
  });
}

export type AuditQuery = {
  readonly tenantId: string;
  /** Only entries whose department lies in this subtree. */
  readonly subtree: string;
  readonly action?: string;
  readonly actorId?: string;
  readonly from?: Date;
  readonly to?: Date;
  /** The `at` and `id` of the last entry of the previous page. */
  readonly before?: { readonly at: Date; readonly id: string };
  readonly limit: number;
};

export async function listAudit(em: EntityManager, q: AuditQuery): Promise<AuditView[]> {
  const where: Record<string, unknown> = { tenantId: q.tenantId, departmentPath: { $like: `${q.subtree}%` } };
  if (q.action) where.action = q.action;
  if (q.actorId) where.actorId = q.actorId;
  const at: Record<string, Date> = {};
  if (q.from) at.$gte = q.from;
  if (q.to) at.$lt = q.to;
  if (Object.keys(at).length) where.at = at;
  if (q.before) where.$or = [{ at: { $lt: q.before.at } }, { at: q.before.at, id: { $lt: q.before.id } }];
  const rows = await em.find(AuditEntry, where, { orderBy: { at: 'desc', id: 'desc' }, limit: q.limit });
  return rows.map((r) => ({
    id: r.id,
    at: r.at.toISOString(),
    tenantId: r.tenantId,
    actorId: r.actorId || null,
    actorName: r.actorName,
    action: r.action,
    outcome: r.outcome as AuditOutcome,
    targetType: r.targetType,
    targetId: r.targetId,
    ip: r.ip,
    details: JSON.parse(r.details) as Record<string, unknown>,
  }));
}

const csvCell = (value: unknown): string => {
  let s = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  // A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function auditCsv(entries: readonly AuditView[]): string {
  const columns = ['at', 'actorName', 'actorId', 'action', 'outcome', 'targetType', 'targetId', 'ip', 'details'] as const;
  return [columns.join(','), ...entries.map((e) => columns.map((c) => csvCell(e[c])).join(','))].join('\r\n') + '\r\n';
}
