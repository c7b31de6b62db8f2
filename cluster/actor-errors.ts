/**
 * Errors of the actor runtime. They cross nodes as Moleculer errors, so callers branch on `type`
 * (never on the class): the first four are retryable — the caller recomputes the owner and tries
 * again — and ACTOR_UNREACHABLE is what a caller finally reports when its retries ran out.
 * ACTOR_LOG_UNAVAILABLE is temporary too, but the runtime does not retry it (the owner's log client
 * already did): it goes back to the end client, which sends again with the same client id.
 */
import { Errors } from 'moleculer';

export type ActorErrorType = 'ACTOR_REDIRECT' | 'ACTOR_NOT_READY' | 'ACTOR_FENCED' | 'ACTOR_LEASE_EXPIRED' | 'ACTOR_LOG_UNAVAILABLE' | 'ACTOR_UNREACHABLE';

export const RETRYABLE_ACTOR_ERRORS: ReadonlySet<string> = new Set(['ACTOR_REDIRECT', 'ACTOR_NOT_READY', 'ACTOR_FENCED', 'ACTOR_LEASE_EXPIRED']);

export class ActorError extends Errors.MoleculerRetryableError {
  constructor(message: string, type: ActorErrorType, data: { kind: string; actorId: string; owner?: string | null }) {
    super(message, type === 'ACTOR_UNREACHABLE' ? 503 : 409, type, data);
    this.retryable = type !== 'ACTOR_UNREACHABLE';
    this.name = 'ActorError';
  }

  /** This node does not own the actor's shard; `owner` is who does, as this node sees it. */
  static redirect(kind: string, actorId: string, owner: string | null): ActorError {
    return new ActorError(`${kind} ${actorId} is owned by ${owner ?? 'no node'}`, 'ACTOR_REDIRECT', { kind, actorId, owner });
  }

  /** The shard is being handed over to this node and its lease did not arrive in time. */
  static notReady(kind: string, actorId: string): ActorError {
    return new ActorError(`${kind} ${actorId}: its shard is not ready on this node yet`, 'ACTOR_NOT_READY', { kind, actorId });
  }

  /** A newer owner has written this actor: this node's ownership was stale. */
  static fenced(kind: string, actorId: string): ActorError {
    return new ActorError(`${kind} ${actorId}: superseded by a newer owner`, 'ACTOR_FENCED', { kind, actorId });
  }

  /** The commit happened too close to the end of the lease to be acknowledged; retry. */
  static leaseExpired(kind: string, actorId: string): ActorError {
    return new ActorError(`${kind} ${actorId}: lease ended before the commit could be acknowledged`, 'ACTOR_LEASE_EXPIRED', { kind, actorId });
  }

  /** The message log (Kafka) did not confirm the decision's messages: nothing was acknowledged; retry. */
  static logUnavailable(kind: string, actorId: string, reason: string): ActorError {
    return new ActorError(`${kind} ${actorId}: ${reason}`, 'ACTOR_LOG_UNAVAILABLE', { kind, actorId });
  }

  static unreachable(kind: string, actorId: string, last: string): ActorError {
    return new ActorError(`${kind} ${actorId}: no owner could be reached (${last})`, 'ACTOR_UNREACHABLE', { kind, actorId });
  }
}
