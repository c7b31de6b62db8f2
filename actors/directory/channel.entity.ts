/**
 * A web chat channel (渠道): what the one-line widget snippet names with `data-channel="KEY"`. It
 * decides which skill group routes the channel's visitors, which sites may embed it (Origin
 * allow-list, checked before the WebSocket upgrade), and how signed-in visitors prove who they are.
 */
import { defineEntity, p } from '@mikro-orm/core';

export const Channel = defineEntity({
  name: 'Channel',
  tableName: 'kefu_channel',
  properties: {
    id: p.string().length(32).primary(),
    tenantId: p.string().length(64).index(),
    /** The public key in the snippet; [A-Za-z0-9_-]{1,64}. */
    key: p.string().length(64).unique(),
    name: p.string().length(100),
    /** The skill group whose queue receives the channel's visitors. */
    skillGroupId: p.string().length(64),
    /** JSON array of origins (`https://shop.example.com`) allowed to open the visitor WebSocket; `*` allows any (for trying a channel out only). */
    allowedOrigins: p.text(),
    /** Hex secret for the identity HMAC (HMAC-SHA256 of the site's user id); shown to admins only. */
    identitySecret: p.string().length(64),
    /** Refuse visitors without a valid identity. */
    identityEnforced: p.boolean(),
    /** JSON: the widget's appearance and pre-chat form (colour, position, greeting, avatar, fields). */
    appearance: p.text(),
    createdAt: p.datetime(),
  },
});
