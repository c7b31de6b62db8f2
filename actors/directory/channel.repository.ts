/**
 * Channels as the gateways use them: looked up by their public key on every visitor upgrade, so
 * kept in a short-lived per-node cache (an admin's change is seen within CHANNEL_CACHE_MS).
 */
import { randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager, type InferEntity } from '@mikro-orm/core';
import { Channel } from './channel.entity.ts';

/** The tenant of a single-company installation (embedded mode starts with it). */
export const DEFAULT_TENANT_ID = 'default';
export const DEFAULT_SKILL_GROUP_ID = 'default';
export const DEFAULT_CHANNEL_KEY = 'web';
export const CHANNEL_CACHE_MS = 10_000;

export type ChannelAppearance = {
  readonly color?: string;
  readonly position?: 'right' | 'left';
  readonly greeting?: string;
  readonly avatarUrl?: string;
  /** The pre-chat form: fields asked before the first message. */
  readonly preChatFields?: readonly { readonly name: string; readonly label: string; readonly required: boolean }[];
};

export type ChannelConfig = {
  readonly id: string;
  readonly tenantId: string;
  readonly key: string;
  readonly name: string;
  readonly skillGroupId: string;
  readonly allowedOrigins: readonly string[];
  readonly identitySecret: string;
  readonly identityEnforced: boolean;
  readonly appearance: ChannelAppearance;
};

export const newChannelId = (): string => randomBytes(12).toString('base64url');
export const newIdentitySecret = (): string => randomBytes(32).toString('hex');

export type NewChannel = Omit<ChannelConfig, 'id' | 'identitySecret'> & { readonly identitySecret?: string };

export async function createChannel(em: EntityManager, input: NewChannel, now: Date): Promise<ChannelConfig> {
  const channel: ChannelConfig = { ...input, id: newChannelId(), identitySecret: input.identitySecret ?? newIdentitySecret() };
  em.create(Channel, {
    ...channel,
    allowedOrigins: JSON.stringify(channel.allowedOrigins),
    appearance: JSON.stringify(channel.appearance),
    createdAt: now,
  });
  await em.flush();
  return channel;
}

/**
 * The channel of a single-company installation, created on the first start if no channel exists:
 * key `web`, routed to the `default` skill group, embeddable by no other site until an admin adds
 * origins (the node's own pages, such as /test/widget, are always allowed).
 */
export async function ensureDefaultChannel(em: EntityManager, now: Date): Promise<ChannelConfig> {
  try {
    return await findOrCreateDefault(em, now);
  } catch (error) {
    // Cluster nodes starting together: another one created it first.
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    return findOrCreateDefault(em.fork(), now);
  }
}

async function findOrCreateDefault(em: EntityManager, now: Date): Promise<ChannelConfig> {
  const existing = await em.findOne(Channel, { key: DEFAULT_CHANNEL_KEY });
  if (existing) return toConfig(existing);
  // An installation whose admins replaced the `web` channel: its oldest channel stands in.
  const first = await em.findOne(Channel, { tenantId: DEFAULT_TENANT_ID }, { orderBy: { createdAt: 'asc' } });
  if (first) return toConfig(first);
  return createChannel(
    em.fork(),
    {
      tenantId: DEFAULT_TENANT_ID,
      key: DEFAULT_CHANNEL_KEY,
      name: 'Website',
      skillGroupId: DEFAULT_SKILL_GROUP_ID,
      allowedOrigins: [],
      identityEnforced: false,
      appearance: { color: '#1677ff', position: 'right', greeting: '' },
    },
    now,
  );
}

function toConfig(row: InferEntity<typeof Channel>): ChannelConfig {
  return {
    id: row.id,
    tenantId: row.tenantId,
    key: row.key,
    name: row.name,
    skillGroupId: row.skillGroupId,
    allowedOrigins: JSON.parse(row.allowedOrigins) as string[],
    identitySecret: row.identitySecret,
    identityEnforced: row.identityEnforced,
    appearance: JSON.parse(row.appearance) as ChannelAppearance,
  };
}

export class ChannelDirectory {
  readonly #em: EntityManager;
  readonly #cache = new Map<string, { channel: ChannelConfig | null; until: number }>();

  constructor(em: EntityManager) {
    this.#em = em;
  }

  /** The channel with this public key, or null (cached, misses too, for CHANNEL_CACHE_MS). */
  async byKey(key: string): Promise<ChannelConfig | null> {
    const hit = this.#cache.get(key);
    if (hit && hit.until > performance.now()) return hit.channel;
    const row = await this.#em.fork().findOne(Channel, { key });
    const channel = row ? toConfig(row) : null;
    if (this.#cache.size > 10_000) this.#cache.clear(); // unknown keys must not grow it without bound
    this.#cache.set(key, { channel, until: performance.now() + CHANNEL_CACHE_MS });
    return channel;
  }
}
