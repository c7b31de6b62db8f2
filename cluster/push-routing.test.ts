import { ServiceBroker } from 'moleculer';
import { waitFor } from '../tests/support.ts';
import { CONVERSATION_PUSHES_EVENT, ConversationWatchers, PushOutbox, pushInboxName, WATCH_TRUST_AFTER_MS, WATCH_TTL_MS, type ConversationPushEvent } from './push-routing.ts';

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

test('the outbox sends one batch per gateway node and turn; a broadcast push goes into every batch, so each node gets a conversation’s pushes in order', async () => {
  const namespace = `push-${Math.random().toString(36).slice(2)}`;
  const broker = (nodeID: string) => new ServiceBroker({ namespace, nodeID, transporter: 'Fake', logger: false });
  const received = new Map<string, string[][]>([['gw-a', []], ['gw-b', []]]);
  const gateways = [...received.keys()].map((id) => {
    const b = broker(id);
    b.createService({
      name: pushInboxName(id),
      events: { [CONVERSATION_PUSHES_EVENT]: { handler: (ctx: { params: { pushes: ConversationPushEvent[] } }) => void received.get(id)!.push(ctx.params.pushes.map((p) => `${p.conversationId}:${(p.push as { text?: string }).text ?? p.push.kind}`)) } },
    });
    return b;
  });
  const owner = broker('owner');
  const { clock, watchers } = watchersAt();
  const outbox = new PushOutbox(owner, watchers, null);
  const all = [owner, ...gateways];
  try {
    await Promise.all(all.map((b) => b.start()));
    await waitFor('the owner to see both inboxes', async () => (owner.registry.getServiceList({ onlyAvailable: true }).filter((s) => s.name.startsWith('push-inbox.')).length === 2 ? true : undefined));
    watchers.watch('gw-a', ['c1']);
    clock.now += WATCH_TRUST_AFTER_MS;
    const push = (conversationId: string, kind: string, text?: string) => outbox.push({ conversationId, to: 'everyone', agents: [], push: { kind, ...(text ? { text } : {}) } as never });
    push('c1', 'message', 'one');
    push('c1', 'status'); // who is in it changed: every gateway hears it
    push('c1', 'message', 'two');
    push('c2', 'message', 'hello'); // nobody registered c2: every gateway
    await waitFor('both batches', async () => (received.get('gw-a')!.length === 1 && received.get('gw-b')!.length === 1 ? true : undefined));
    expect(received.get('gw-a')).toEqual([['c1:one', 'c1:status', 'c1:two', 'c2:hello']]);
    expect(received.get('gw-b')).toEqual([['c1:status', 'c2:hello']]);
  } finally {
    await Promise.all(all.map((b) => b.stop()));
  }
});
