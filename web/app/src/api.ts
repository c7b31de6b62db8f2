/**
 * The REST API as the workstation calls it: same origin, the session cookie, the CSRF token on
 * every request that changes something, and the server's `{code, message, temporary}` errors as
 * one typed error.
 */

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly temporary: boolean;
  readonly details: Record<string, unknown> | undefined;
  constructor(status: number, body: { code?: string; message?: string; temporary?: boolean; details?: Record<string, unknown> }) {
    super(body.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body.code ?? (status >= 500 ? 'INTERNAL' : 'INVALID');
    this.temporary = body.temporary ?? status >= 500;
    this.details = body.details;
  }
}

/** The network itself failed: the server could not be reached. */
export class OfflineError extends Error {}

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new OfflineError('The server cannot be reached');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (a proxy's error page): the status alone says what happened.
  }
  if (!res.ok) throw new ApiError(res.status, (parsed ?? {}) as ConstructorParameters<typeof ApiError>[1]);
  return parsed as T;
}

/** Uploads a file to a conversation (docs/files.md): the raw bytes, the session cookie, the CSRF token. */
export async function uploadFile(conversationId: string, file: File): Promise<{ id: string; name: string; contentType: string; size: number }> {
  let res: Response;
  try {
    res = await fetch(`/files/agent/${encodeURIComponent(conversationId)}?name=${encodeURIComponent(file.name)}`, {
      method: 'POST',
      headers: { accept: 'application/json', ...(csrfToken ? { 'x-csrf-token': csrfToken } : {}) },
      credentials: 'same-origin',
      body: file,
    });
  } catch {
    throw new OfflineError('The server cannot be reached');
  }
  const parsed: unknown = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, parsed as ConstructorParameters<typeof ApiError>[1]);
  return parsed as { id: string; name: string; contentType: string; size: number };
}

/** Where a file shared in a conversation is read (the session cookie says who asks). */
export const fileUrl = (fileId: string): string => `/files/agent/${encodeURIComponent(fileId)}`;

// ---- the shapes the workstation reads (docs/api.md; the OpenAPI document is the reference) ----

export type Permission = string;

export interface Account {
  id: string;
  email: string;
  mobile: string | null;
  displayName: string;
  departmentId: string;
  roleIds: string[];
  skillGroupIds: string[];
  isSuperAdmin: boolean;
  isAgent: boolean;
  maxConversations: number;
  disabled: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface Me extends Account {
  permissions: Permission[];
}

export interface SignedIn {
  account: Account;
  csrfToken: string;
  expiresAt: string;
}

export interface SessionInfo {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string;
  userAgent: string;
  current: boolean;
}

export interface SetupStatus {
  tenant: string;
  status: 'pending' | 'complete';
}

/** `GET /api/v1/colleagues`: whom a conversation can go to, and whose name is on a message. */
export interface Colleagues {
  agents: { id: string; displayName: string; skillGroupIds: string[] }[];
  skillGroups: { id: string; name: string }[];
  channels: { id: string; name: string }[];
}

export interface Department {
  id: string;
  parentId: string | null;
  path: string;
  name: string;
  isSkillGroup: boolean;
  createdAt: string;
}

export interface Role {
  id: string;
  name: string;
  description: string;
  permissions: Permission[];
}

export interface Channel {
  id: string;
  key: string;
  name: string;
  skillGroupId: string;
  allowedOrigins: string[];
  identityEnforced: boolean;
  /** Shown only to those who may change the channel. */
  identitySecret?: string;
  appearance: ChannelAppearance;
  createdAt: string;
}

/** How the channel's widget looks and what it asks first (docs/widget.md). */
export interface ChannelAppearance {
  color?: string;
  position?: 'right' | 'left';
  greeting?: string;
  avatarUrl?: string;
  preChatFields?: { name: string; label: string; required: boolean }[];
}

/** A contact (联系人): a customer as the company knows them, bound to any number of visitors. */
export interface Contact {
  id: string;
  name: string;
  email: string;
  phone: string;
  company: string;
  notes: string;
  departmentId: string;
  visitors: number;
  createdAt: string;
  updatedAt: string;
}

/** A quick reply (快捷回复): one's own (no department) or one a department shares. */
export interface QuickReply {
  id: string;
  shortcut: string;
  content: string;
  departmentId: string | null;
  departmentName: string | null;
  updatedAt: string;
}

export interface Ban {
  id: string;
  visitorId: string;
  reason: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
}

export interface AuditEntry {
  id: string;
  at: string;
  actorName: string;
  action: string;
  outcome: 'success' | 'failure' | 'denied';
  targetType: string;
  targetId: string;
  ip: string;
}
