import fc from 'fast-check';
import { DEFAULT_SHARD_COUNT, assignment, ownerOf, ownerOfActor, shardOf } from './placement.ts';

const nodes = (n: number): string[] => Array.from({ length: n }, (_, i) => `node-${i + 1}`);
const moved = (a: readonly (string | null)[], b: readonly (string | null)[]): number => a.filter((owner, i) => owner !== b[i]).length;

test('an actor id always maps to the same shard, within range', () => {
  fc.assert(
    fc.property(fc.string(), fc.integer({ min: 1, max: 4096 }), (id, count) => {
      const shard = shardOf(id, count);
      expect(shard).toBe(shardOf(id, count));
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(count);
    }),
  );
});

test('owners do not depend on the order nodes are listed in', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 12 }), fc.nat({ max: 255 }), (ids, shard) => {
      expect(ownerOf(shard, ids)).toBe(ownerOf(shard, [...ids].reverse()));
    }),
  );
  expect(ownerOf(3, [])).toBeNull();
});

test.each([
  ['short ids', (i: number) => `n${i}`],
  ['role ids', (i: number) => `actors-${i}`],
  ['host-pid ids', (i: number) => `vm-${4000 + i}`],
])('shards spread evenly whatever the node ids look like (%s): each node owns ≈ 1/N', (_kind, name) => {
  for (const n of [2, 3, 5, 8]) {
    const ids = Array.from({ length: n }, (_, i) => name(i + 1));
    const owners = assignment(ids);
    for (const node of ids) {
      const share = owners.filter((o) => o === node).length / DEFAULT_SHARD_COUNT;
      expect(share).toBeGreaterThan(0.6 / n);
      expect(share).toBeLessThan(1.4 / n);
    }
  }
});

test('when a node leaves, only its own shards move', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 10 }), fc.nat(), (n, pick) => {
      const before = assignment(nodes(n));
      const gone = nodes(n)[pick % n]!;
      const after = assignment(nodes(n).filter((x) => x !== gone));
      before.forEach((owner, shard) => {
        if (owner !== gone) expect(after[shard]).toBe(owner);
        else expect(after[shard]).not.toBe(gone);
      });
    }),
  );
});

test('when a node joins, only the shards it wins move, ≈ 1/N — never ≈ 1/2', () => {
  for (const n of [2, 3, 4, 6]) {
    const before = assignment(nodes(n));
    const after = assignment(nodes(n + 1));
    const fraction = moved(before, after) / DEFAULT_SHARD_COUNT;
    expect(after.filter((o, i) => o !== before[i]).every((o) => o === `node-${n + 1}`)).toBe(true);
    expect(fraction).toBeGreaterThan(0.5 / (n + 1));
    expect(fraction).toBeLessThan(1.6 / (n + 1));
  }
});

test('every caller computes the same owner for an actor', () => {
  expect(ownerOfActor('conversation:42', nodes(3))).toBe(ownerOf(shardOf('conversation:42'), nodes(3)));
});
