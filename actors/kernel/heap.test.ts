import fc from 'fast-check';
import { Heap } from './heap.ts';

test('pops in order, whatever the pushes', () => {
  fc.assert(
    fc.property(fc.array(fc.integer()), (values) => {
      const heap = new Heap<number>((a, b) => a < b, values);
      const popped: number[] = [];
      while (heap.size > 0) popped.push(heap.pop()!);
      expect(popped).toEqual([...values].sort((a, b) => a - b));
    }),
  );
});

test('an empty heap has nothing to give', () => {
  const heap = new Heap<number>((a, b) => a < b);
  expect(heap.peek()).toBeUndefined();
  expect(heap.pop()).toBeUndefined();
});
