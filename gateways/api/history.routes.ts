/** Routes of history: conversation records, transcripts and message search (actors/history/history.ts). */
import { z } from 'zod';
import type { ConversationRecord } from '../../actors/conversation/record.ts';
import type { HistoryFilter, SearchHit } from '../../actors/history/history.ts';
import type { LoggedMessage } from '../../cluster/message-log.ts';
import { invalid, notFound } from '../../actors/directory/context.ts';
import type { ApiContext } from './identity.routes.ts';
import { ok, pathId, route, type Route } from './route.ts';
import * as s from './schemas.ts';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export const conversationView = (r: ConversationRecord): z.infer<typeof s.historyConversation> => ({
  id: r.conversationId,
  channelId: r.channelId,
  visitor: { id: r.visitorId, name: r.visitorName },
  skillGroupId: r.skillGroupId,
  agentId: r.agentId,
  status: r.status,
  createdAt: iso(r.createdAt)!,
  firstReplyAt: iso(r.firstReplyAt),
  closedAt: iso(r.closedAt),
  closeReason: r.closeReason,
  closedBy: r.closedBy,
  summary: r.summary,
  offlineReason: r.offlineReason,
  messageLeft: r.messageLeft,
  rating: r.score === null ? null : { score: r.score, comment: r.comment },
  tags: [...r.tags],
});

const messageView = (m: LoggedMessage): z.infer<typeof s.historyMessage> => ({
  seq: m.seq,
  clientMsgId: m.clientMsgId,
  from: m.from,
  visibility: m.visibility,
  text: m.text,
  ...(m.file ? { file: m.file } : {}),
  at: iso(m.at)!,
  atMs: m.at,
});

const hitView = (h: SearchHit): z.infer<typeof s.searchHit> => ({
  conversationId: h.conversation.conversationId,
  message: messageView(h.message),
  highlights: h.highlights.map(([a, b]) => [a, b]),
  conversation: conversationView(h.conversation),
});

function filterOf(q: z.infer<typeof s.historyQuery>): HistoryFilter {
  const from = q.from ? Date.parse(q.from) : undefined;
  const to = q.to ? Date.parse(q.to) : undefined;
  if (from !== undefined && to !== undefined && from >= to) throw invalid('to', 'must be after from');
  return {
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(q.agentId ? { agentId: q.agentId } : {}),
    ...(q.skillGroupId ? { skillGroupId: q.skillGroupId } : {}),
    ...(q.channelId ? { channelId: q.channelId } : {}),
    ...(q.visitorId ? { visitorId: q.visitorId } : {}),
    ...(q.status ? { status: q.status } : {}),
    ...(q.score ? { score: q.score } : {}),
    ...(q.tag ? { tag: q.tag } : {}),
    ...(q.contactId ? { contactId: q.contactId } : {}),
  };
}

/** The `{id}` of a history route: an id that cannot be a conversation's is one that does not exist. */
function conversationIdOf(params: Readonly<Record<string, string>>): string {
  const id = pathId(params);
  if (!s.conversationId.safeParse(id).success) throw notFound('conversation');
  return id;
}

export function historyRoutes({ history }: ApiContext): Route[] {
  const access = { kind: 'permission', permission: 'history.read' } as const;
  return [
    route({
      method: 'get',
      path: '/api/v1/history/conversations',
      tag: 'History',
      summary: 'Conversations of one’s subtree (and those one served), newest first, filtered',
      access,
      query: s.historyQuery,
      response: z.array(s.historyConversation),
      handler: async ({ caller, query }) => {
        const [createdAt, conversationId] = query.before?.split(',') ?? [];
        const page = { limit: query.limit, ...(createdAt && conversationId ? { before: { createdAt: Number(createdAt), conversationId } } : {}) };
        return ok((await history.list(caller!.principal, filterOf(query), page)).map(conversationView));
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/history/conversations/{id}',
      tag: 'History',
      summary: 'One conversation’s record',
      access,
      response: s.historyConversation,
      handler: async ({ caller, params }) => ok(conversationView(await history.conversation(caller!.principal, conversationIdOf(params)))),
    }),
    route({
      method: 'get',
      path: '/api/v1/history/conversations/{id}/messages',
      tag: 'History',
      summary: 'A page of a conversation’s transcript, in seq order (whispers included)',
      access,
      query: s.transcriptQuery,
      response: z.array(s.historyMessage),
      handler: async ({ caller, params, query }) =>
        ok((await history.transcript(caller!.principal, conversationIdOf(params), { afterSeq: query.after, limit: query.limit })).map(messageView)),
    }),
    route({
      method: 'get',
      path: '/api/v1/history/search',
      tag: 'History',
      summary: 'Messages containing all the words of `q`, newest first, with their conversations and the matched ranges',
      access,
      query: s.searchQuery,
      response: z.array(s.searchHit),
      handler: async ({ caller, query }) => {
        const [at, conversationId, seq] = query.before?.split(',') ?? [];
        const page = { limit: query.limit, ...(at && conversationId && seq ? { before: { at: Number(at), conversationId, seq: Number(seq) } } : {}) };
        return ok((await history.search(caller!.principal, query.q, filterOf(query), page)).map(hitView));
      },
    }),
  ];
}
