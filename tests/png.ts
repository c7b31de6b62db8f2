/** PNG files made byte by byte for tests: real images, and files whose header claims what they are not. */
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A PNG whose header says `width` × `height` 8-bit pixels (`grey` or `rgb`) and whose image data is
 * `scanlines` (each row a filter byte, then its pixels), compressed. The scanlines may be fewer than
 * the header claims: a small file that says it is huge.
 */
export function png(width: number, height: number, colour: 'grey' | 'rgb', scanlines: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, colour === 'grey' ? 0 : 2, 0, 0, 0], 8);
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(scanlines)), chunk('IEND', Buffer.alloc(0))]);
}

/** A real RGB image of a colour gradient. */
export function gradientPng(width: number, height: number): Buffer {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rows.set([Math.round((255 * x) / width), 120, Math.round((255 * y) / height)], y * (width * 3 + 1) + 1 + x * 3);
  }
  return png(width, height, 'rgb', rows);
}

/** Eight bytes of PNG signature, then noise: "a PNG" by its magic number, no image at all. */
export const NOT_REALLY_PNG = Buffer.concat([SIGNATURE, Buffer.alloc(64, 7)]);
