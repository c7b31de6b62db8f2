import fc from 'fast-check';
import { Mailboxes } from './mailbox.ts';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('commands to one actor run one at a time, in posting order, even when they take different times', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.record({ actor: fc.constantFrom('a', 'b', 'c'), delay: fc.integer({ min: 0, max: 3 }) }), { maxLength: 30 }), async (posts) => {
      const boxes = new Mailboxes();
      const running = new Map<string, number>();
      const order = new Map<string, number[]>();
      await Promise.all(
        posts.map((p, i) =>
          boxes.post(p.actor, async () => {
            running.set(p.actor, (running.get(p.actor) ?? 0) + 1);
            expect(running.get(p.actor)).toBe(1);
            await tick(p.delay);
            order.set(p.actor, [...(order.get(p.actor) ?? []), i]);
            running.set(p.actor, running.get(p.actor)! - 1);
          }),
        ),
      );
      for (const [actor, seen] of order) {
        expect(seen).toEqual(posts.flatMap((p, i) => (p.actor === actor ? [i] : [])));
      }
      expect(boxes.busy).toBe(0);
    }),
    { numRuns: 50 },
  );
});

test('a failing command rejects its own caller only; the next one still runs', async () => {
  const boxes = new Mailboxes();
  const first = boxes.post('a', () => Promise.reject(new Error('boom')));
  const second = boxes.post('a', () => 'ok');
  await expect(first).rejects.toThrow('boom');
  await expect(second).resolves.toBe('ok');
});

test('depth counts waiting and running commands, and empty mailboxes are dropped', async () => {
  const boxes = new Mailboxes();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const a = boxes.post('x', () => gate);
  const b = boxes.post('x', () => 1);
  expect(boxes.depth('x')).toBe(2);
  expect(boxes.busy).toBe(1);
  release();
  await Promise.all([a, b]);
  expect(boxes.depth('x')).toBe(0);
  expect(boxes.busy).toBe(0);
});
