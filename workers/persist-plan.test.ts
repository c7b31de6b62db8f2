import fc from 'fast-check';
import type { MessageLogRecord } from '../cluster/message-log.kafka.ts';
import { planPersist, type ConversationLogPosition } from './persist-plan.ts';

const msg = (conversationId: string, seq: number, epoch: number, text = `m${seq}@${epoch}`): MessageLogRecord => ({
  v: 1,
  type: 'message',
  epoch,
  tenantId: 't1',
  conversationId,
  seq,
  clientMsgId: `c${seq}`,
  from: { kind: 'visitor' },
  visibility: 'public',
  text,
  at: 1_000 + seq,
});
const claim = (conversationId: string, lastSeq: number, epoch: number): MessageLogRecord => ({ v: 1, type: 'claim', epoch, tenantId: 't1', conversationId, lastSeq, at: 5_000 });
const none = new Map<string, ConversationLogPosition>();

test('messages of a current owner are stored, each (conversation, seq) once, the last record winning', () => {
  const plan = planPersist(none, [msg('a', 1, 7), msg('b', 1, 3), msg('a', 2, 7), msg('a', 2, 7, 'again')]);
  expect(plan.messages.map((m) => [m.conversationId, m.seq, m.text])).toEqual([
    ['a', 1, 'm1@7'],
    ['b', 1, 'm1@3'],
    ['a', 2, 'again'],
  ]);
  expect(plan.messages[0]).not.toHaveProperty('v');
  expect(plan.positions.get('a')).toEqual({ tenantId: 't1', epoch: 7, lastSeq: 2 });
  expect(plan.positions.get('b')).toEqual({ tenantId: 't1', epoch: 3, lastSeq: 1 });
  expect(plan.truncations).toEqual([]);
  expect(plan.stale).toBe(0);
});

test('a record older than the highest epoch seen — in this batch or stored — is stale', () => {
  const known = new Map([['a', { tenantId: 't1', epoch: 9, lastSeq: 4 }]]);
  const plan = planPersist(known, [msg('a', 5, 8), msg('a', 5, 9), msg('b', 1, 2), msg('b', 2, 1)]);
  expect(plan.messages.map((m) => [m.conversationId, m.seq, m.epoch])).toEqual([
    ['a', 5, 9],
    ['b', 1, 2],
  ]);
  expect(plan.stale).toBe(2);
  expect(plan.positions.get('a')).toEqual({ tenantId: 't1', epoch: 9, lastSeq: 5 });
});

test('a claim removes what older owners wrote after its lastSeq, here and already stored, and never raises lastSeq', () => {
  const known = new Map([['a', { tenantId: 't1', epoch: 3, lastSeq: 6 }]]);
  // Owner 3 wrote 7 (never acknowledged); owner 4 claims at 5 and re-appends 5 under its epoch.
  const plan = planPersist(known, [msg('a', 7, 3), claim('a', 5, 4), msg('a', 5, 4), msg('a', 6, 3), msg('a', 6, 4, 'new six')]);
  expect(plan.truncations).toEqual([{ conversationId: 'a', afterSeq: 5, belowEpoch: 4 }]);
  expect(plan.messages.map((m) => [m.seq, m.epoch, m.text])).toEqual([
    [5, 4, 'm5@4'],
    [6, 4, 'new six'],
  ]);
  expect(plan.stale).toBe(1);
  expect(plan.positions.get('a')).toEqual({ tenantId: 't1', epoch: 4, lastSeq: 6 });

  // The claim alone lowers lastSeq to what it keeps; the messages it covers raise it when they come.
  expect(planPersist(new Map([['a', { tenantId: 't1', epoch: 3, lastSeq: 2 }]]), [claim('a', 5, 4)]).positions.get('a')).toEqual({ tenantId: 't1', epoch: 4, lastSeq: 2 });
  expect(planPersist(known, [claim('a', 5, 4)]).positions.get('a')).toEqual({ tenantId: 't1', epoch: 4, lastSeq: 5 });
});

test('a claim of the current epoch again (a re-activation) removes nothing', () => {
  const known = new Map([['a', { tenantId: 't1', epoch: 4, lastSeq: 6 }]]);
  const plan = planPersist(known, [claim('a', 5, 4)]);
  expect(plan.truncations).toEqual([]);
  expect(plan.positions.get('a')).toEqual({ tenantId: 't1', epoch: 4, lastSeq: 6 });
});

test('split into batches anywhere, the log stores the same messages (replay after a crash changes nothing)', () => {
  // Owners 1, 2, 3 in turn, each claiming at a random point of what it inherited, some late writes in between.
  const history = fc.array(fc.record({ owner: fc.integer({ min: 1, max: 3 }), seq: fc.integer({ min: 1, max: 8 }), claim: fc.boolean() }), { maxLength: 40 });
  fc.assert(
    fc.property(history, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 40 }), (steps, size, replayFrom) => {
      const records = steps.map((s) => (s.claim ? claim('a', s.seq, s.owner) : msg('a', s.seq, s.owner)));
      const whole = apply(new Map(), new Map(), [records]);
      const batches: MessageLogRecord[][] = [];
      for (let i = 0; i < records.length; i += size) batches.push(records.slice(i, i + size));
      // A persister that dies after some batches re-reads from an earlier offset.
      const replayed = [...batches, records.slice(Math.min(replayFrom, records.length))];
      const split = apply(new Map(), new Map(), batches);
      expect(split).toEqual(whole);
      const again = apply(new Map(), new Map(), replayed);
      expect([...again.rows.keys()].sort()).toEqual([...whole.rows.keys()].sort());
    }),
  );
});

/** Runs plans batch after batch against an in-memory table, as the persister's transactions do. */
function apply(rows: Map<number, { epoch: number; text: string }>, positions: Map<string, ConversationLogPosition>, batches: readonly MessageLogRecord[][]) {
  for (const batch of batches) {
    const plan = planPersist(positions, batch);
    for (const t of plan.truncations) for (const [seq, r] of rows) if (seq > t.afterSeq && r.epoch < t.belowEpoch) rows.delete(seq);
    for (const m of plan.messages) rows.set(m.seq, { epoch: m.epoch, text: m.text });
    for (const [id, p] of plan.positions) positions.set(id, p);
  }
  return { rows, positions };
}
