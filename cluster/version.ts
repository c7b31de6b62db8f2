import { readFileSync } from 'node:fs';

/** The version of this Kefu build, from package.json. */
export const KEFU_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
