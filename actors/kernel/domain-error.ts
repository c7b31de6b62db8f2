/**
 * The one error family of the domain services. Code branches on `type` (a fixed SCREAMING_SNAKE
 * name that survives crossing nodes as a plain object), never on the class. `temporary` tells a
 * client whether trying again later may succeed. Each gateway maps types to its wire (HTTP status,
 * error frame) in one function.
 */
export const DOMAIN_ERROR_TYPES = {
  /** The request itself is malformed or breaks a rule of the data (`details.fields` names the fields). */
  INVALID: false,
  /** No credentials, or credentials that are not (or no longer) valid. */
  UNAUTHENTICATED: false,
  /** The caller is known but lacks the right. */
  FORBIDDEN: false,
  /** No such thing — or one the caller may not know exists. */
  NOT_FOUND: false,
  /** Clashes with existing data (a taken email, a department that still has members). */
  CONFLICT: false,
  /** The account is locked after too many wrong passwords; `details.lockedUntil` says until when. */
  LOCKED: true,
  /** Too many requests from this address; try again shortly. */
  RATE_LIMITED: true,
  /** The server is at a capacity limit (password hashing pool full); try again shortly. */
  BUSY: true,
  /** A part the request needs is not running here (e.g. the search engine); try again later. */
  UNAVAILABLE: true,
} as const;

export type DomainErrorType = keyof typeof DOMAIN_ERROR_TYPES;

export class DomainError extends Error {
  readonly type: DomainErrorType;
  readonly temporary: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(type: DomainErrorType, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DomainError';
    this.type = type;
    this.temporary = DOMAIN_ERROR_TYPES[type];
    this.details = details;
  }
}

export const isDomainError = (error: unknown): error is DomainError =>
  typeof error === 'object' && error !== null && typeof (error as { type?: unknown }).type === 'string' && Object.hasOwn(DOMAIN_ERROR_TYPES, (error as { type: string }).type);
