import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actorStoreContract } from './actor-store.contract.ts';
import { migrateDatabase, openDatabase } from './database.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('actor store on SQLite keeps the contract', () => {
  actorStoreContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kefu-actor-store-'));
    dirs.push(dir);
    const db = await openDatabase({ dialect: 'sqlite', file: join(dir, 'kefu.sqlite') });
    await migrateDatabase(db);
    return db;
  });
});
