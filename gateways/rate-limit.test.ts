import { ConnectionsPerAddress, RatePerAddress, TokenBucket } from './rate-limit.ts';

describe('token bucket', () => {
  test('lets a burst of `capacity` through, then refills at the rate', () => {
    const bucket = new TokenBucket({ capacity: 3, perSecond: 2, now: 0 });
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(400)).toBe(false); // 0.8 of a token
    expect(bucket.take(500)).toBe(true); // 1.0
    expect(bucket.take(500)).toBe(false);
  });

  test('never holds more than its capacity after a long silence', () => {
    const bucket = new TokenBucket({ capacity: 2, perSecond: 10, now: 0 });
    const taken = Array.from({ length: 5 }, () => bucket.take(60_000)).filter(Boolean);
    expect(taken).toHaveLength(2);
  });
});

describe('rate per address', () => {
  test('each address has its own bucket; the table starts over when full instead of growing', () => {
    const rate = new RatePerAddress({ capacity: 1, perSecond: 0.001, maxAddresses: 2 });
    expect([rate.take('a', 0), rate.take('a', 0), rate.take('b', 0)]).toEqual([true, false, true]);
    expect(rate.take('c', 0)).toBe(true); // a third address: the table starts over
    expect(rate.take('a', 0)).toBe(true); // so 'a' has a fresh bucket again
  });
});

describe('connections per address', () => {
  test('refuses the connection over the ceiling, and counts closes', () => {
    const limit = new ConnectionsPerAddress(2);
    expect([limit.tryOpen('10.0.0.1'), limit.tryOpen('10.0.0.1'), limit.tryOpen('10.0.0.1'), limit.tryOpen('10.0.0.2')]).toEqual([true, true, false, true]);
    limit.closed('10.0.0.1');
    expect(limit.count('10.0.0.1')).toBe(1);
    expect(limit.tryOpen('10.0.0.1')).toBe(true);
    limit.closed('10.0.0.2');
    expect(limit.count('10.0.0.2')).toBe(0);
  });
});
