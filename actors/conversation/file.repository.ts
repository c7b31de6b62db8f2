/**
 * Stored conversation files (file.entity.ts): saved by the upload routes, looked up by id when a
 * message attaches one and when someone downloads it.
 */
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { ConversationFile } from './file.entity.ts';
import type { SharedFile } from './protocol.ts';

export type StoredFile = SharedFile & { readonly tenantId: string; readonly conversationId: string; readonly uploadedBy: string };

/** 128 random bits, URL-safe. */
const newFileId = (): string => randomBytes(16).toString('base64url');

export class FileStore {
  readonly #em: () => EntityManager;

  constructor(em: () => EntityManager) {
    this.#em = em;
  }

  async save(input: Omit<StoredFile, 'id' | 'size'> & { readonly data: Uint8Array }, now: Date): Promise<StoredFile> {
    const id = newFileId();
    const { data, ...meta } = input;
    await this.#em().insert(ConversationFile, { id, ...meta, size: data.byteLength, data: Buffer.from(data), createdAt: now });
    return { id, ...meta, size: data.byteLength };
  }

  /** A file's description, without its bytes. */
  async describe(id: string): Promise<StoredFile | null> {
    const row = await this.#em().findOne(ConversationFile, { id }, { fields: ['id', 'tenantId', 'conversationId', 'uploadedBy', 'name', 'contentType', 'size'] });
    return row ? { id: row.id, tenantId: row.tenantId, conversationId: row.conversationId, uploadedBy: row.uploadedBy, name: row.name, contentType: row.contentType, size: row.size } : null;
  }

  /** The file as a message may carry it: only in the conversation it was uploaded to, and only by whoever uploaded it. */
  async attachable(id: string, conversationId: string, uploadedBy: string): Promise<SharedFile | null> {
    const f = await this.describe(id);
    if (!f || f.conversationId !== conversationId || f.uploadedBy !== uploadedBy) return null;
    return { id: f.id, name: f.name, contentType: f.contentType, size: f.size };
  }

  async bytes(id: string): Promise<Uint8Array | null> {
    const row = await this.#em().findOne(ConversationFile, { id }, { fields: ['data'] });
    return row ? new Uint8Array(row.data as Buffer) : null;
  }
}
