import { ConversationWatchers, WATCH_TRUST_AFTER_MS, WATCH_TTL_MS } from './push-routing.ts';

function watchersAt(start = 1_000_000) {
  const clock = { now: start };
  return { clock, watchers: new ConversationWatchers(() => clock.now) };
}

test('a conversation nobody registered goes to every gateway', () => {
  const { watchers } = watchersAt();
  expect(watchers.nodesOf('c1')).toBeNull();
});

test('a young list is not trusted (it may be missing gateways that have not renewed since a move); then only the registered nodes get pushes', () => {
  const { clock, watchers } = watchersAt();
  watchers.watch('gw-a', ['c1']);
  clock.now += 1_000;
  watchers.watch('gw-b', ['c1']);
  expect(watchers.nodesOf('c1')).toBeNull();
  clock.now += WATCH_TRUST_AFTER_MS;
  watchers.watch('gw-a', ['c1']); // renewals
  watchers.watch('gw-b', ['c1']);
  expect(watchers.nodesOf('c1')?.sort()).toEqual(['gw-a', 'gw-b']);
  expect(watchers.targetsOf('c1', 'message')?.sort()).toEqual(['gw-a', 'gw-b']);
  expect(watchers.targetsOf('c1', 'status')).toBeNull(); // who is in it changed: everyone hears it
  expect(watchers.targetsOf('c1', 'participants')).toBeNull();
  expect(watchers.nodesOf('c2')).toBeNull();
});

test('a registration lapses unless renewed; an unwatch ends it at once; when none is left, pushes go to everyone again', () => {
  const { clock, watchers } = watchersAt();
  watchers.watch('gw-a', ['c1']);
  watchers.watch('gw-b', ['c1']);
  clock.now += WATCH_TRUST_AFTER_MS;
  watchers.watch('gw-a', ['c1']);
  clock.now += WATCH_TTL_MS - WATCH_TRUST_AFTER_MS + 1; // gw-b's first registration has lapsed, gw-a renewed
  expect(watchers.nodesOf('c1')).toEqual(['gw-a']);
  watchers.unwatch('gw-a', ['c1']);
  expect(watchers.nodesOf('c1')).toBeNull();
  expect(watchers.size).toBe(0);
});

test('a conversation activated anew (moved here) starts over: its old list is not trusted', () => {
  const { clock, watchers } = watchersAt();
  watchers.watch('gw-a', ['c1']);
  clock.now += WATCH_TRUST_AFTER_MS;
  watchers.watch('gw-a', ['c1']);
  expect(watchers.nodesOf('c1')).toEqual(['gw-a']);
  watchers.forget('c1');
  watchers.watch('gw-a', ['c1']);
  expect(watchers.nodesOf('c1')).toBeNull();
});

test('sweeping forgets what lapsed', () => {
  const { clock, watchers } = watchersAt();
  watchers.watch('gw-a', ['c1', 'c2', 'c3']);
  expect(watchers.size).toBe(3);
  clock.now += WATCH_TTL_MS + 1;
  watchers.sweep();
  expect(watchers.size).toBe(0);
});
