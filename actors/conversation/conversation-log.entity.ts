/**
 * How far the stored message log (`kefu_message`) of one conversation goes in cluster mode, kept
 * by the persister (workers/persister.ts) in the transaction that writes the messages: the highest
 * message `seq` stored and the highest owner epoch seen in the Kafka log for the conversation.
 * Readers wait for `lastSeq` to reach what the owner committed; the epoch tells the persister which
 * records are stale (cluster/message-log.kafka.ts).
 */
import { defineEntity, p } from '@mikro-orm/core';

export const ConversationLog = defineEntity({
  name: 'ConversationLog',
  tableName: 'kefu_conversation_log',
  properties: {
    conversationId: p.string().length(191).primary(),
    tenantId: p.string().length(64),
    epoch: p.bigint('number'),
    lastSeq: p.integer(),
    updatedAt: p.datetime(),
  },
});
