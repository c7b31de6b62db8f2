/**
 * The message log: every message of a conversation in `seq` order, the record the visitor's and the
 * agents' acks, resumes and transcripts are served from.
 *
 * Contract: a message is in the log before anyone is told about it (ack or push), and a message a
 * fenced owner tried to write is never in it. Reads return committed messages only, in `seq`
 * order, without gaps.
 *
 * Implementations: `message-log.sql.ts` (the node's database, written in the snapshot's
 * transaction: embedded mode, and cluster mode until the Kafka log of issue 6 plugs in here).
 */
import type { MessageRecord } from '../actors/conversation/protocol.ts';

export type LoggedMessage = MessageRecord & { readonly tenantId: string; readonly conversationId: string };

export type MessageLog = {
  /** Up to `limit` messages of a conversation with `seq > afterSeq`, ascending. `publicOnly` leaves out internal whispers (what a visitor may see). */
  read(conversationId: string, afterSeq: number, options: { limit: number; publicOnly: boolean }): Promise<LoggedMessage[]>;
};
