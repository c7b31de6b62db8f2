/**
 * Stored conversation files (file.entity.ts): saved by the upload routes, looked up by id when a
 * message attaches one (which marks it sent) and when someone downloads it; uploads never sent are
 * deleted after UNSENT_FILE_TTL_MS by each gateway node's hourly sweep (cluster/node.ts).
 */
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { ConversationFile } from './file.entity.ts';
import type { SharedFile } from './protocol.ts';

/** An image's preview as made on upload (gateways/files/preview.ts). */
export type Preview = { readonly data: Uint8Array; readonly width: number; readonly height: number };

export type StoredFile = SharedFile & { readonly tenantId: string; readonly conversationId: string; readonly uploadedBy: string };

/** A stored file as messages carry it, and as its uploader is told of it. */
export const sharedFile = (f: StoredFile): SharedFile => ({ id: f.id, name: f.name, contentType: f.contentType, size: f.size, ...(f.preview ? { preview: f.preview } : {}) });

/** 128 random bits, URL-safe. */
const newFileId = (): string => randomBytes(16).toString('base64url');

/** Uploads never sent are kept this long (a message being written may still name them), then deleted. */
export const UNSENT_FILE_TTL_MS = 24 * 60 * 60 * 1000;
const UNSENT_BATCH = 500;

export class FileStore {
  readonly #em: () => EntityManager;

  constructor(em: () => EntityManager) {
    this.#em = em;
  }

  async save(input: Omit<StoredFile, 'id' | 'size' | 'preview'> & { readonly data: Uint8Array; readonly preview: Preview | null }, now: Date): Promise<StoredFile> {
    const id = newFileId();
    const { data, preview, ...meta } = input;
    await this.#em().insert(ConversationFile, {
      id,
      ...meta,
      size: data.byteLength,
      data: Buffer.from(data),
      createdAt: now,
      preview: preview ? Buffer.from(preview.data) : null,
      previewWidth: preview?.width ?? null,
      previewHeight: preview?.height ?? null,
    });
    return { id, ...meta, size: data.byteLength, ...(preview ? { preview: { width: preview.width, height: preview.height } } : {}) };
  }

  /** A file's description, without its bytes. */
  async describe(id: string): Promise<StoredFile | null> {
    const row = await this.#em().findOne(ConversationFile, { id }, { fields: ['id', 'tenantId', 'conversationId', 'uploadedBy', 'name', 'contentType', 'size', 'previewWidth', 'previewHeight'] });
    if (!row) return null;
    const { previewWidth: width, previewHeight: height } = row;
    const preview = typeof width === 'number' && typeof height === 'number' ? { preview: { width, height } } : {};
    return { id: row.id, tenantId: row.tenantId, conversationId: row.conversationId, uploadedBy: row.uploadedBy, name: row.name, contentType: row.contentType, size: row.size, ...preview };
  }

  /**
   * The file as a message carries it — only in the conversation it was uploaded to, and only by
   * whoever uploaded it — marked as sent: from then on it is kept with the transcript (even if
   * that message is then refused: a file is never deleted while a message may name it).
   */
  async attach(id: string, conversationId: string, uploadedBy: string, now: Date): Promise<SharedFile | null> {
    const f = await this.describe(id);
    if (!f || f.conversationId !== conversationId || f.uploadedBy !== uploadedBy) return null;
    await this.#em().nativeUpdate(ConversationFile, { id, sentAt: null }, { sentAt: now });
    return sharedFile(f);
  }

  /** Deletes the files uploaded before `before` that no message ever carried (uploads left behind); answers how many. */
  async deleteUnsent(before: Date): Promise<number> {
    let deleted = 0;
    for (;;) {
      const em = this.#em();
      const batch = await em.find(ConversationFile, { sentAt: null, createdAt: { $lt: before } }, { fields: ['id'], limit: UNSENT_BATCH });
      if (batch.length > 0) deleted += await em.nativeDelete(ConversationFile, { id: { $in: batch.map((f) => f.id) }, sentAt: null });
      if (batch.length < UNSENT_BATCH) return deleted;
    }
  }

  async bytes(id: string): Promise<Uint8Array | null> {
    const row = await this.#em().findOne(ConversationFile, { id }, { fields: ['data'] });
    return row ? new Uint8Array(row.data as Buffer) : null;
  }

  /** The image preview's bytes (WebP), or null when the file has none. */
  async previewBytes(id: string): Promise<Uint8Array | null> {
    const row = await this.#em().findOne(ConversationFile, { id }, { fields: ['preview'] });
    return row?.preview ? new Uint8Array(row.preview as Buffer) : null;
  }
}
