/**
 * Visitor protocol v1: every frame a widget and the visitor gateway exchange, as zod schemas — the
 * single source of the protocol's shape. `docs/protocol/visitor.md` explains the rules (hello,
 * ack/seq/resume, close codes); `docs/protocol/visitor.schema.json` is generated from these schemas
 * (`npm run protocol:schema`, wire-schema.ts) and a test keeps it in step. This module runs in
 * browsers too (the widget imports its types), so it imports nothing but zod.
 *
 * Frames are JSON text, one object per WebSocket message, discriminated by `type`. The gateway
 * decodes each client frame with `decodeVisitorFrame`, which never throws: a frame that is too
 * large, not UTF-8, not JSON, nested too deep, of an unknown type or with a wrong field is answered
 * with a typed `error` frame and changes nothing.
 */
import { z } from 'zod';

export const VISITOR_PROTOCOL_VERSION = 1;

/** Limits every gateway enforces (also stated in docs/protocol/visitor.md). */
export const VISITOR_LIMITS = {
  /** Bytes of one frame (uWS `maxPayloadLength` is set to the same value). */
  maxFrameBytes: 16 * 1024,
  /** Objects and arrays inside one another, counting the frame itself. */
  maxNesting: 8,
  maxTextLength: 5_000,
  maxPreChatFields: 20,
  maxPreChatValueLength: 500,
} as const;

// ---- shared pieces ---------------------------------------------------------------------------

/** A channel's public key, the last segment of the WebSocket URL (`/ws/visitor/<key>`). */
export const CHANNEL_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** An id chosen by the client for a message: its idempotency key (resending it returns the first ack). */
const clientMsgId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64');
/** Keys of client-supplied maps; never a name that would reach an object's prototype. */
const fieldName = z.string().regex(/^(?!__proto__$|constructor$|prototype$)[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . or -, at most 64');
const text = z.string().min(1).max(VISITOR_LIMITS.maxTextLength);
const seq = z.number().int().min(0);
/** A file uploaded over HTTP (docs/files.md), attached to a message by its id. */
export const fileRef = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a file id') });
/** A message says something: text, or a file (with an optional caption). */
export const hasContent = (m: { text: string; file?: unknown }): boolean => m.text.length > 0 || m.file !== undefined;
/** A shared file as messages carry it; fetch its bytes by `id` (docs/files.md). */
export const sharedFile = z.strictObject({
  id: z.string(),
  name: z.string(),
  contentType: z.string(),
  size: z.number().int().min(0),
  preview: z.strictObject({ width: z.number().int().min(1), height: z.number().int().min(1) }).optional().describe('an image preview exists (GET …/<id>/preview), this many pixels'),
});

// ---- client → gateway ----------------------------------------------------------------------

export const clientFrames = {
  /**
   * First frame on every connection: who (a token from an earlier welcome resumes). The channel is
   * in the URL (checked before the upgrade). A `v` this gateway does not speak closes with 4503.
   */
  hello: z.strictObject({
    type: z.literal('hello'),
    v: z.number().int().positive(),
    token: z.string().regex(/^[A-Za-z0-9_-]{22,128}$/).optional(),
    /** The highest `seq` this client has seen: messages after it are replayed in order. */
    lastSeq: seq.optional(),
    /** A signed-in user of the site: `hash` = hex HMAC-SHA256(userId, channel secret). */
    identity: z
      .strictObject({
        userId: z.string().min(1).max(128),
        hash: z.string().regex(/^[0-9a-f]{64}$/),
        name: z.string().max(100).optional(),
        email: z.string().max(200).optional(),
      })
      .optional(),
    page: z.strictObject({ url: z.string().max(2_000), title: z.string().max(300).optional(), referrer: z.string().max(2_000).optional() }).optional(),
    locale: z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/).optional(),
    /** The browser's IANA time zone (`Intl.DateTimeFormat().resolvedOptions().timeZone`). */
    timeZone: z.string().regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/).max(64).optional(),
  }),
  /** Ask for a human: opens the conversation (with the pre-chat form) or re-opens a closed one. */
  start: z.strictObject({
    type: z.literal('start'),
    preChat: z
      .record(fieldName, z.string().max(VISITOR_LIMITS.maxPreChatValueLength))
      .refine((r) => Object.keys(r).length <= VISITOR_LIMITS.maxPreChatFields, `at most ${VISITOR_LIMITS.maxPreChatFields} fields`)
      .optional(),
    requestedAgentId: z.string().min(1).max(64).optional(),
  }),
  /** A chat message; answered with `ack` once it is durable. With `file`, a shared file; `text` is then its caption and may be empty. */
  message: z
    .strictObject({ type: z.literal('message'), clientMsgId, text: z.string().max(VISITOR_LIMITS.maxTextLength), file: fileRef.optional() })
    .refine(hasContent, { message: 'a message needs text or a file', path: ['text'] }),
  typing: z.strictObject({ type: z.literal('typing'), typing: z.boolean() }),
  /** Everything up to `seq` has been shown to the visitor. */
  read: z.strictObject({ type: z.literal('read'), seq }),
  rate: z.strictObject({ type: z.literal('rate'), score: z.number().int().min(1).max(5), comment: z.string().max(1_000).optional() }),
  /** Outside working hours or after a long wait: a message for later, with a way to reach the visitor. */
  'leave-message': z.strictObject({ type: z.literal('leave-message'), text, contact: z.string().max(200).optional() }),
  close: z.strictObject({ type: z.literal('close') }),
  ping: z.strictObject({ type: z.literal('ping') }),
} as const;

const c = clientFrames;
export const visitorClientFrame = z.discriminatedUnion('type', [c.hello, c.start, c.message, c.typing, c.read, c.rate, c['leave-message'], c.close, c.ping]);
export type VisitorClientFrame = z.infer<typeof visitorClientFrame>;

// ---- gateway → client ----------------------------------------------------------------------

const author = z.strictObject({ kind: z.enum(['visitor', 'agent', 'bot', 'system']), name: z.string().nullable() });
const conversationStatus = z.enum(['new', 'bot', 'queued', 'assigned', 'transferred', 'closed', 'offline-message']);

export const serverFrames = {
  /** Answer to `hello`: the token to keep (same as sent when resuming), and where the conversation stands. */
  welcome: z.strictObject({
    type: z.literal('welcome'),
    v: z.literal(VISITOR_PROTOCOL_VERSION),
    token: z.string(),
    conversationId: z.string().nullable(),
    status: conversationStatus.nullable(),
    lastSeq: seq,
    agent: z.strictObject({ name: z.string() }).nullable(),
    heartbeatMs: z.number().int().positive(),
  }),
  /** The message with this `clientMsgId` is durable as `seq` (sent again, unchanged, for a resent id). */
  ack: z.strictObject({ type: z.literal('ack'), clientMsgId: z.string(), seq }),
  message: z.strictObject({ type: z.literal('message'), seq, clientMsgId: z.string().nullable(), from: author, text: z.string(), file: sharedFile.optional(), at: z.number() }),
  typing: z.strictObject({ type: z.literal('typing'), from: author, typing: z.boolean() }),
  read: z.strictObject({ type: z.literal('read'), by: author, seq }),
  status: z.strictObject({ type: z.literal('status'), status: conversationStatus, agent: z.strictObject({ name: z.string() }).nullable() }),
  queue: z.strictObject({ type: z.literal('queue'), position: z.number().int().positive(), estimatedWaitMs: z.number().int().min(0) }),
  'rating-requested': z.strictObject({ type: z.literal('rating-requested') }),
  'leave-message-form': z.strictObject({ type: z.literal('leave-message-form') }),
  /**
   * An agent invites the visitor to chat (主动邀请). Show it; to accept, send `start` with
   * `requestedAgentId: agent.id` (the conversation then goes to that agent first). Ignoring it is fine.
   */
  invitation: z.strictObject({ type: z.literal('invitation'), agent: z.strictObject({ id: z.string(), name: z.string() }), text: z.string() }),
  error: z.strictObject({
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    /** true: the same frame may succeed later (retry with backoff); false: it never will. */
    temporary: z.boolean(),
    /** The `clientMsgId` of the message this error is about, if any. */
    clientMsgId: z.string().optional(),
  }),
  pong: z.strictObject({ type: z.literal('pong') }),
} as const;

const s = serverFrames;
export const visitorServerFrame = z.discriminatedUnion('type', [
  s.welcome,
  s.ack,
  s.message,
  s.typing,
  s.read,
  s.status,
  s.queue,
  s['rating-requested'],
  s['leave-message-form'],
  s.invitation,
  s.error,
  s.pong,
]);
export type VisitorServerFrame = z.infer<typeof visitorServerFrame>;

// ---- errors and close codes ------------------------------------------------------------------

/** Error codes of `error` frames caused by the frame itself (the domain adds its own, e.g. CONVERSATION_CLOSED). */
export const FRAME_ERRORS = {
  FRAME_TOO_LARGE: `a frame is at most ${VISITOR_LIMITS.maxFrameBytes} bytes`,
  BAD_FRAME: 'a frame is one JSON object in UTF-8 text',
  UNKNOWN_FRAME_TYPE: 'no such frame type in protocol v1',
  INVALID_FIELD: 'a field is missing, unknown or of the wrong type',
} as const;
export type FrameErrorCode = keyof typeof FRAME_ERRORS;

export type WireError = { readonly type: 'error'; readonly code: string; readonly message: string; readonly temporary: boolean };

/** Too many frames from one connection: the frame was dropped; it may be sent again later. */
export const RATE_LIMITED: WireError = { type: 'error', code: 'RATE_LIMITED', message: 'too many frames: slow down', temporary: true };

/**
 * WebSocket close codes. 4000–4499: the client should reconnect (with jittered backoff);
 * 4500–4999: final, reconnecting the same way will fail again.
 */
export const CLOSE_CODES = {
  SERVER_SHUTDOWN: 4000,
  HEARTBEAT_TIMEOUT: 4001,
  SLOW_CONSUMER: 4002,
  RATE_LIMITED: 4003,
  PROTOCOL_VIOLATION: 4500,
  UNAUTHORIZED: 4501,
  CHANNEL_UNKNOWN: 4502,
  UNSUPPORTED_VERSION: 4503,
  BLOCKED: 4504,
} as const;

export const shouldReconnect = (closeCode: number): boolean => closeCode >= 4000 && closeCode < 4500;

// ---- decoding ------------------------------------------------------------------------------

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();
const utf8Length = (text: string): number => utf8Encoder.encode(text).byteLength;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const frameError = (code: FrameErrorCode, detail?: string): WireError => ({
  type: 'error',
  code,
  message: detail ? `${FRAME_ERRORS[code]}: ${detail}` : FRAME_ERRORS[code],
  temporary: false,
});

/** The deepest nesting of objects/arrays in JSON text (strings skipped), without parsing it. */
function nestingDepth(json: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/**
 * Decodes one client frame of a protocol whose frames are JSON objects discriminated by `type`;
 * never throws. Shared by the visitor and agent protocols (same framing rules, their own frames).
 */
export function decodeFrame<F>(
  data: ArrayBuffer | string,
  limits: { readonly maxFrameBytes: number; readonly maxNesting: number },
  frames: Readonly<Record<string, unknown>>,
  schema: z.ZodType<F>,
): { ok: true; frame: F } | { ok: false; error: WireError } {
  const bytes = typeof data === 'string' ? utf8Length(data) : data.byteLength;
  if (bytes > limits.maxFrameBytes) return { ok: false, error: frameError('FRAME_TOO_LARGE', `got ${bytes}`) };
  let json: string;
  try {
    json = typeof data === 'string' ? data : utf8.decode(data);
  } catch {
    return { ok: false, error: frameError('BAD_FRAME', 'not valid UTF-8') };
  }
  if (nestingDepth(json) > limits.maxNesting) return { ok: false, error: frameError('BAD_FRAME', `nested deeper than ${limits.maxNesting}`) };
  let value: unknown;
  let forbiddenKey: string | null = null;
  try {
    // Keys that reach an object's prototype are refused outright (zod would silently drop them).
    value = JSON.parse(json, (key, v: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) forbiddenKey = key;
      return v;
    });
  } catch {
    return { ok: false, error: frameError('BAD_FRAME', 'not JSON') };
  }
  if (forbiddenKey !== null) return { ok: false, error: frameError('INVALID_FIELD', `the key ${forbiddenKey} is not allowed`) };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: frameError('BAD_FRAME', 'not an object') };
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(frames, type)) {
    return { ok: false, error: frameError('UNKNOWN_FRAME_TYPE', typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : 'no type') };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join('.') : 'frame';
    return { ok: false, error: frameError('INVALID_FIELD', `${where}: ${issue.message}`) };
  }
  return { ok: true, frame: parsed.data };
}

/** Decodes one visitor client frame; never throws. */
export const decodeVisitorFrame = (data: ArrayBuffer | string): { ok: true; frame: VisitorClientFrame } | { ok: false; error: WireError } =>
  decodeFrame(data, VISITOR_LIMITS, clientFrames, visitorClientFrame);
