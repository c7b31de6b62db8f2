/**
 * What an actor's shell needs from the runtime, as plain functions, so the shells of the three
 * actor kinds do not depend on Moleculer directly.
 */
import type { Rejection } from './decision.ts';

export type SendResult = { readonly ok: true; readonly effects: readonly unknown[] } | (Rejection & { readonly ok: false });

export type ActorPorts = {
  /** Delivers a command to another actor (any node); at-least-once, so commands are idempotent. */
  send(kind: 'conversation' | 'agent' | 'queue', actorId: string, command: unknown): Promise<SendResult>;
  /**
   * Publishes a lifecycle or presence event: at once to the cluster's listeners (gateways' boards),
   * and durably to the event log (integrators, history). Resolves once it is durable; the kinds
   * send events through their outbox, so a rejection is retried.
   */
  publish(event: { readonly name: string; readonly tenantId: string }): Promise<void>;
  /**
   * Pushes something to the connections of a conversation's visitor and/or its agents' side
   * (`agents`: the accounts who hear it there).
   */
  push(conversationId: string, delivery: { readonly to: 'visitor' | 'agents' | 'everyone'; readonly push: unknown; readonly agents: readonly string[] }): void;
  /** Reports an effect that could not be carried out (the runtime logs it). */
  failed(what: string, error: unknown): void;
};

/** Sends without waiting (effects run inside the sender's mailbox; see ActorKind.runEffects). */
export function fireAndForget(ports: ActorPorts, what: string, sending: Promise<unknown>): void {
  sending.catch((error: unknown) => ports.failed(what, error));
}

/**
 * A send the runtime carries out through the actor's outbox (ActorKind.outboxKey): logged if it
 * fails, and still rejected so that the host keeps the effect and tries again.
 */
export function reported<T>(ports: ActorPorts, what: string, sending: Promise<T>): Promise<T> {
  return sending.catch((error: unknown) => {
    ports.failed(what, error);
    throw error;
  });
}
