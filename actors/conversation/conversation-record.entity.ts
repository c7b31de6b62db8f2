/**
 * The conversation record as a table (`kefu_conversation_record`): one row per conversation, the
 * fold of its lifecycle events (record.ts), written by the persister (cluster) or as the events are
 * published (embedded). History lists and filters conversations by it; their messages are in
 * `kefu_message`. Times are epoch milliseconds; the `*_at` columns of the fold's clocks let a
 * late or repeated event leave newer parts alone.
 */
import { defineEntity, p } from '@mikro-orm/core';

export const ConversationRecordRow = defineEntity({
  name: 'ConversationRecordRow',
  tableName: 'kefu_conversation_record',
  indexes: [
    { properties: ['tenantId', 'createdAt'] },
    { properties: ['tenantId', 'agentId', 'createdAt'] },
    { properties: ['tenantId', 'skillGroupId', 'createdAt'] },
    { properties: ['tenantId', 'visitorId', 'createdAt'] },
  ],
  properties: {
    conversationId: p.string().length(191).primary(),
    tenantId: p.string().length(64),
    channelId: p.string().length(64),
    visitorId: p.string().length(64),
    /** '' when the visitor gave no name. (Columns are not nullable: see kefu_actor_state.index_key.) */
    visitorName: p.string().length(200),
    createdAt: p.bigint('number'),
    /** '' when not routed yet. */
    skillGroupId: p.string().length(64),
    skillGroupAt: p.bigint('number'),
    /** The last agent it was given to; '' when none yet. */
    agentId: p.string().length(64),
    agentAt: p.bigint('number'),
    /** open or closed. */
    status: p.string().length(16),
    statusAt: p.bigint('number'),
    /** 0 when no agent replied yet; likewise closed_at, rated_at. */
    firstReplyAt: p.bigint('number'),
    closedAt: p.bigint('number'),
    closeReason: p.string().length(32),
    closedBy: p.string().length(16),
    summary: p.text(),
    offlineReason: p.string().length(32),
    messageLeft: p.text(),
    /** 0 when not rated (scores are 1–5). */
    score: p.integer(),
    comment: p.text(),
    ratedAt: p.bigint('number'),
    /** JSON array of the tags (actors/conversation/tags.ts: nothing in a tag needs escaping inside it). */
    tags: p.text(),
    tagsAt: p.bigint('number'),
  },
});
