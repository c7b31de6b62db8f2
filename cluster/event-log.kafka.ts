/**
 * The event log of cluster mode on Kafka (event-log.ts): conversation lifecycle events on
 * `kefu.conversations.v1` keyed by conversation id, agent presence on `kefu.agents.v1` keyed by
 * agent id; JSON values `{v: 1, name, tenantId, at, …}` as docs/asyncapi.yaml documents them
 * (generated from the schemas below). Delivered at least once and, after a retry, not always in
 * order: consumers fold them idempotently and by their `at` (actors/conversation/record.ts).
 */
import { z } from 'zod';
import { MAX_TAGS, TAG_PATTERN } from '../actors/conversation/tags.ts';
import type { BatchingProducer } from './kafka-producer.ts';
import { isConversationEvent, type EventLog, type LoggedEvent } from './event-log.ts';

export const CONVERSATIONS_TOPIC = 'kefu.conversations.v1';
export const AGENTS_TOPIC = 'kefu.agents.v1';

const at = z.number().int().min(0).describe('When it happened (epoch milliseconds).');
const id = z.string().min(1).max(191);
const actor = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('visitor') }),
  z.strictObject({ kind: z.literal('bot') }),
  z.strictObject({ kind: z.literal('system') }),
  z.strictObject({ kind: z.literal('agent'), agentId: id }),
  z.strictObject({ kind: z.literal('supervisor'), supervisorId: id }),
]);
const conversation = { v: z.literal(1), tenantId: z.string().min(1).max(64), conversationId: id, at };
const event = <N extends string, S extends z.ZodRawShape>(name: N, description: string, shape: S) =>
  z.strictObject({ ...conversation, name: z.literal(name), ...shape }).describe(description);

/** The values of `kefu.conversations.v1`, one schema per event name. */
export const conversationEvents = [
  event('conversation.created', 'A visitor started a conversation on a channel.', {
    channelId: id,
    skillGroupId: id,
    visitor: z.strictObject({ visitorId: id, displayName: z.string().nullable(), identified: z.boolean(), vip: z.boolean(), lastAgentId: z.string().nullable() }),
  }),
  event('conversation.queued', 'It waits in a skill group’s queue.', {
    skillGroupId: id,
    priority: z.number().int(),
    reason: z.enum(['opened', 'human-requested', 'transferred', 'overflow', 'agent-lost', 'no-answer', 'reopened']),
  }),
  event('conversation.assigned', 'Routing gave it to an agent (who has not accepted yet).', { agentId: id, skillGroupId: id, waitedMs: z.number().int().min(0) }),
  event('conversation.accepted', 'The agent accepted it.', { agentId: id }),
  event('conversation.first-agent-reply', 'The first agent message.', { agentId: id, sinceCreatedMs: z.number().int() }),
  event('conversation.transferred', 'Moved to another agent or skill group (a transfer, a take-over).', {
    fromAgentId: z.string().nullable(),
    to: z.union([z.strictObject({ agentId: id }), z.strictObject({ skillGroupId: id })]),
    by: actor,
    memo: z.string().nullable(),
  }),
  event('conversation.offline', 'The visitor was offered to leave a message instead.', { reason: z.enum(['outside-working-hours', 'queue-timeout', 'queue-full']) }),
  event('conversation.message-left', 'The visitor left a message.', { text: z.string(), contact: z.string().nullable() }),
  event('conversation.closed', 'It ended; `summary` is the agent’s service summary (服务小结).', {
    by: actor,
    reason: z.enum(['agent', 'visitor', 'supervisor', 'visitor-idle', 'offline-message', 'system']),
    agentId: z.string().nullable(),
    summary: z.string().nullable(),
  }),
  event('conversation.rated', 'The visitor rated it (1–5).', { score: z.number().int().min(1).max(5), comment: z.string().nullable(), agentId: z.string().nullable() }),
  event('conversation.tagged', 'Its agent or a supervisor set its tags (all of them, replacing the ones before).', {
    tags: z.array(z.string().regex(TAG_PATTERN)).max(MAX_TAGS),
    by: actor,
  }),
  event('conversation.reopened', 'A closed conversation was opened again.', {}),
] as const;

const agent = { v: z.literal(1), tenantId: z.string().min(1).max(64), agentId: id, at };
/** The values of `kefu.agents.v1`. */
export const agentEvents = [
  z
    .strictObject({ ...agent, name: z.literal('agent.status-changed'), from: z.enum(['ready', 'busy', 'away', 'offline']), to: z.enum(['ready', 'busy', 'away', 'offline']), by: z.string().nullable() })
    .describe('An agent’s status changed; `by` is the supervisor who forced it, if one did.'),
  z
    .strictObject({ ...agent, name: z.literal('agent.capacity-changed'), load: z.number().int().min(0), maxConversations: z.number().int().min(0) })
    .describe('An agent’s load (conversations held) or capacity changed.'),
] as const;

const conversationEventRecord = z.discriminatedUnion('name', [...conversationEvents]);

/** A `kefu.conversations.v1` value read back, or null for one that is not a v1 event. */
export function parseConversationEvent(value: Buffer | string | null): z.infer<typeof conversationEventRecord> | null {
  if (value === null) return null;
  try {
    const result = conversationEventRecord.safeParse(JSON.parse(value.toString()));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}

const eventTopic = (e: LoggedEvent): string => (isConversationEvent(e) ? CONVERSATIONS_TOPIC : AGENTS_TOPIC);

export class KafkaEventLog implements EventLog {
  readonly #producer: BatchingProducer;
  readonly #prefix: string;

  constructor(producer: BatchingProducer, options: { topicPrefix: string }) {
    this.#producer = producer;
    this.#prefix = options.topicPrefix;
  }

  async publish(events: readonly LoggedEvent[]): Promise<void> {
    await Promise.all(
      events.map((e) =>
        this.#producer.send(`${this.#prefix}${eventTopic(e)}`, [{ key: isConversationEvent(e) ? e.conversationId : e.agentId, value: JSON.stringify({ v: 1, ...e }) }]),
      ),
    );
  }
}
