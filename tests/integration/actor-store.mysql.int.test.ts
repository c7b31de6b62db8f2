/** The actor-store contract (fenced snapshot writes) on the real MariaDB started by cluster/infra. */
import { actorStoreContract } from '../../cluster/actor-store.contract.ts';
import { migrateDatabase, openDatabase } from '../../cluster/database.ts';
import { scratchMysqlDatabase } from '../../cluster/local-infra.ts';

const scratches: { drop(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(scratches.map((s) => s.drop()));
});

describe('actor store on MariaDB keeps the contract', () => {
  actorStoreContract(async () => {
    const scratch = await scratchMysqlDatabase('kefu_test');
    scratches.push(scratch);
    const db = await openDatabase({ dialect: 'mysql', url: scratch.url });
    await migrateDatabase(db);
    return db;
  });
});
