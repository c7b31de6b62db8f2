import { progressLine } from './reindex.ts';

test('the progress line shows the share done, the counts and the rate', () => {
  expect(progressLine(0, 200, 0, 10)).toBe('[··········]   0%  0 / 200 messages  0/s');
  expect(progressLine(90, 200, 1_000, 10)).toBe('[#####·····]  45%  90 / 200 messages  90/s');
  expect(progressLine(12_345, 12_345, 500, 10)).toBe('[##########] 100%  12,345 / 12,345 messages  24,690/s');
  expect(progressLine(0, 0, 10, 4)).toBe('[####] 100%  0 / 0 messages  0/s');
});
