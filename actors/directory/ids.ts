/**
 * Ids of directory rows: 16 lowercase hex digits (64 random bits). Lowercase hex on purpose:
 * department ids are joined into materialised paths matched with LIKE, where `_` and `%` would be
 * wildcards and MySQL's case-insensitive collations would merge ids differing only in case.
 */
import { createHash, randomBytes } from 'node:crypto';

export const newId = (): string => randomBytes(8).toString('hex');

/** What the API accepts as a directory id (`root` and `default` of the default tenant included). */
export const DIRECTORY_ID_PATTERN = /^[a-z0-9-]{1,32}$/;

/** A random secret for a cookie or a bearer token (256 bits). */
export const newSecret = (): string => randomBytes(32).toString('base64url');

/** What is stored of a secret (session, API, setup and visitor tokens): its SHA-256, hex. */
export const secretHash = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');
