/**
 * The message log as a table: every message of every conversation, one row per `seq`. The
 * conversation actor writes its messages here in the same transaction as its snapshot (the commit
 * point of embedded mode, and of cluster mode until the Kafka log exists), so a message is durable —
 * and may be acknowledged — exactly when the state that counted it is.
 */
import { defineEntity, p } from '@mikro-orm/core';

export const Message = defineEntity({
  name: 'Message',
  tableName: 'kefu_message',
  indexes: [{ properties: ['tenantId', 'at'] }],
  properties: {
    conversationId: p.string().length(191).primary(),
    /** Strictly increasing by one per conversation, from 1. */
    seq: p.integer().primary(),
    tenantId: p.string().length(64),
    /** The sender's idempotency key ('' for messages the system writes itself). */
    clientMsgId: p.string().length(64),
    /** visitor, agent, supervisor, bot or system. */
    senderKind: p.string().length(16),
    /** The agent's or supervisor's id; '' for the others. (Not nullable: see kefu_actor_state.index_key.) */
    senderId: p.string().length(64),
    /** `internal`: a supervisor's whisper, never shown to the visitor. */
    visibility: p.string().length(16),
    text: p.text(),
    /** A shared file as JSON `{id, name, contentType, size}`; '' when the message has none. */
    attachment: p.text(),
    /** When the conversation accepted it (epoch ms). */
    at: p.bigint('number'),
    /** The fencing epoch of the owner that wrote it. */
    epoch: p.bigint('number'),
  },
});
