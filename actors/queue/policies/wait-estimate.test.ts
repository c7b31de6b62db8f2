import { estimateWaitMs } from './wait-estimate.ts';

test.each([
  ['at the head, no history: one handle time over the capacity', { position: 1, recentAssignments: [], onlineCapacity: 10, defaultHandleTimeMs: 300_000 }, 30_000],
  ['no agent online: one handle time per position', { position: 3, recentAssignments: [], onlineCapacity: 0, defaultHandleTimeMs: 60_000 }, 180_000],
  ['observed drain: 4 assignments in 30 s → 10 s each', { position: 5, recentAssignments: [0, 10_000, 20_000, 30_000], onlineCapacity: 10, defaultHandleTimeMs: 1 }, 50_000],
  ['nobody waiting ahead', { position: 0, recentAssignments: [0, 1], onlineCapacity: 1, defaultHandleTimeMs: 1 }, 0],
])('%s', (_why, input, expected) => {
  expect(estimateWaitMs(input)).toBe(expected);
});
