/**
 * Image previews: on upload, an image (PNG, JPEG, GIF, WebP) gets a small WebP copy that chat shows
 * inline, so nobody's browser has to fetch — or decode — the original to see what it is. The
 * original is still what "open" and "download" serve.
 *
 * - At most PREVIEW_SIZE px on each side, never enlarged; turned upright by its EXIF orientation
 *   (phone photos); no metadata is kept (a photo's location does not reach the preview).
 * - The first frame of an animated GIF or WebP.
 * - Images sharp (libvips) cannot read, or larger than MAX_INPUT_PIXELS — a small file can claim
 *   100,000 × 100,000 pixels (a "decompression bomb") — get no preview: they are still accepted,
 *   and chat shows them as a file to download.
 */
import sharp from 'sharp';
import type { Preview } from '../../actors/conversation/file.repository.ts';

// Every upload is a different image: libvips' operation cache (50 MB by default) would only hold
// memory that nothing reuses.
sharp.cache(false);

export const PREVIEW_SIZE = 320;
/** 40 megapixels: above any camera photo or screenshot people share in chat. */
export const MAX_INPUT_PIXELS = 40_000_000;

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** The preview of an upload of this (sniffed) type, or null (not an image, unreadable, too large). */
export async function makePreview(contentType: string, data: Uint8Array): Promise<Preview | null> {
  if (!IMAGE_TYPES.has(contentType)) return null;
  try {
    const { data: webp, info } = await sharp(data, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
      .rotate()
      .resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(webp), width: info.width, height: info.height };
  } catch {
    return null;
  }
}
