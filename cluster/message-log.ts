/**
 * The message log: every message of a conversation in `seq` order, the record the visitor's and the
 * agents' acks, resumes and transcripts are served from.
 *
 * Contract: a message is in the log before anyone is told about it (ack or push), and a message a
 * fenced owner tried to write never counts. Reads return committed messages only, in `seq` order,
 * without gaps.
 *
 * Two ways to commit, one per run mode:
 * - embedded: the node's SQLite database, written in the snapshot's transaction
 *   (`message-log.sql.ts`, through ActorStore's journal);
 * - cluster: Kafka (`message-log.kafka.ts`), appended by the owner after its snapshot committed and
 *   before it acknowledges; the persister (workers/persister.ts) then writes the same table the
 *   reads use, and readers wait for it (`SqlMessageLog` with `awaitPersister`).
 */
import type { MessageRecord } from '../actors/conversation/protocol.ts';

export type LoggedMessage = MessageRecord & { readonly tenantId: string; readonly conversationId: string };

export type ReadOptions = {
  limit: number;
  /** Leave out internal whispers (what a visitor may see). */
  publicOnly: boolean;
  /** The conversation's last committed `seq` as its owner told the reader: nothing later is returned, and a reader that persists asynchronously waits until it holds everything up to it. */
  through: number;
};

export type MessageLog = {
  /** Up to `limit` messages of a conversation with `afterSeq < seq ≤ through`, ascending. */
  read(conversationId: string, afterSeq: number, options: ReadOptions): Promise<LoggedMessage[]>;
};

/** The owner that appends: its shard lease's epoch fences what it writes. */
export type LogOwner = { readonly shard: number; readonly epoch: number };

/**
 * What an owner appends to an external log:
 * - `message`: a message, at its `seq`;
 * - `claim`: a new owner (a higher epoch) took the conversation over with `lastSeq` as the last
 *   message it knows of. Whatever an older owner appended after `lastSeq` was never acknowledged
 *   (its lease had run out) and is not part of the conversation.
 */
export type LogEntry =
  | { readonly type: 'message'; readonly message: LoggedMessage }
  | { readonly type: 'claim'; readonly tenantId: string; readonly conversationId: string; readonly lastSeq: number; readonly at: number };

/**
 * A message log outside the node's database (Kafka). `append` resolves once every entry is durable
 * and rejects — with nothing acknowledged — when the log cannot take them now (LogUnavailableError).
 */
export type ExternalMessageLog = {
  append(entries: readonly LogEntry[], owner: LogOwner): Promise<void>;
};

/** The external log did not confirm an append (broker down, timeout): retry later; nothing was acknowledged. */
export class LogUnavailableError extends Error {
  readonly type = 'LOG_UNAVAILABLE';
  constructor(cause: unknown) {
    super(`the message log did not confirm the append (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = 'LogUnavailableError';
  }
}

/** A reader that waits for the persister gave up: the log is further behind than a reader should wait. */
export class LogBehindError extends Error {
  readonly type = 'LOG_BEHIND';
  constructor(conversationId: string, through: number, persisted: number) {
    super(`conversation ${conversationId}: messages up to ${through} are committed but only ${persisted} are stored yet`);
    this.name = 'LogBehindError';
  }
}
