/**
 * The event log: the lifecycle events of conversations and the presence events of agents, made
 * durable after the decision that produced them. They travel through the actor's outbox
 * (actor-host.ts): written with the snapshot, published, and published again by whichever node
 * activates the actor next if it was not confirmed — at least once, so their consumers are
 * idempotent (record.ts folds them so).
 *
 * Implementations, one per run mode:
 * - cluster: Kafka topics `kefu.conversations.v1` and `kefu.agents.v1` (event-log.kafka.ts), for
 *   integrators and the persister, which folds conversation events into `kefu_conversation_record`;
 * - embedded: `SqlEventLog` below folds conversation events into the same table directly. Agent
 *   presence has no consumer there (no integrators), so it is not kept.
 */
import type { AgentEvent } from '../actors/agent/protocol.ts';
import type { ConversationRecords } from '../actors/conversation/conversation-record.repository.ts';
import type { LoggedConversationEvent } from '../actors/conversation/record.ts';

export type LoggedAgentEvent = AgentEvent & { readonly tenantId: string };
export type LoggedEvent = LoggedConversationEvent | LoggedAgentEvent;

export type EventLog = {
  /** Resolves once the events are durable; rejects (and the outbox tries again) when they could not be made so. */
  publish(events: readonly LoggedEvent[]): Promise<void>;
};

export const isConversationEvent = (e: LoggedEvent): e is LoggedConversationEvent => e.name.startsWith('conversation.');

export class SqlEventLog implements EventLog {
  readonly #records: ConversationRecords;

  constructor(records: ConversationRecords) {
    this.#records = records;
  }

  publish(events: readonly LoggedEvent[]): Promise<void> {
    return this.#records.apply(events.filter(isConversationEvent));
  }
}
