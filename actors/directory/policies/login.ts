/**
 * Login abuse rules, pure: how many wrong passwords lock an account and for how long, and what a
 * password must be. The per-address rate limit sits in the gateway (it protects the hashing pool).
 */

export const LOGIN_POLICY = {
  /** Wrong passwords in a row that lock the account. */
  maxFailures: 5,
  /** How long a lock lasts; each further lock in a row doubles it, up to `maxLockMs`. */
  lockMs: 15 * 60 * 1000,
  maxLockMs: 24 * 60 * 60 * 1000,
} as const;

export type LoginRecord = {
  /** Wrong passwords since the last success (or the last lock). */
  readonly failures: number;
  /** Locks in a row without a success between them. */
  readonly locks: number;
  /** Epoch milliseconds. */
  readonly lockedUntil: number | null;
};

export const isLocked = (record: LoginRecord, now: number): boolean => record.lockedUntil !== null && record.lockedUntil > now;

export function afterFailure(record: LoginRecord, now: number): LoginRecord {
  const failures = record.failures + 1;
  if (failures < LOGIN_POLICY.maxFailures) return { ...record, failures };
  const lockMs = Math.min(LOGIN_POLICY.lockMs * 2 ** record.locks, LOGIN_POLICY.maxLockMs);
  return { failures: 0, locks: record.locks + 1, lockedUntil: now + lockMs };
}

export const AFTER_SUCCESS: LoginRecord = { failures: 0, locks: 0, lockedUntil: null };

export const PASSWORD_RULES = { minLength: 10, maxLength: 200 } as const;

/** Why a new password is refused, or null when it is acceptable (NIST 800-63B: length over composition rules). */
export function passwordProblem(password: string, context: { readonly email: string; readonly displayName: string }): string | null {
  const length = [...password].length;
  if (length < PASSWORD_RULES.minLength) return `at least ${PASSWORD_RULES.minLength} characters`;
  if (length > PASSWORD_RULES.maxLength) return `at most ${PASSWORD_RULES.maxLength} characters`;
  if (new Set(password).size < 4) return 'too repetitive';
  const lower = password.toLowerCase();
  const local = context.email.toLowerCase().split('@')[0] ?? '';
  if ((local.length >= 4 && lower.includes(local)) || lower === context.displayName.toLowerCase()) return 'must not contain your email name or display name';
  return null;
}
