/**
 * What the persister writes for a batch of `kefu.messages.v1` records — pure, so the fencing rules
 * of the log (cluster/message-log.kafka.ts) are decided and tested in one place:
 *
 *   1. a record with a lower epoch than the highest seen for its conversation is stale: ignored;
 *   2. a claim removes what lower epochs wrote after its `lastSeq`;
 *   3. for one (conversation, seq) the last record that is not stale wins (a re-append after a
 *      failover carries the same message under the new owner's epoch).
 *
 * `lastSeq` is the highest message `seq` stored: readers of cluster mode wait for it to reach the
 * `seq` the owner reported (cluster/message-log.sql.ts). A claim never raises it — the messages it
 * covers may still be on their way (a new owner re-appends what its predecessor committed but had
 * not got confirmed) — it only lowers it past what it removes.
 */
import type { MessageLogRecord } from '../cluster/message-log.kafka.ts';
import type { LoggedMessage } from '../cluster/message-log.ts';

/** How far the stored log of one conversation goes, and the highest owner epoch seen for it. */
export type ConversationLogPosition = { readonly tenantId: string; readonly epoch: number; readonly lastSeq: number };

export type StoredMessage = LoggedMessage & { readonly epoch: number };

export type PersistPlan = {
  /** Run first, in order: remove rows of `conversationId` with `seq > afterSeq` and `epoch < belowEpoch`. */
  readonly truncations: readonly { readonly conversationId: string; readonly afterSeq: number; readonly belowEpoch: number }[];
  /** Then write these (insert or overwrite by conversation and seq). */
  readonly messages: readonly StoredMessage[];
  /** Then store these positions. */
  readonly positions: ReadonlyMap<string, ConversationLogPosition>;
  /** Records ignored as stale. */
  readonly stale: number;
};

export function planPersist(known: ReadonlyMap<string, ConversationLogPosition>, records: readonly MessageLogRecord[]): PersistPlan {
  const positions = new Map<string, ConversationLogPosition>();
  const messages = new Map<string, StoredMessage>();
  const truncations: { conversationId: string; afterSeq: number; belowEpoch: number }[] = [];
  let stale = 0;
  for (const r of records) {
    const c = r.conversationId;
    const current = positions.get(c) ?? known.get(c) ?? { tenantId: r.tenantId, epoch: 0, lastSeq: 0 };
    if (r.epoch < current.epoch) {
      stale++;
      continue;
    }
    if (r.type === 'claim') {
      if (r.epoch > current.epoch) {
        for (const [key, m] of messages) if (m.conversationId === c && m.seq > r.lastSeq && m.epoch < r.epoch) messages.delete(key);
        truncations.push({ conversationId: c, afterSeq: r.lastSeq, belowEpoch: r.epoch });
      }
      positions.set(c, { tenantId: current.tenantId, epoch: r.epoch, lastSeq: r.epoch > current.epoch ? Math.min(current.lastSeq, r.lastSeq) : current.lastSeq });
      continue;
    }
    const { v: _v, type: _type, ...message } = r;
    messages.set(`${c}\0${r.seq}`, message);
    positions.set(c, { tenantId: current.tenantId, epoch: r.epoch, lastSeq: Math.max(current.lastSeq, r.seq) });
  }
  return { truncations, messages: [...messages.values()], positions, stale };
}
