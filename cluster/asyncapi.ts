/**
 * The AsyncAPI 3 document of the Kafka topics integrators consume (docs/asyncapi.yaml), generated
 * from the zod schemas the code writes and reads its records with (`npm run asyncapi`). The contract
 * test (asyncapi.test.ts) fails while the file and the code disagree, and validates the records the
 * code produces against the file's schemas.
 */
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { z } from 'zod';
import { AGENTS_TOPIC, CONVERSATIONS_TOPIC, agentEvents, conversationEvents } from './event-log.kafka.ts';
import { MESSAGES_TOPIC, messageLogRecord } from './message-log.kafka.ts';

export const ASYNCAPI_FILE = fileURLToPath(new URL('../docs/asyncapi.yaml', import.meta.url));

/** AsyncAPI's default schema format is a superset of JSON Schema draft-07. */
const payload = (schema: z.ZodType): object => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-7' }) as Record<string, unknown>;
  return rest;
};

/** `conversation.first-agent-reply` → `conversationFirstAgentReply`. */
const componentName = (eventName: string): string => eventName.replace(/[.-](.)/g, (_, c: string) => c.toUpperCase());

/** The channel and components of an event topic: one message per event name. */
function eventChannel(address: string, title: string, description: string, schemas: readonly z.ZodObject[]) {
  const named = schemas.map((schema) => ({ name: (schema.shape as { name: z.ZodLiteral<string> }).name.value, schema }));
  return {
    channel: { address, title, description, messages: Object.fromEntries(named.map(({ name }) => [componentName(name), { $ref: `#/components/messages/${componentName(name)}` }])) },
    components: Object.fromEntries(named.map(({ name, schema }) => [componentName(name), { name, title: name, summary: schema.description ?? name, payload: payload(schema) }])),
  };
}

export function asyncApiDocument(): object {
  const [message, claim] = messageLogRecord.options;
  const conversations = eventChannel(
    CONVERSATIONS_TOPIC,
    'Conversation lifecycle',
    [
      'What happened to each conversation, keyed by conversation id, with when (`at`) and who. Published',
      'after the decision that caused it committed, at least once: a consumer may see an event twice,',
      'and after a retry an older event after a newer one — fold them by `at`, idempotently (Kefu’s',
      'conversation records do: actors/conversation/record.ts).',
    ].join('\n'),
    conversationEvents,
  );
  const agents = eventChannel(
    AGENTS_TOPIC,
    'Agent presence and capacity',
    [
      'Agents’ status and load changes, keyed by agent id, at least once. While one change is still',
      'waiting to be published, a newer one of the same name replaces it: the latest status and the',
      'latest capacity always arrive, a transition that was overtaken may not.',
    ].join('\n'),
    agentEvents,
  );
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Kefu integrator topics',
      version: '1.0.0',
      description: [
        'The Kafka topics of a Kefu cluster, for integrators (reports, CRM sync, data lakes, bots).',
        'Values are JSON objects with a `v` field (the payload version: a change that could break a',
        'consumer gets a new topic, e.g. `kefu.messages.v2`). Topic names are prefixed with',
        '`KEFU_KAFKA_TOPIC_PREFIX` when it is set. Read docs/message-log.md for the guarantees.',
      ].join('\n'),
    },
    defaultContentType: 'application/json',
    channels: {
      messages: {
        address: MESSAGES_TOPIC,
        title: 'Conversation messages',
        description: [
          'Every message of every conversation, keyed by conversation id: one conversation’s records are',
          'in one partition, in the order they were appended. This is the durable log itself — a message',
          'is acknowledged to its sender only once it is here (acks=all).',
          '',
          'Fencing rules every consumer applies (Kefu’s persister does):',
          '1. a record whose `epoch` is lower than the highest epoch already seen for its conversation is',
          '   stale (a paused former owner’s late write, never acknowledged): ignore it;',
          '2. a `claim` removes what lower epochs wrote after its `lastSeq`;',
          '3. for one (conversationId, seq) the last record that is not stale counts (after a failover the',
          '   same message can be appended again under the new owner’s epoch).',
        ].join('\n'),
        messages: {
          message: { $ref: '#/components/messages/conversationMessage' },
          claim: { $ref: '#/components/messages/ownerClaim' },
        },
      },
      conversations: conversations.channel,
      agents: agents.channel,
    },
    operations: {
      consumeMessages: {
        action: 'receive',
        title: 'Consume conversation messages',
        channel: { $ref: '#/channels/messages' },
        messages: [{ $ref: '#/channels/messages/messages/message' }, { $ref: '#/channels/messages/messages/claim' }],
      },
      consumeConversationEvents: {
        action: 'receive',
        title: 'Consume conversation lifecycle events',
        channel: { $ref: '#/channels/conversations' },
        messages: Object.keys(conversations.channel.messages).map((name) => ({ $ref: `#/channels/conversations/messages/${name}` })),
      },
      consumeAgentEvents: {
        action: 'receive',
        title: 'Consume agent presence events',
        channel: { $ref: '#/channels/agents' },
        messages: Object.keys(agents.channel.messages).map((name) => ({ $ref: `#/channels/agents/messages/${name}` })),
      },
    },
    components: {
      messages: {
        conversationMessage: { name: 'message', title: 'A message', summary: 'A message of a conversation, at its seq.', payload: payload(message) },
        ownerClaim: { name: 'claim', title: 'An owner claim', summary: 'A new owner of the conversation and the last seq it knows.', payload: payload(claim) },
        ...conversations.components,
        ...agents.components,
      },
    },
  };
}

/** The document as docs/asyncapi.yaml holds it. */
export function asyncApiYaml(): string {
  return `# Generated by \`npm run asyncapi\` from cluster/asyncapi.ts. Do not edit by hand.\n${stringify(asyncApiDocument(), { lineWidth: 0 })}`;
}
