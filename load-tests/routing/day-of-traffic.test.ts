import { percentile } from '../stats.ts';
import { DEFAULT_DAY, prng, runDay } from './day-of-traffic.ts';

const small = { ...DEFAULT_DAY, arrivalsPerDay: 600, agentsEarly: 4, agentsLate: 3 };

test('a seed replays exactly', () => {
  const a = runDay({ ...small, policy: 'idle-first' });
  const b = runDay({ ...small, policy: 'idle-first' });
  expect(b).toEqual(a);
  expect(runDay({ ...small, seed: small.seed + 1, policy: 'idle-first' }).waits).not.toEqual(a.waits);
});

test('every visitor is accounted for: reached an agent, or gave up', () => {
  for (const policy of ['idle-first', 'least-busy', 'round-robin'] as const) {
    const r = runDay({ ...small, policy });
    expect(r.arrivals).toBeGreaterThan(0);
    expect(r.assigned + r.abandoned).toBe(r.arrivals);
    expect(r.waits).toHaveLength(r.assigned);
    expect(r.utilisation).toBeGreaterThan(0);
    expect(r.utilisation).toBeLessThanOrEqual(1);
  }
});

test('percentiles and the generator behave', () => {
  expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
  expect(percentile([5, 1, 4, 2, 3], 100)).toBe(5);
  expect(percentile([], 90)).toBe(0);
  const r = prng(1);
  const xs = Array.from({ length: 1000 }, r);
  expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
  expect(Math.max(...xs)).toBeLessThan(1);
});
