/**
 * History never shows a conversation beyond the caller's reach — property-based over random org
 * trees of two tenants, random conversations and random callers, on the embedded store (SQLite,
 * FTS5): listing and searching return exactly the conversations of the caller's tenant that belong
 * to their department or below it (all of the tenant for a super admin), plus those they served.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { migrateDatabase, openDatabase, type Database } from '../../cluster/database.ts';
import { appendStatement, searchIndexStatement } from '../../cluster/message-log.sql.ts';
import { ConversationRecords } from '../conversation/conversation-record.repository.ts';
import type { LoggedConversationEvent } from '../conversation/record.ts';
import type { Principal } from '../directory/policies/access.ts';
import { Fts5MessageSearch, History } from './history.ts';

let dir: string;
let db: Database;
let history: History;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-history-prop-'));
  db = await openDatabase({ dialect: 'sqlite', file: join(dir, 'kefu.sqlite') });
  await migrateDatabase(db);
  history = new History(db, new Fts5MessageSearch(db));
});
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const TENANTS = ['t1', 't2'] as const;
/** A tree per tenant: department i > 0 hangs below department parents[i - 1] (< i). */
const tree = fc.array(fc.nat(), { minLength: 1, maxLength: 7 }).map((raw) => raw.map((r, i) => r % (i + 1)));
const world = fc.record({
  trees: fc.tuple(tree, tree),
  conversations: fc.array(fc.record({ tenant: fc.constantFrom(0, 1), department: fc.nat(), agent: fc.constantFrom('a1', 'a2', 'a3') }), { maxLength: 25 }),
  caller: fc.record({ tenant: fc.constantFrom(0, 1), department: fc.nat(), superAdmin: fc.boolean(), account: fc.constantFrom('a1', 'a2', 'a9') }),
});

let run = 0;

test('listing and searching show exactly the conversations within reach', async () => {
  await fc.assert(
    fc.asyncProperty(world, async ({ trees, conversations, caller }) => {
      run++;
      const conn = db.orm.em.fork().getConnection();
      for (const table of ['kefu_message_fts', 'kefu_message', 'kefu_conversation_record']) await conn.execute(`delete from ${table}`);
      await conn.execute("delete from kefu_department where id like 'p%'");
      // Departments: ids p<run>x<tenant>d<i>, paths from the root down.
      const paths = TENANTS.map((_, t) => {
        const parents = [-1, ...trees[t]!];
        const ps: string[] = [];
        parents.forEach((parent, i) => (ps[i] = `${parent < 0 ? '/' : ps[parent]}p${run}x${t}d${i}/`));
        return ps;
      });
      const now = new Date();
      for (const [t, ps] of paths.entries()) {
        for (const [i, path] of ps.entries()) {
          const id = `p${run}x${t}d${i}`;
          const parentId = i === 0 ? '' : path.split('/').at(-3)!;
          await conn.execute(
            'insert into kefu_department (id, tenant_id, parent_id, path, name, is_skill_group, settings, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            [id, TENANTS[t], parentId, path, id, 1, '{}', now, now],
          );
        }
      }
      const placed = conversations.map((c, n) => ({ ...c, id: `conv${n}`, department: c.department % paths[c.tenant]!.length }));
      const events: LoggedConversationEvent[] = placed.flatMap((c) => [
        { name: 'conversation.created', tenantId: TENANTS[c.tenant], conversationId: c.id, at: 1_000 + Number(c.id.slice(4)), channelId: 'web', skillGroupId: `p${run}x${c.tenant}d${c.department}`, visitor: { visitorId: 'v', displayName: null, identified: false, vip: false, lastAgentId: null } },
        { name: 'conversation.assigned', tenantId: TENANTS[c.tenant], conversationId: c.id, at: 2_000, agentId: c.agent, skillGroupId: `p${run}x${c.tenant}d${c.department}`, waitedMs: 0 },
      ]);
      await new ConversationRecords(db).apply(events);
      const messages = placed.map((c) => ({ tenantId: TENANTS[c.tenant], conversationId: c.id, seq: 1, clientMsgId: 'm', from: { kind: 'visitor' as const }, visibility: 'public' as const, text: `需要退款 needle ${c.id}`, at: 3_000, epoch: 1 }));
      if (messages.length > 0) {
        for (const s of [appendStatement('sqlite', messages), searchIndexStatement(messages)]) await conn.execute(s.sql, s.params, 'run');
      }

      const callerPaths = paths[caller.tenant]!;
      const principal: Principal = {
        tenantId: TENANTS[caller.tenant],
        accountId: caller.account,
        superAdmin: caller.superAdmin,
        departmentPath: callerPaths[caller.department % callerPaths.length]!,
        permissions: new Set(['history.read']),
        via: 'session',
      };
      const reachable = placed
        .filter((c) => c.tenant === caller.tenant && (caller.superAdmin || paths[c.tenant]![c.department]!.startsWith(principal.departmentPath) || c.agent === caller.account))
        .map((c) => c.id)
        .sort();
      const listed = (await history.list(principal, {}, { limit: 200 })).map((r) => r.conversationId).sort();
      const found = (await history.search(principal, '退款 needle', {}, { limit: 200 })).map((h) => h.conversation.conversationId).sort();
      expect(listed).toEqual(reachable);
      expect(found).toEqual(reachable);
    }),
    { numRuns: 60 },
  );
});
