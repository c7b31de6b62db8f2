/**
 * Estimated waiting time shown to a visitor in the queue.
 *
 * Kefu measures how fast this queue actually drains: the rate of its recent assignments
 * (the last `WINDOW` of them, while it had visitors waiting). A visitor at position p waits about
 * p / rate. This follows the agents' real concurrency and speed, where the usual estimate
 * (Rocket.Chat: ((p − 1) / agents + 1) × average chat duration) assumes one chat per agent at a
 * time and overestimates when agents run several chats at once.
 *
 * Until the queue has seen two assignments, it falls back to p × handle time ÷ online capacity.
 */
export const WINDOW = 20;

export function estimateWaitMs(input: {
  position: number;
  recentAssignments: readonly number[];
  onlineCapacity: number;
  defaultHandleTimeMs: number;
}): number {
  const { position, recentAssignments: times, onlineCapacity, defaultHandleTimeMs } = input;
  if (position <= 0) return 0;
  if (times.length >= 2) {
    const span = times[times.length - 1]! - times[0]!;
    if (span > 0) return Math.round((position * span) / (times.length - 1));
  }
  return Math.round((position * defaultHandleTimeMs) / Math.max(1, onlineCapacity));
}
