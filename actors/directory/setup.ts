/**
 * First-run setup without a default password: while a tenant has no super admin, Kefu holds a random
 * one-time setup token (256 bits; only its SHA-256 is stored) that the setup page or
 * `kefu admin create` must present to create the first admin.
 *
 * Who sees the token: the node that issues it prints it once. In embedded mode every start issues a
 * fresh token while setup is pending (the previous one may have scrolled away with its terminal);
 * in cluster mode a valid token is left alone so a restarting node cannot invalidate the one an
 * operator just copied — `kefu setup-token` issues a new one on demand.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  DeadlockException,
  LockMode,
  UniqueConstraintViolationException,
  type EntityManager,
} from '@mikro-orm/core';
import { DEFAULT_TENANT_ID } from './channel.repository.ts';
import { secretHash } from './ids.ts';
import { SetupToken } from './setup-token.entity.ts';

/** The step of the default tenant's first admin; other tenants' steps carry their id (`first-admin:<tenant>`). */
export const FIRST_ADMIN_STEP = 'first-admin';

export const firstAdminStep = (tenantId: string): string => (tenantId === DEFAULT_TENANT_ID ? FIRST_ADMIN_STEP : `${FIRST_ADMIN_STEP}:${tenantId}`);
export const SETUP_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

export type SetupState =
  | { readonly status: 'complete' }
  | { readonly status: 'issued'; readonly token: string; readonly expiresAt: Date }
  | { readonly status: 'pending'; readonly issuedByNode: string; readonly expiresAt: Date };

/**
 * Makes sure a first-admin token exists while setup is pending. `rotate` replaces a still-valid
 * token (embedded start-up, `kefu setup-token`); otherwise a valid token is kept.
 */
export async function ensureSetupToken(
  em: EntityManager,
  options: { tenantId: string; now: Date; nodeId: string; rotate: boolean },
): Promise<SetupState> {
  try {
    return await issueOrKeep(em, options);
  } catch (error) {
    // Two cluster nodes found no row and both inserted (a duplicate key, or InnoDB's gap locks
    // turning the race into a deadlock): the loser retries and finds the winner's token.
    if (!(error instanceof UniqueConstraintViolationException || error instanceof DeadlockException)) throw error;
    return issueOrKeep(em, options);
  }
}

async function issueOrKeep(
  em: EntityManager,
  { tenantId, now, nodeId, rotate }: { tenantId: string; now: Date; nodeId: string; rotate: boolean },
): Promise<SetupState> {
  return em.transactional(async (tx) => {
    const step = firstAdminStep(tenantId);
    const row = await tx.findOne(SetupToken, { step }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (row?.redeemedAt) return { status: 'complete' } as const;
    if (row && !rotate && row.expiresAt > now) {
      return { status: 'pending', issuedByNode: row.issuedByNode, expiresAt: row.expiresAt } as const;
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + SETUP_TOKEN_TTL_MS);
    const values = { tokenHash: secretHash(token), issuedAt: now, expiresAt, issuedByNode: nodeId, redeemedAt: null };
    if (row) tx.assign(row, values);
    else tx.create(SetupToken, { step, ...values });
    return { status: 'issued', token, expiresAt } as const;
  });
}

/**
 * Redeems the token exactly once: true if it matched, was unexpired and unused; the step is then
 * complete. Must run inside the caller's transaction (the row is locked FOR UPDATE on MySQL, so two
 * nodes cannot both redeem it; SQLite serialises writers itself), in which the caller also creates
 * the first admin.
 */
export async function redeemSetupToken(em: EntityManager, tenantId: string, token: string, now: Date): Promise<boolean> {
  const row = await em.findOne(SetupToken, { step: firstAdminStep(tenantId) }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!row || row.redeemedAt || row.expiresAt <= now) return false;
  const given = Buffer.from(secretHash(token), 'hex');
  const stored = Buffer.from(row.tokenHash, 'hex');
  if (given.length !== stored.length || !timingSafeEqual(given, stored)) return false;
  row.redeemedAt = now;
  await em.flush();
  return true;
}

/** Whether the tenant's first admin exists (its setup token was redeemed). */
export async function setupComplete(em: EntityManager, tenantId: string): Promise<boolean> {
  const row = await em.findOne(SetupToken, { step: firstAdminStep(tenantId) });
  return Boolean(row?.redeemedAt);
}
