/**
 * The shape of every pure actor step: `decide(state, command, now)` returns the next state and the
 * effects to run (plain data: push, emit, schedule …), or a rejection. An illegal command is a
 * rejection value, never an exception; the Moleculer shell turns rejections into typed errors.
 */

export type Rejection = {
  readonly rejected: RejectionCode;
  readonly message: string;
};

/** Every rejection code of the domain, one vocabulary for all actor kinds. */
export type RejectionCode =
  | 'CONVERSATION_CLOSED'
  | 'CONVERSATION_NOT_OPEN'
  | 'INVALID_TRANSITION'
  | 'NOT_A_PARTICIPANT'
  | 'NOT_ASSIGNED_AGENT'
  | 'MESSAGE_EMPTY'
  | 'MESSAGE_TOO_LONG'
  | 'RATING_INVALID'
  | 'TAGS_INVALID'
  | 'ALREADY_RATED'
  | 'REOPEN_WINDOW_EXPIRED'
  | 'AGENT_OFFLINE'
  | 'AGENT_NOT_READY'
  | 'AGENT_AT_CAPACITY'
  | 'AGENT_NOT_IN_GROUP'
  | 'RESERVATION_UNKNOWN'
  | 'CONVERSATION_UNKNOWN'
  | 'AGENT_UNKNOWN'
  | 'SKILL_GROUP_UNKNOWN'
  | 'QUEUE_FULL'
  | 'QUEUE_CLOSED'
  | 'ALREADY_QUEUED';

export type Decision<State, Effect> = { readonly state: State; readonly effects: readonly Effect[] } | Rejection;

export const reject = (rejected: RejectionCode, message: string): Rejection => ({ rejected, message });

export const isRejection = <S, E>(d: Decision<S, E>): d is Rejection => 'rejected' in d;

export const accept = <S, E>(state: S, effects: readonly E[] = []): Decision<S, E> => ({ state, effects });

/** Exhaustiveness guard for `switch` over discriminated unions. */
export function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
