import { Connections } from './connections.ts';

test('sockets are found by visitor and by conversation, move between conversations, and leave no trace when removed', () => {
  const c = new Connections<string>();
  for (const s of ['tab1', 'tab2', 'other']) c.add(s);
  c.identify('tab1', 'v1');
  c.identify('tab2', 'v1');
  c.identify('other', 'v2');
  c.attach('tab1', 'c1');
  c.attach('tab2', 'c1');
  expect(c.ofVisitor('v1')).toEqual(['tab1', 'tab2']);
  expect(c.ofConversation('c1')).toEqual(['tab1', 'tab2']);
  c.attach('tab2', 'c2');
  expect(c.ofConversation('c1')).toEqual(['tab1']);
  expect(c.ofConversation('c2')).toEqual(['tab2']);
  c.remove('tab1');
  c.remove('tab2');
  expect([c.ofVisitor('v1'), c.ofConversation('c1'), c.ofConversation('c2')]).toEqual([[], [], []]);
  expect(c.all()).toEqual(['other']);
  expect(c.size).toBe(1);
});
