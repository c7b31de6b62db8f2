/**
 * What may be shared in a chat, decided from the bytes themselves: the type is sniffed from the
 * content (magic numbers), never taken from the uploader's claim, and must agree with the name's
 * extension; the name is cleaned of paths and control characters. Pure: no I/O.
 */

export const MAX_FILE_BYTES = 10 * 1024 * 1024;
export const MAX_NAME_LENGTH = 200;

/** The types Kefu accepts, with the extensions each may carry. Images are shown inline as previews. */
export const ACCEPTED_TYPES = {
  'image/png': ['png'],
  'image/jpeg': ['jpg', 'jpeg'],
  'image/gif': ['gif'],
  'image/webp': ['webp'],
  'application/pdf': ['pdf'],
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': ['docx'],
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': ['xlsx'],
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': ['pptx'],
  'application/zip': ['zip'],
  'text/plain; charset=utf-8': ['txt', 'log', 'csv'],
} as const satisfies Record<string, readonly string[]>;

export type AcceptedType = keyof typeof ACCEPTED_TYPES;

export const isImage = (contentType: string): boolean => contentType.startsWith('image/');

export type FileVerdict =
  | { readonly ok: true; readonly name: string; readonly contentType: AcceptedType }
  | { readonly ok: false; readonly code: 'FILE_EMPTY' | 'FILE_TOO_LARGE' | 'FILE_TYPE_NOT_ALLOWED'; readonly message: string };

const startsWith = (data: Uint8Array, bytes: readonly number[], at = 0): boolean => bytes.every((b, i) => data[at + i] === b);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** The family of the content, from its first bytes; null for anything not accepted. */
function sniff(data: Uint8Array): 'png' | 'jpeg' | 'gif' | 'webp' | 'pdf' | 'zip' | 'text' | null {
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(data, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(data, ascii('GIF87a')) || startsWith(data, ascii('GIF89a'))) return 'gif';
  if (startsWith(data, ascii('RIFF')) && startsWith(data, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(data, ascii('%PDF-'))) return 'pdf';
  if (startsWith(data, [0x50, 0x4b, 0x03, 0x04])) return 'zip';
  return isPlainText(data) ? 'text' : null;
}

/** Valid UTF-8 without NUL or other control characters than tab, line feed, carriage return and form feed. */
function isPlainText(data: Uint8Array): boolean {
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return false;
  }
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  return !/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(decoded);
}

/**
 * The name offered for saving: the last path segment only (no `../`, no drive or folder), without
 * control or bidirectional-override characters, at most MAX_NAME_LENGTH characters, never empty.
 */
export function cleanFileName(raw: string): string {
  const last = raw.split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- removing control and direction-override characters
  const cleaned = last.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '').trim().replace(/^\.+/, '');
  if (cleaned === '') return 'file';
  if (cleaned.length <= MAX_NAME_LENGTH) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 && cleaned.length - dot <= 10 ? cleaned.slice(dot) : '';
  return cleaned.slice(0, MAX_NAME_LENGTH - extension.length) + extension;
}

const extensionOf = (name: string): string => {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
};

/** Judges an upload: its size, its sniffed type, and whether its name's extension agrees with the type. */
export function judgeFile(rawName: string, data: Uint8Array): FileVerdict {
  if (data.byteLength === 0) return { ok: false, code: 'FILE_EMPTY', message: 'the file is empty' };
  if (data.byteLength > MAX_FILE_BYTES) return { ok: false, code: 'FILE_TOO_LARGE', message: `files are at most ${MAX_FILE_BYTES / 1024 / 1024} MiB` };
  const name = cleanFileName(rawName);
  const extension = extensionOf(name);
  const family = sniff(data);
  const candidates: AcceptedType[] =
    family === 'png'
      ? ['image/png']
      : family === 'jpeg'
        ? ['image/jpeg']
        : family === 'gif'
          ? ['image/gif']
          : family === 'webp'
            ? ['image/webp']
            : family === 'pdf'
              ? ['application/pdf']
              : family === 'zip'
                ? [
                    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
                    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
                    'application/vnd.openxmlformats-officedocument.presentationml.presentation',
                    'application/zip',
                  ]
                : family === 'text'
                  ? ['text/plain; charset=utf-8']
                  : [];
  const contentType = candidates.find((t) => (ACCEPTED_TYPES[t] as readonly string[]).includes(extension));
  if (!contentType) {
    const accepted = [...new Set(Object.values(ACCEPTED_TYPES).flat())].join(', ');
    return { ok: false, code: 'FILE_TYPE_NOT_ALLOWED', message: `this kind of file cannot be shared (accepted: ${accepted}, with content to match the name)` };
  }
  return { ok: true, name, contentType };
}
