/** What ActorStore must do on every database it runs on (SQLite in unit tests, MariaDB in integration). */
import type { Database } from './database.ts';
import { ActorStore } from './actor-store.ts';
import type { LoggedMessage } from './message-log.ts';
import { SqlMessageLog } from './message-log.sql.ts';

type ConversationLike = { status: string; lastSeq: number; text: string };

export function actorStoreContract(open: () => Promise<Database>): void {
  let db: Database;
  let store: ActorStore;
  const now = new Date('2026-11-21T10:00:00Z');
  const save = (actorId: string, epoch: number, state: ConversationLike, nextTimerAt: number | null = null, shard = 7) =>
    store.save({ kind: 'conversation', actorId, tenantId: 't1', shard, epoch, state, nextTimerAt, now });

  beforeEach(async () => {
    db = await open();
    store = new ActorStore(db);
  });
  afterEach(async () => {
    await db.close();
  });

  test('a snapshot round-trips with its epoch and version, CJK and emoji intact', async () => {
    expect(await store.load('conversation', 'c1')).toBeNull();
    expect(await save('c1', 1_795_000_000_123, { status: 'queued', lastSeq: 0, text: '你好 👋' })).toBe('saved');
    expect(await store.load<ConversationLike>('conversation', 'c1')).toEqual({ state: { status: 'queued', lastSeq: 0, text: '你好 👋' }, epoch: 1_795_000_000_123, version: 1, outbox: [], unlogged: [] });
    expect(await save('c1', 1_795_000_000_123, { status: 'assigned', lastSeq: 3, text: '' })).toBe('saved');
    expect(await store.load('conversation', 'c1')).toMatchObject({ state: { status: 'assigned', lastSeq: 3 }, version: 2 });
  });

  test('messages the external log has not confirmed are stored with the snapshot (not in the message table), and cleared by a later write', async () => {
    const unlogged = [{ tenantId: 't1', conversationId: 'u1', seq: 1, clientMsgId: 'c1', from: { kind: 'visitor' as const }, visibility: 'public' as const, text: '还没确认 ✉️', at: 5 }];
    await store.save({ kind: 'conversation', actorId: 'u1', tenantId: 't1', shard: 1, epoch: 3, state: { status: 'queued', lastSeq: 1, text: '' }, nextTimerAt: null, unlogged, now });
    expect(await store.load('conversation', 'u1')).toMatchObject({ unlogged });
    expect(await new SqlMessageLog(db).read('u1', 0, { limit: 10, publicOnly: false, through: 1 })).toEqual([]);
    await store.save({ kind: 'conversation', actorId: 'u1', tenantId: 't1', shard: 1, epoch: 3, state: { status: 'queued', lastSeq: 1, text: '' }, nextTimerAt: null, now });
    expect(await store.load('conversation', 'u1')).toMatchObject({ unlogged: [] });
  });

  test('the effects not yet carried out are stored with the snapshot, and cleared by a later write', async () => {
    const outbox = [{ type: 'enqueue', skillGroupId: '售前', priority: 0 }];
    await store.save({ kind: 'conversation', actorId: 'o1', tenantId: 't1', shard: 1, epoch: 3, state: { status: 'queued', lastSeq: 0, text: '' }, nextTimerAt: null, outbox, now });
    expect(await store.load('conversation', 'o1')).toMatchObject({ outbox });
    await save('o1', 3, { status: 'assigned', lastSeq: 1, text: '' });
    expect(await store.load('conversation', 'o1')).toMatchObject({ state: { status: 'assigned' }, outbox: [] });
  });

  test('a newer owner may write; a former owner’s late write is fenced and changes nothing', async () => {
    await save('c2', 10, { status: 'queued', lastSeq: 1, text: 'old owner' });
    expect(await save('c2', 11, { status: 'assigned', lastSeq: 2, text: 'new owner' })).toBe('saved');
    expect(await save('c2', 10, { status: 'closed', lastSeq: 9, text: 'late write' })).toBe('fenced');
    expect(await store.load('conversation', 'c2')).toMatchObject({ state: { text: 'new owner' }, epoch: 11, version: 2 });
  });

  test('the same actor id of another kind is another snapshot', async () => {
    await save('x', 5, { status: 'queued', lastSeq: 0, text: '' });
    expect(await store.save({ kind: 'agent', actorId: 'x', tenantId: 't1', shard: 7, epoch: 1, state: { a: 1 }, nextTimerAt: null, now })).toBe('saved');
    expect(await store.load('agent', 'x')).toMatchObject({ state: { a: 1 }, epoch: 1 });
  });

  test('saves requested together are committed together, each with its own fencing decision', async () => {
    await save('g0', 5, { status: 'queued', lastSeq: 0, text: '' });
    const results = await Promise.all([
      save('g0', 4, { status: 'stale', lastSeq: 0, text: '' }),
      ...Array.from({ length: 50 }, (_, i) => save(`g${i + 1}`, 1, { status: 'queued', lastSeq: i, text: '' })),
    ]);
    expect(results[0]).toBe('fenced');
    expect(results.slice(1).every((r) => r === 'saved')).toBe(true);
    expect(await store.load('conversation', 'g50')).toMatchObject({ state: { lastSeq: 49 } });
    expect(await store.load('conversation', 'g0')).toMatchObject({ state: { status: 'queued' }, epoch: 5 });
  });

  test('a burst larger than one batch is split over several, none lost; each batch is counted', async () => {
    const batches: { rows: number; seconds: number }[] = [];
    store = new ActorStore(db, { written: (rows, seconds) => batches.push({ rows, seconds }) });
    const big = 'x'.repeat(20_000); // 1,200 × 20 kB: more than one batch by rows and by size
    const results = await Promise.all(Array.from({ length: 1_200 }, (_, i) => save(`b${i}`, 2, { status: 'queued', lastSeq: i, text: big })));
    expect(results.filter((r) => r === 'saved')).toHaveLength(1_200);
    expect(batches.length).toBeGreaterThan(2);
    expect(batches.reduce((sum, b) => sum + b.rows, 0)).toBe(1_200);
    expect(batches.every((b) => b.rows <= 500 && b.seconds > 0)).toBe(true);
    expect(await store.load('conversation', 'b1199')).toMatchObject({ state: { lastSeq: 1_199 }, epoch: 2, version: 1 });
  });

  test('a new owner finds the pending timers of its shards', async () => {
    await save('t1', 1, { status: 'assigned', lastSeq: 0, text: '' }, 1_795_000_000_000, 3);
    await save('t2', 1, { status: 'closed', lastSeq: 0, text: '' }, null, 3);
    await save('t3', 1, { status: 'assigned', lastSeq: 0, text: '' }, 1_795_000_000_500, 4);
    expect(await store.pendingTimers('conversation', [3])).toEqual([{ actorId: 't1', at: 1_795_000_000_000 }]);
    expect((await store.pendingTimers('conversation', [3, 4])).map((t) => t.actorId).sort()).toEqual(['t1', 't3']);
    expect(await store.pendingTimers('agent', [3, 4])).toEqual([]);
    await save('t1', 1, { status: 'closed', lastSeq: 0, text: '' }, null, 3);
    expect(await store.pendingTimers('conversation', [3])).toEqual([]);
  });

  test('racing first writes of two owners (two nodes, separate transactions): the higher epoch wins, whatever the order', async () => {
    const otherNode = new ActorStore(db);
    for (let i = 0; i < 30; i++) {
      const id = `race-${i}`;
      const older = save(id, 20, { status: 'a', lastSeq: 0, text: '' });
      const newer = otherNode.save({ kind: 'conversation', actorId: id, tenantId: 't1', shard: 7, epoch: 21, state: { status: 'b', lastSeq: 0, text: '' }, nextTimerAt: null, now });
      const [a, b] = i % 2 === 0 ? await Promise.all([older, newer]) : (await Promise.all([newer, older])).reverse();
      expect(b).toBe('saved');
      expect(['saved', 'fenced']).toContain(a);
      expect(await store.load('conversation', id)).toMatchObject({ state: { status: 'b' }, epoch: 21 });
    }
  });

  describe('the journal (message log rows written with the snapshot)', () => {
    const message = (conversationId: string, seq: number, text: string, from: LoggedMessage['from'] = { kind: 'visitor' }): LoggedMessage => ({
      tenantId: 't1',
      conversationId,
      seq,
      clientMsgId: `m${seq}`,
      from,
      text,
      visibility: from.kind === 'supervisor' ? 'internal' : 'public',
      at: 1_795_000_000_000 + seq,
    });
    const saveWith = (actorId: string, epoch: number, lastSeq: number, journal: LoggedMessage[]) =>
      store.save({ kind: 'conversation', actorId, tenantId: 't1', shard: 1, epoch, state: { status: 'assigned', lastSeq, text: '' }, nextTimerAt: null, journal, now });

    test('messages are readable in seq order after their save, senders and CJK intact; whispers only for the agents’ side', async () => {
      const log = new SqlMessageLog(db);
      await saveWith('j1', 1, 2, [message('j1', 1, '你好'), message('j1', 2, 'hi 👋', { kind: 'agent', agentId: 'a7' })]);
      await saveWith('j1', 1, 3, [message('j1', 3, 'psst', { kind: 'supervisor', supervisorId: 's1' })]);
      expect((await log.read('j1', 0, { limit: 10, publicOnly: false, through: 100 })).map((m) => [m.seq, m.from, m.text])).toEqual([
        [1, { kind: 'visitor' }, '你好'],
        [2, { kind: 'agent', agentId: 'a7' }, 'hi 👋'],
        [3, { kind: 'supervisor', supervisorId: 's1' }, 'psst'],
      ]);
      expect((await log.read('j1', 1, { limit: 10, publicOnly: true, through: 100 })).map((m) => m.seq)).toEqual([2]);
      expect((await log.read('j1', 0, { limit: 1, publicOnly: false, through: 100 })).map((m) => m.seq)).toEqual([1]);
      expect(await log.read('other', 0, { limit: 10, publicOnly: false, through: 100 })).toEqual([]);
      // Nothing past what the owner reported committed, and nothing when the reader is there already.
      expect((await log.read('j1', 0, { limit: 10, publicOnly: false, through: 2 })).map((m) => m.seq)).toEqual([1, 2]);
      expect(await log.read('j1', 3, { limit: 10, publicOnly: false, through: 3 })).toEqual([]);
    });

    test('a fenced save writes none of its messages; a repeated write of the same seq does not fail', async () => {
      const log = new SqlMessageLog(db);
      await saveWith('j2', 5, 1, [message('j2', 1, 'from the new owner')]);
      expect(await saveWith('j2', 4, 2, [message('j2', 2, 'late write of a paused owner')])).toBe('fenced');
      expect((await log.read('j2', 0, { limit: 10, publicOnly: false, through: 100 })).map((m) => m.text)).toEqual(['from the new owner']);
      expect(await saveWith('j2', 5, 1, [message('j2', 1, 'from the new owner')])).toBe('saved');
      expect(await log.read('j2', 0, { limit: 10, publicOnly: false, through: 100 })).toHaveLength(1);
    });

    test('in one batch, the fenced save’s messages are left out and the others’ written', async () => {
      const log = new SqlMessageLog(db);
      await saveWith('j3', 9, 0, []);
      const [fenced, saved] = await Promise.all([saveWith('j3', 8, 1, [message('j3', 1, 'stale')]), saveWith('j4', 1, 1, [message('j4', 1, 'fresh')])]);
      expect([fenced, saved]).toEqual(['fenced', 'saved']);
      expect(await log.read('j3', 0, { limit: 10, publicOnly: false, through: 100 })).toEqual([]);
      expect((await log.read('j4', 0, { limit: 10, publicOnly: false, through: 100 })).map((m) => m.text)).toEqual(['fresh']);
    });
  });
}
