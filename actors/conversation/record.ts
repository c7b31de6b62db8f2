/**
 * The conversation record: what history lists and filters by (channel, visitor, skill group,
 * agent, when, how it ended, the rating, the tags), folded from the conversation's lifecycle events — in
 * cluster mode by the persister from `kefu.conversations.v1`, in embedded mode as the events are
 * published. Pure.
 *
 * Events arrive at least once and not always in order (a retried publication overtakes a later
 * one), so folding is idempotent and each part of the record keeps the time it was last set: an
 * event older than what a part already shows does not change that part.
 */
import type { ConversationEvent } from './protocol.ts';

/** A lifecycle event as the log carries it: with its tenant. */
export type LoggedConversationEvent = ConversationEvent & { readonly tenantId: string };

export type ConversationRecord = {
  readonly conversationId: string;
  readonly tenantId: string;
  /** '' until the `created` event was seen. */
  readonly channelId: string;
  readonly visitorId: string;
  readonly visitorName: string | null;
  readonly createdAt: number;
  /** Its skill group, and the last agent it was given to — each with the time of the event that set it. */
  readonly skillGroupId: string | null;
  readonly skillGroupAt: number;
  readonly agentId: string | null;
  readonly agentAt: number;
  readonly status: 'open' | 'closed';
  readonly statusAt: number;
  readonly firstReplyAt: number | null;
  readonly closedAt: number | null;
  readonly closeReason: string | null;
  readonly closedBy: string | null;
  readonly summary: string | null;
  /** Why the visitor was offered to leave a message instead of chatting, if they were. */
  readonly offlineReason: string | null;
  readonly messageLeft: string | null;
  readonly score: number | null;
  readonly comment: string | null;
  readonly ratedAt: number;
  /** What its agents tagged it with, and the time of the event that set them. */
  readonly tags: readonly string[];
  readonly tagsAt: number;
};

const empty = (e: LoggedConversationEvent): ConversationRecord => ({
  conversationId: e.conversationId,
  tenantId: e.tenantId,
  channelId: '',
  visitorId: '',
  visitorName: null,
  createdAt: e.at,
  skillGroupId: null,
  skillGroupAt: 0,
  agentId: null,
  agentAt: 0,
  status: 'open',
  statusAt: 0,
  firstReplyAt: null,
  closedAt: null,
  closeReason: null,
  closedBy: null,
  summary: null,
  offlineReason: null,
  messageLeft: null,
  score: null,
  comment: null,
  ratedAt: 0,
  tags: [],
  tagsAt: 0,
});

/** The record after one more event (the same event twice changes nothing). */
export function foldEvent(record: ConversationRecord | null, e: LoggedConversationEvent): ConversationRecord {
  const r = record ?? empty(e);
  const routed = (skillGroupId: string | null, agentId: string | null): ConversationRecord => ({
    ...r,
    ...(skillGroupId !== null && e.at >= r.skillGroupAt ? { skillGroupId, skillGroupAt: e.at } : {}),
    ...(agentId !== null && e.at >= r.agentAt ? { agentId, agentAt: e.at } : {}),
  });
  const opened = (next: ConversationRecord): ConversationRecord => (e.at >= next.statusAt ? { ...next, status: 'open', statusAt: e.at } : next);
  switch (e.name) {
    case 'conversation.created':
      return { ...routed(e.skillGroupId, null), channelId: e.channelId, visitorId: e.visitor.visitorId, visitorName: e.visitor.displayName, createdAt: Math.min(r.createdAt, e.at) };
    case 'conversation.queued':
      return opened(routed(e.skillGroupId, null));
    case 'conversation.assigned':
      return opened(routed(e.skillGroupId, e.agentId));
    case 'conversation.accepted':
      return opened(routed(null, e.agentId));
    case 'conversation.transferred':
      return opened('agentId' in e.to ? routed(null, e.to.agentId) : routed(e.to.skillGroupId, null));
    case 'conversation.first-agent-reply':
      return { ...r, firstReplyAt: r.firstReplyAt === null ? e.at : Math.min(r.firstReplyAt, e.at) };
    case 'conversation.offline':
      return { ...r, offlineReason: e.reason };
    case 'conversation.message-left':
      return { ...r, messageLeft: e.text };
    case 'conversation.closed':
      if (e.at < r.statusAt) return routed(null, e.agentId);
      return {
        ...routed(null, e.agentId),
        status: 'closed',
        statusAt: e.at,
        closedAt: e.at,
        closeReason: e.reason,
        closedBy: e.by.kind,
        summary: e.summary,
      };
    case 'conversation.reopened':
      return e.at >= r.statusAt ? { ...r, status: 'open', statusAt: e.at, closedAt: null, closeReason: null, closedBy: null, summary: null } : r;
    case 'conversation.rated':
      return e.at >= r.ratedAt ? { ...r, score: e.score, comment: e.comment, ratedAt: e.at } : r;
    case 'conversation.tagged':
      return e.at >= r.tagsAt ? { ...r, tags: e.tags, tagsAt: e.at } : r;
    default: {
      const never: never = e;
      throw new Error(`unknown conversation event ${JSON.stringify(never)}`);
    }
  }
}
