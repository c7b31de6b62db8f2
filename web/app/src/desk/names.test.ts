/** Naming a visitor's place from their browser's time zone. */
import { expect, test } from '@jest/globals';
import { localTime } from './names.ts';

const T = Date.UTC(2027, 0, 15, 8, 0); // 08:00 UTC

test('a time zone names its place, the local time there and the offset; an unknown one is nothing', () => {
  expect(localTime('Asia/Shanghai', 'en-GB', T)).toBe('Shanghai · 16:00 (UTC+8)');
  expect(localTime('America/Argentina/Buenos_Aires', 'en-GB', T)).toBe('Buenos Aires · 05:00 (UTC−3)');
  expect(localTime('Asia/Kolkata', 'en-GB', T)).toBe('Kolkata · 13:30 (UTC+5:30)');
  expect(localTime('Europe/London', 'en-GB', T)).toBe('London · 08:00 (UTC)');
  expect(localTime('Nowhere/Atlantis', 'en-GB', T)).toBeNull();
});
