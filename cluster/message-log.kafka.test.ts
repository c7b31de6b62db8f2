import { parseRecord, recordOf } from './message-log.kafka.ts';
import type { LoggedMessage } from './message-log.ts';

const message: LoggedMessage = {
  tenantId: 't1',
  conversationId: 'conv-1',
  seq: 3,
  clientMsgId: 'c-3',
  from: { kind: 'agent', agentId: 'li' },
  visibility: 'public',
  text: '您好 <b>hi</b>',
  file: { id: 'f1', name: '发票.pdf', contentType: 'application/pdf', size: 1234 },
  at: 1_764_000_000_000,
};

test('entries become v1 records carrying the owner’s epoch, and read back as they were written', () => {
  const record = recordOf({ type: 'message', message }, { shard: 5, epoch: 42 });
  expect(record).toEqual({ v: 1, type: 'message', epoch: 42, ...message });
  expect(parseRecord(Buffer.from(JSON.stringify(record)))).toEqual(record);
  const claim = recordOf({ type: 'claim', tenantId: 't1', conversationId: 'conv-1', lastSeq: 7, at: 9 }, { shard: 5, epoch: 43 });
  expect(claim).toEqual({ v: 1, type: 'claim', epoch: 43, tenantId: 't1', conversationId: 'conv-1', lastSeq: 7, at: 9 });
  expect(parseRecord(JSON.stringify(claim))).toEqual(claim);
});

test.each([
  ['no value (a tombstone)', null],
  ['not JSON', '{"v":1,'],
  ['JSON but not an object', '"message"'],
  ['another version', JSON.stringify({ ...recordOf({ type: 'message', message }, { shard: 1, epoch: 1 }), v: 2 })],
  ['an unknown type', JSON.stringify({ ...recordOf({ type: 'message', message }, { shard: 1, epoch: 1 }), type: 'edit' })],
  ['a negative epoch', JSON.stringify({ ...recordOf({ type: 'message', message }, { shard: 1, epoch: 1 }), epoch: -1 })],
  ['seq 0', JSON.stringify({ ...recordOf({ type: 'message', message }, { shard: 1, epoch: 1 }), seq: 0 })],
  ['a sender of no known kind', JSON.stringify({ ...recordOf({ type: 'message', message }, { shard: 1, epoch: 1 }), from: { kind: 'root' } })],
  ['an agent without id', JSON.stringify({ ...recordOf({ type: 'message', message }, { shard: 1, epoch: 1 }), from: { kind: 'agent' } })],
  ['a text that is not a string', JSON.stringify({ ...recordOf({ type: 'message', message }, { shard: 1, epoch: 1 }), text: { $gt: '' } })],
  ['an odd visibility', JSON.stringify({ ...recordOf({ type: 'message', message }, { shard: 1, epoch: 1 }), visibility: 'secret' })],
  ['a malformed file', JSON.stringify({ ...recordOf({ type: 'message', message }, { shard: 1, epoch: 1 }), file: { id: 'f1' } })],
  ['a claim without lastSeq', JSON.stringify({ v: 1, type: 'claim', epoch: 1, tenantId: 't1', conversationId: 'c', at: 1 })],
])('a record that is %s is not a message log record', (_what, value) => {
  expect(parseRecord(value)).toBeNull();
});
