import { AFTER_SUCCESS, LOGIN_POLICY, afterFailure, isLocked, passwordProblem, type LoginRecord } from './login.ts';

const T0 = 1_800_000_000_000;

test('five wrong passwords lock the account; each further lock in a row lasts twice as long, up to a day', () => {
  let r: LoginRecord = AFTER_SUCCESS;
  for (let i = 1; i < LOGIN_POLICY.maxFailures; i++) {
    r = afterFailure(r, T0);
    expect(isLocked(r, T0)).toBe(false);
  }
  r = afterFailure(r, T0);
  expect(r).toEqual({ failures: 0, locks: 1, lockedUntil: T0 + LOGIN_POLICY.lockMs });
  expect(isLocked(r, T0 + LOGIN_POLICY.lockMs - 1)).toBe(true);
  expect(isLocked(r, T0 + LOGIN_POLICY.lockMs)).toBe(false);

  const later = T0 + LOGIN_POLICY.lockMs;
  for (let i = 0; i < LOGIN_POLICY.maxFailures; i++) r = afterFailure(r, later);
  expect(r.lockedUntil).toBe(later + 2 * LOGIN_POLICY.lockMs);

  let many: LoginRecord = { failures: 0, locks: 20, lockedUntil: null };
  for (let i = 0; i < LOGIN_POLICY.maxFailures; i++) many = afterFailure(many, T0);
  expect(many.lockedUntil).toBe(T0 + LOGIN_POLICY.maxLockMs);
});

test.each([
  ['short1234', 'at least 10 characters'],
  ['aaaaaaaaaaaa', 'too repetitive'],
  ['wang.lei-2026!', 'must not contain your email name or display name'],
  ['Wang Lei', 'at least 10 characters'],
  ['correct horse battery', null],
  ['长城长城长城长城长城长城', 'too repetitive'],
  ['我的密码是一二三四五六', null],
])('password %j → %s', (password, problem) => {
  expect(passwordProblem(password, { email: 'wang.lei@example.com', displayName: 'Wang Lei' })).toBe(problem);
});
