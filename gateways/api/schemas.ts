/**
 * The zod schemas of the REST API's bodies and answers: the OpenAPI document is rendered from
 * them, requests are validated against them, and answers are checked against them.
 */
import { z } from 'zod';
import { DIRECTORY_ID_PATTERN } from '../../actors/directory/ids.ts';
import { ALL_PERMISSIONS, type Permission } from '../../actors/directory/policies/permissions.ts';
import { TENANT_ID_PATTERN } from '../../actors/directory/tenant.repository.ts';
import { TAG_PATTERN } from '../../actors/conversation/tags.ts';

export const id = z.string().regex(DIRECTORY_ID_PATTERN, 'an id: lowercase letters, digits or -');
const isoDate = z.string().describe('ISO 8601 date-time');
const name = z.string().trim().min(1).max(100);
export const permission = z.enum(ALL_PERMISSIONS as [Permission, ...Permission[]]);
export const permissions = z.array(permission).max(ALL_PERMISSIONS.length * 2);

export const error = z.object({
  code: z.string().describe('INVALID, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT, LOCKED, RATE_LIMITED, BUSY, UNAVAILABLE, CSRF_INVALID, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE or INTERNAL'),
  message: z.string(),
  temporary: z.boolean().describe('true: the same request may succeed later'),
  details: z.record(z.string(), z.unknown()).optional(),
});

// ---- accounts ----------------------------------------------------------------------------------

export const email = z.email().max(200);
export const password = z.string().min(1).max(1_000).describe('at least 10 characters; not your email name or display name');
const mobile = z.string().regex(/^\+?[0-9 -]{5,31}$/, 'digits, spaces, - and an optional leading +');

export const account = z.object({
  id,
  email: z.string(),
  mobile: z.string().nullable(),
  displayName: z.string(),
  departmentId: id,
  roleIds: z.array(id),
  skillGroupIds: z.array(id).describe('the skill groups an agent serves'),
  isSuperAdmin: z.boolean(),
  isAgent: z.boolean(),
  maxConversations: z.number().int(),
  disabled: z.boolean(),
  lockedUntil: isoDate.nullable(),
  lastLoginAt: isoDate.nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
});

export const me = account.extend({ permissions: z.array(permission) });

export const newAccount = z.strictObject({
  email,
  mobile: mobile.nullable().optional(),
  displayName: name,
  password,
  departmentId: id,
  roleIds: z.array(id).max(50).default([]),
  skillGroupIds: z.array(id).max(50).default([]).describe('the skill groups an agent serves'),
  isSuperAdmin: z.boolean().default(false),
  isAgent: z.boolean().default(true),
  maxConversations: z.number().int().min(0).max(100).default(5),
});

export const accountPatch = z.strictObject({
  email: email.optional(),
  mobile: mobile.nullable().optional(),
  displayName: name.optional(),
  departmentId: id.optional(),
  roleIds: z.array(id).max(50).optional(),
  skillGroupIds: z.array(id).max(50).optional(),
  isSuperAdmin: z.boolean().optional(),
  isAgent: z.boolean().optional(),
  maxConversations: z.number().int().min(0).max(100).optional(),
  disabled: z.boolean().optional(),
});

// ---- sessions ----------------------------------------------------------------------------------

export const tenantId = z.string().regex(TENANT_ID_PATTERN, 'a tenant id');

export const login = z.strictObject({ tenant: tenantId.optional().describe('default: `default`'), email: z.string().max(200), password: z.string().max(1_000) });

export const signedIn = z.object({ account: account, csrfToken: z.string().describe(`send it as X-CSRF-Token with every state-changing request`), expiresAt: isoDate });

export const session = z.object({ id, createdAt: isoDate, lastSeenAt: isoDate, expiresAt: isoDate, ip: z.string(), userAgent: z.string(), current: z.boolean() });

export const passwordChange = z.strictObject({ currentPassword: z.string().max(1_000), newPassword: password });

export const profilePatch = z.strictObject({ displayName: name });

export const setupStatus = z.object({ tenant: z.string(), status: z.enum(['pending', 'complete']) });

export const setup = z.strictObject({ tenant: tenantId.optional(), token: z.string().min(1).max(200), email, displayName: name, password });

// ---- org tree ----------------------------------------------------------------------------------

const minutes = z.number().int().min(1).max(7 * 24 * 60);
const dayHours = z.string().regex(/^(\s*\d{2}:\d{2}-\d{2}:\d{2}\s*)(,\s*\d{2}:\d{2}-\d{2}:\d{2}\s*)*$|^$/, 'like 09:00-12:00,13:00-18:00 (empty: closed)');

/** Every setting optional; null removes a department's own value (it inherits again). */
export const settingsPatch = z.strictObject({
  routingPolicy: z.enum(['idle-first', 'least-busy', 'round-robin', 'manual']).nullable().optional(),
  welcomeMessage: z.string().max(1_000).nullable().optional(),
  noAgentMessage: z.string().max(1_000).nullable().optional(),
  queueFullMessage: z.string().max(1_000).nullable().optional(),
  maxWaiting: z.number().int().min(1).max(100_000).nullable().optional(),
  visitorIdleReminderMinutes: minutes.nullable().optional(),
  visitorIdleCloseMinutes: minutes.nullable().optional(),
  agentNoReplyReminderMinutes: minutes.nullable().optional(),
  maxConversationsPerAgent: z.number().int().min(1).max(100).nullable().optional(),
  workingHours: z
    .strictObject({
      timeZone: z.string().min(1).max(64).refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'an IANA time zone such as Asia/Shanghai'),
      weekly: z.strictObject({ mon: dayHours, tue: dayHours, wed: dayHours, thu: dayHours, fri: dayHours, sat: dayHours, sun: dayHours }).partial(),
      holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).max(366),
      closedMessage: z.string().max(1_000),
    })
    .nullable()
    .optional(),
});

const settingsValues = z.object({
  routingPolicy: z.enum(['idle-first', 'least-busy', 'round-robin', 'manual']),
  welcomeMessage: z.string(),
  noAgentMessage: z.string(),
  queueFullMessage: z.string(),
  maxWaiting: z.number().nullable(),
  visitorIdleReminderMinutes: z.number().nullable(),
  visitorIdleCloseMinutes: z.number().nullable(),
  agentNoReplyReminderMinutes: z.number().nullable(),
  maxConversationsPerAgent: z.number(),
  workingHours: z.object({ timeZone: z.string(), weekly: z.record(z.string(), z.string()), holidays: z.array(z.string()), closedMessage: z.string() }).nullable(),
});

export const colleagues = z.object({
  agents: z.array(z.object({ id, displayName: z.string(), skillGroupIds: z.array(id) })),
  skillGroups: z.array(z.object({ id, name: z.string() })),
  /** Channel ids are random (not directory-shaped). */
  channels: z.array(z.object({ id: z.string(), name: z.string() })),
});

export const department = z.object({
  id,
  parentId: id.nullable(),
  path: z.string(),
  name: z.string(),
  isSkillGroup: z.boolean(),
  settings: settingsValues.partial().describe('only what this department sets itself'),
  createdAt: isoDate,
  updatedAt: isoDate,
});

export const effectiveSettings = z.object({
  settings: settingsValues,
  from: z.record(z.string(), id.nullable()).describe('per setting, the department it is inherited from (null: the built-in default)'),
});

export const newDepartment = z.strictObject({ parentId: id, name, isSkillGroup: z.boolean().default(false), settings: settingsPatch.default({}) });

export const departmentPatch = z.strictObject({ name: name.optional(), parentId: id.optional(), isSkillGroup: z.boolean().optional(), settings: settingsPatch.optional() });

export const role = z.object({ id, name: z.string(), description: z.string(), permissions: z.array(permission), createdAt: isoDate, updatedAt: isoDate });

export const newRole = z.strictObject({ name, description: z.string().max(500).default(''), permissions });

export const rolePatch = z.strictObject({ name: name.optional(), description: z.string().max(500).optional(), permissions: permissions.optional() });

export const permissionEntry = z.object({ name: permission, description: z.string() });

// ---- channels and the blacklist ------------------------------------------------------------------

const origin = z.string().regex(/^(\*|https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)$/, 'an origin like https://shop.example.com, or *');
const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #1677ff');

export const appearance = z.strictObject({
  color: color.optional(),
  position: z.enum(['right', 'left']).optional(),
  greeting: z.string().max(500).optional(),
  avatarUrl: z.url({ protocol: /^https?$/ }).max(500).optional(),
  preChatFields: z
    .array(z.strictObject({ name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), label: z.string().min(1).max(100), required: z.boolean() }))
    .max(20)
    .optional(),
});

export const channel = z.object({
  id: z.string(),
  key: z.string(),
  name: z.string(),
  skillGroupId: id,
  allowedOrigins: z.array(z.string()),
  identityEnforced: z.boolean(),
  identitySecret: z.string().optional().describe('only for callers who may change the channel'),
  appearance: z.object({}).catchall(z.unknown()),
  createdAt: isoDate,
});

const channelKey = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64');

export const newChannel = z.strictObject({
  key: channelKey.optional().describe('default: random'),
  name,
  skillGroupId: id,
  allowedOrigins: z.array(origin).max(50).default([]),
  identityEnforced: z.boolean().default(false),
  appearance: appearance.default({}),
});

export const channelPatch = z.strictObject({
  key: channelKey.optional(),
  name: name.optional(),
  skillGroupId: id.optional(),
  allowedOrigins: z.array(origin).max(50).optional(),
  identityEnforced: z.boolean().optional(),
  appearance: appearance.optional(),
});

export const ban = z.object({ id, visitorId: z.string(), reason: z.string(), createdBy: id, createdAt: isoDate, expiresAt: isoDate.nullable() });

export const newBan = z.strictObject({ visitorId: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/), reason: z.string().max(500).default(''), expiresAt: z.iso.datetime().nullable().default(null) });

// ---- quick replies -------------------------------------------------------------------------------

export const quickReply = z.object({
  id,
  shortcut: z.string().describe('typed after / in the composer'),
  content: z.string(),
  departmentId: id.nullable().describe('the department sharing it; null for one’s own'),
  departmentName: z.string().nullable(),
  updatedAt: isoDate,
});

const shortcut = z
  .string()
  .trim()
  .min(1)
  .max(32)
  .regex(/^[^\s/]+$/u, 'no spaces or /')
  .describe('1–32 characters without spaces or /; stored lowercase');
const replyContent = z.string().trim().min(1).max(2_000);

export const newQuickReply = z.strictObject({ shortcut, content: replyContent });

export const quickReplyPatch = z.strictObject({ shortcut: shortcut.optional(), content: replyContent.optional() });

export const newSharedQuickReply = newQuickReply.extend({ departmentId: id });

// ---- contacts ------------------------------------------------------------------------------------

const optionalText = (max: number) => z.string().trim().max(max).default('');

export const contact = z.object({
  id,
  name: z.string(),
  email: z.string(),
  phone: z.string(),
  company: z.string(),
  notes: z.string().describe('the agents’ notes on the customer'),
  departmentId: id.describe('the owning department'),
  visitors: z.number().int().describe('visitors bound to it'),
  createdAt: isoDate,
  updatedAt: isoDate,
});

export const newContact = z.strictObject({
  name,
  email: z.union([z.literal(''), email]).default(''),
  phone: z.union([z.literal(''), mobile]).default(''),
  company: optionalText(200),
  notes: optionalText(5_000),
  departmentId: id.optional().describe('default: one’s own department'),
});

export const contactPatch = z.strictObject({
  name: name.optional(),
  email: z.union([z.literal(''), email]).optional(),
  phone: z.union([z.literal(''), mobile]).optional(),
  company: z.string().trim().max(200).optional(),
  notes: z.string().trim().max(5_000).optional(),
  departmentId: id.optional().describe('move it to another department of one’s subtree'),
});

export const contactQuery = z.strictObject({
  q: z.string().max(100).optional().describe('part of the name, email, phone or company'),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const visitorContact = z.strictObject({ contactId: id.nullable().describe('null: unbind') });

// ---- API tokens and the audit log --------------------------------------------------------------------

export const apiToken = z.object({ id, name: z.string(), accountId: id, permissions: z.array(permission), createdAt: isoDate, expiresAt: isoDate.nullable(), lastUsedAt: isoDate.nullable() });

export const newApiToken = z.strictObject({ name, permissions: permissions.min(1), expiresAt: z.iso.datetime().nullable().default(null) });

export const createdApiToken = apiToken.extend({ token: z.string().describe('shown once: store it now') });

export const auditEntry = z.object({
  id,
  at: isoDate,
  tenantId: z.string(),
  actorId: id.nullable(),
  actorName: z.string(),
  action: z.string(),
  outcome: z.enum(['success', 'failure', 'denied']),
  targetType: z.string(),
  targetId: z.string(),
  ip: z.string(),
  details: z.record(z.string(), z.unknown()),
});

export const auditQuery = z.strictObject({
  action: z.string().max(64).optional(),
  actorId: id.optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  before: z.string().regex(/^[^,]{1,40},[a-z0-9]{1,32}$/).optional().describe('`<at>,<id>` of the last entry of the previous page'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const page = z.strictObject({
  after: id.optional().describe('the id of the last item of the previous page'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

// ---- history -----------------------------------------------------------------------------------

/** Conversation ids are opaque: 1–191 URL-safe characters. */
export const conversationId = z.string().regex(/^[A-Za-z0-9_-]{1,191}$/, 'a conversation id');
const opaqueId = z.string().regex(/^[A-Za-z0-9_.:-]{1,191}$/, 'an id');
const millis = z.number().int();
const sender = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('visitor') }),
  z.object({ kind: z.literal('bot') }),
  z.object({ kind: z.literal('system') }),
  z.object({ kind: z.literal('agent'), agentId: z.string() }),
  z.object({ kind: z.literal('supervisor'), supervisorId: z.string() }),
]);

export const historyConversation = z.object({
  id: conversationId,
  channelId: z.string(),
  visitor: z.object({ id: z.string(), name: z.string().nullable() }),
  skillGroupId: z.string().nullable(),
  agentId: z.string().nullable().describe('the last agent it was given to'),
  status: z.enum(['open', 'closed']),
  createdAt: isoDate,
  firstReplyAt: isoDate.nullable(),
  closedAt: isoDate.nullable(),
  closeReason: z.string().nullable(),
  closedBy: z.string().nullable().describe('visitor, agent, supervisor, bot or system'),
  summary: z.string().nullable().describe('the service summary (服务小结)'),
  offlineReason: z.string().nullable(),
  messageLeft: z.string().nullable(),
  rating: z.object({ score: z.number().int().min(1).max(5), comment: z.string().nullable() }).nullable(),
  tags: z.array(z.string()).describe('what its agents tagged it with'),
});

export const historyMessage = z.object({
  seq: z.number().int().min(1),
  clientMsgId: z.string(),
  from: sender,
  visibility: z.enum(['public', 'internal']).describe('internal: a supervisor’s whisper'),
  text: z.string(),
  file: z.object({ id: z.string(), name: z.string(), contentType: z.string(), size: z.number().int() }).optional(),
  at: isoDate,
  atMs: millis.describe('the same instant in epoch milliseconds'),
});

export const searchHit = z.object({
  conversationId,
  message: historyMessage,
  highlights: z.array(z.tuple([z.number().int(), z.number().int()])).describe('[start, end) ranges of message.text that matched: mark them as text, never as HTML'),
  conversation: historyConversation,
});

export const historyQuery = z.strictObject({
  from: z.iso.datetime().optional().describe('created at or after'),
  to: z.iso.datetime().optional().describe('created before'),
  agentId: opaqueId.optional(),
  skillGroupId: opaqueId.optional(),
  channelId: opaqueId.optional(),
  visitorId: opaqueId.optional(),
  status: z.enum(['open', 'closed']).optional(),
  score: z.coerce.number().int().min(1).max(5).optional().describe('the satisfaction score'),
  tag: z.string().trim().regex(TAG_PATTERN, 'a tag: 1–32 letters, digits, spaces or -').optional().describe('conversations with this tag (any case)'),
  contactId: id.optional().describe('conversations of the visitors bound to this contact'),
  before: z.string().regex(/^\d{1,16},[A-Za-z0-9_-]{1,191}$/).optional().describe('`<createdAt ms>,<id>` of the last conversation of the previous page'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const searchQuery = historyQuery.extend({
  q: z.string().trim().min(1).max(200).describe('words to find (all of them); Chinese, Japanese and Korean text is matched character by character, in order'),
  before: z.string().regex(/^\d{1,16},[A-Za-z0-9_-]{1,191},\d{1,10}$/).optional().describe('`<atMs>,<conversationId>,<seq>` of the last hit of the previous page'),
});

export const transcriptQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0).describe('the last seq of the previous page'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

