import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateDatabase, openDatabase, type Database } from '../../cluster/database.ts';
import { DEFAULT_TENANT_ID } from './channel.repository.ts';
import { SetupToken } from './setup-token.entity.ts';
import { FIRST_ADMIN_STEP, SETUP_TOKEN_TTL_MS, ensureSetupToken, redeemSetupToken } from './setup.ts';

let dir: string;
let db: Database;
const T0 = new Date('2026-11-21T10:00:00Z');
const later = (ms: number): Date => new Date(T0.getTime() + ms);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-setup-'));
  db = await openDatabase({ dialect: 'sqlite', file: join(dir, 'kefu.sqlite') });
  await migrateDatabase(db);
});
afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const ensure = (now: Date, rotate: boolean) => ensureSetupToken(db.orm.em.fork(), { tenantId: DEFAULT_TENANT_ID, now, nodeId: 'node-a', rotate });
const redeem = (token: string, now: Date) => db.orm.em.fork().transactional((em) => redeemSetupToken(em, DEFAULT_TENANT_ID, token, now));

test('the first start issues a random token and stores only its hash', async () => {
  const state = await ensure(T0, false);
  if (state.status !== 'issued') throw new Error(`expected issued, got ${state.status}`);
  expect(state.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits, base64url
  expect(state.expiresAt).toEqual(later(SETUP_TOKEN_TTL_MS));
  const row = await db.orm.em.fork().findOneOrFail(SetupToken, { step: FIRST_ADMIN_STEP });
  expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
  expect(row.tokenHash).not.toContain(state.token);
  expect(row.issuedByNode).toBe('node-a');
});

test('without rotation a valid token is kept (pending); with rotation the old one stops working', async () => {
  const first = await ensure(T0, false);
  expect(await ensure(later(1000), false)).toEqual({ status: 'pending', issuedByNode: 'node-a', expiresAt: later(SETUP_TOKEN_TTL_MS) });
  const second = await ensure(later(2000), true);
  if (first.status !== 'issued' || second.status !== 'issued') throw new Error('expected two issued tokens');
  expect(second.token).not.toBe(first.token);
  expect(await redeem(first.token, later(3000))).toBe(false);
  expect(await redeem(second.token, later(3000))).toBe(true);
});

test('an expired token is replaced even without rotation', async () => {
  const first = await ensure(T0, false);
  const again = await ensure(later(SETUP_TOKEN_TTL_MS + 1), false);
  if (first.status !== 'issued' || again.status !== 'issued') throw new Error('expected two issued tokens');
  expect(again.token).not.toBe(first.token);
});

test('a token redeems exactly once, and then setup is complete for good', async () => {
  const state = await ensure(T0, false);
  if (state.status !== 'issued') throw new Error('expected issued');
  expect(await redeem('not-the-token', later(1))).toBe(false);
  expect(await redeem(state.token, later(1))).toBe(true);
  expect(await redeem(state.token, later(2))).toBe(false);
  expect(await ensure(later(3), true)).toEqual({ status: 'complete' });
});

test('an expired token cannot be redeemed', async () => {
  const state = await ensure(T0, false);
  if (state.status !== 'issued') throw new Error('expected issued');
  expect(await redeem(state.token, later(SETUP_TOKEN_TTL_MS))).toBe(false);
});
