/**
 * A file shared in a conversation (an image, a PDF …): uploaded over HTTP by the visitor or by an
 * agent, then sent as a message's attachment. Stored in the node's database, so every gateway node
 * serves it; its id is random (128 bits) and it belongs to one conversation — only that
 * conversation's visitor and agents' side fetch it (gateways/files/).
 */
import { defineEntity, p } from '@mikro-orm/core';

export const ConversationFile = defineEntity({
  name: 'ConversationFile',
  tableName: 'kefu_file',
  indexes: [{ properties: ['conversationId'] }, { properties: ['sentAt', 'createdAt'] }],
  properties: {
    id: p.string().length(32).primary(),
    tenantId: p.string().length(64),
    conversationId: p.string().length(64),
    /** Who uploaded it: `visitor`, or `account:<id>` (an agent or supervisor); only they may attach it to a message. */
    uploadedBy: p.string().length(100),
    /** The name shown and offered for saving (cleaned of paths and control characters). */
    name: p.string().length(255),
    /** The type found in the content itself, never the one the uploader claimed. */
    contentType: p.string().length(100),
    size: p.integer(),
    /** Up to 16 MiB (MySQL's MEDIUMBLOB; uploads are at most 10 MiB). */
    data: p.blob().columnType('mediumblob'),
    createdAt: p.datetime(),
    /** When a message first carried it; null while it was only uploaded (such files are deleted after a day: file.repository.ts). */
    sentAt: p.datetime().nullable(),
    /** An image's preview (WebP, at most 320 px on each side: gateways/files/preview.ts); null for other files and unreadable images. */
    preview: p.blob().columnType('mediumblob').nullable(),
    previewWidth: p.integer().nullable(),
    previewHeight: p.integer().nullable(),
  },
});
