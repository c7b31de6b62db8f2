/**
 * Web chat channels (渠道) as admins manage them. A channel belongs where its skill group sits in
 * the org tree: `channels.read`/`channels.write` over that department decide who sees and changes
 * it. The identity secret is shown only to those who may change the channel. Gateways see a
 * change within CHANNEL_CACHE_MS (channel.repository.ts). A channel's working hours are its skill
 * group's (department settings).
 */
import type { EntityManager, InferEntity } from '@mikro-orm/core';
import { Channel } from './channel.entity.ts';
import { newChannelId, newIdentitySecret, type ChannelAppearance } from './channel.repository.ts';
import { auditChange, authorize, invalid, notFound, type Caller, type DirectoryContext } from './context.ts';
import { Department } from './department.entity.ts';
import { departmentScope, findDepartment } from './department.repository.ts';
import { may, mayUse, visibleSubtree } from './policies/access.ts';
import { flushUnique } from './role.repository.ts';

export type ChannelView = {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly skillGroupId: string;
  readonly allowedOrigins: readonly string[];
  readonly identityEnforced: boolean;
  /** Present only for callers who may change the channel. */
  readonly identitySecret?: string;
  readonly appearance: ChannelAppearance;
  readonly createdAt: string;
};

export type ChannelInput = {
  readonly key?: string;
  readonly name: string;
  readonly skillGroupId: string;
  readonly allowedOrigins: readonly string[];
  readonly identityEnforced: boolean;
  readonly appearance: ChannelAppearance;
};

type ChannelRow = InferEntity<typeof Channel>;

const channelView = (c: ChannelRow, withSecret: boolean): ChannelView => ({
  id: c.id,
  key: c.key,
  name: c.name,
  skillGroupId: c.skillGroupId,
  allowedOrigins: JSON.parse(c.allowedOrigins) as string[],
  identityEnforced: c.identityEnforced,
  ...(withSecret ? { identitySecret: c.identitySecret } : {}),
  appearance: JSON.parse(c.appearance) as ChannelAppearance,
  createdAt: c.createdAt.toISOString(),
});

export class ChannelAdminRepository {
  readonly #ctx: DirectoryContext;

  constructor(ctx: DirectoryContext) {
    this.#ctx = ctx;
  }

  async list(caller: Caller): Promise<ChannelView[]> {
    await authorize(this.#ctx, caller, mayUse(caller.principal, 'channels.read'), { action: 'channels.list', type: 'channel', id: '' });
    const em = this.#ctx.em();
    const tenantId = caller.principal.tenantId;
    const groups = await em.find(Department, { tenantId, path: { $like: `${visibleSubtree(caller.principal)}%` } }, { fields: ['id', 'path'] });
    const paths = new Map(groups.map((g) => [g.id, g.path]));
    const rows = await em.find(Channel, { tenantId, skillGroupId: { $in: [...paths.keys()] } }, { orderBy: { name: 'asc' } });
    return rows.map((c) => channelView(c, may(caller.principal, 'channels.write', { tenantId, departmentPath: paths.get(c.skillGroupId)! }).allowed));
  }

  async get(caller: Caller, id: string): Promise<ChannelView> {
    const { channel, path } = await this.#load(caller, this.#ctx.em(), id, 'channels.read');
    return channelView(channel, may(caller.principal, 'channels.write', { tenantId: caller.principal.tenantId, departmentPath: path }).allowed);
  }

  async create(caller: Caller, input: ChannelInput): Promise<ChannelView> {
    const em = this.#ctx.em();
    const path = await this.#skillGroupPath(caller, em, input.skillGroupId, 'channel.create');
    const row = em.create(Channel, {
      id: newChannelId(),
      tenantId: caller.principal.tenantId,
      key: input.key ?? newChannelId(),
      name: input.name,
      skillGroupId: input.skillGroupId,
      allowedOrigins: JSON.stringify(input.allowedOrigins),
      identitySecret: newIdentitySecret(),
      identityEnforced: input.identityEnforced,
      appearance: JSON.stringify(input.appearance),
      createdAt: this.#ctx.now(),
    });
    auditChange(this.#ctx, em, caller, { action: 'channel.create', type: 'channel', id: row.id, departmentPath: path, details: { ...input } });
    await flushUnique(em, 'key', 'a channel with this key exists');
    return channelView(row, true);
  }

  async update(caller: Caller, id: string, patch: Partial<ChannelInput>): Promise<ChannelView> {
    const em = this.#ctx.em();
    const { channel: c, path } = await this.#load(caller, em, id, 'channels.write');
    let departmentPath = path;
    if (patch.skillGroupId !== undefined && patch.skillGroupId !== c.skillGroupId) {
      departmentPath = await this.#skillGroupPath(caller, em, patch.skillGroupId, 'channel.update');
      c.skillGroupId = patch.skillGroupId;
    }
    if (patch.key !== undefined) c.key = patch.key;
    if (patch.name !== undefined) c.name = patch.name;
    if (patch.allowedOrigins !== undefined) c.allowedOrigins = JSON.stringify(patch.allowedOrigins);
    if (patch.identityEnforced !== undefined) c.identityEnforced = patch.identityEnforced;
    if (patch.appearance !== undefined) c.appearance = JSON.stringify(patch.appearance);
    auditChange(this.#ctx, em, caller, { action: 'channel.update', type: 'channel', id, departmentPath, details: { ...patch } });
    await flushUnique(em, 'key', 'a channel with this key exists');
    return channelView(c, true);
  }

  /** A new identity secret: the site's server must sign its users with it from now on. */
  async rotateSecret(caller: Caller, id: string): Promise<ChannelView> {
    const em = this.#ctx.em();
    const { channel: c, path } = await this.#load(caller, em, id, 'channels.write');
    c.identitySecret = newIdentitySecret();
    auditChange(this.#ctx, em, caller, { action: 'channel.rotate-secret', type: 'channel', id, departmentPath: path });
    await em.flush();
    return channelView(c, true);
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const em = this.#ctx.em();
    const { channel: c, path } = await this.#load(caller, em, id, 'channels.write');
    auditChange(this.#ctx, em, caller, { action: 'channel.delete', type: 'channel', id, departmentPath: path, details: { key: c.key, name: c.name } });
    em.remove(c);
    await em.flush();
  }

  async #skillGroupPath(caller: Caller, em: EntityManager, skillGroupId: string, action: string): Promise<string> {
    const tenantId = caller.principal.tenantId;
    const d = await findDepartment(em, tenantId, skillGroupId);
    await authorize(this.#ctx, caller, may(caller.principal, 'channels.write', departmentScope(d)), { action, type: 'department', id: skillGroupId });
    if (!d!.isSkillGroup) throw invalid('skillGroupId', 'is a department, not a skill group');
    return d!.path;
  }

  async #load(caller: Caller, em: EntityManager, id: string, permission: 'channels.read' | 'channels.write'): Promise<{ channel: ChannelRow; path: string }> {
    const tenantId = caller.principal.tenantId;
    const channel = await em.findOne(Channel, { tenantId, id });
    const group = channel ? await findDepartment(em, tenantId, channel.skillGroupId) : null;
    if (!channel) throw notFound('channel');
    // A channel whose skill group vanished belongs to the tenant root: only super admins reach it.
    const path = group?.path ?? '/';
    await authorize(this.#ctx, caller, may(caller.principal, permission, { tenantId, departmentPath: path }), { action: permission, type: 'channel', id });
    return { channel, path };
  }
}
