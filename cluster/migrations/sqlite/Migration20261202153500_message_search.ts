import { Migration } from '@mikro-orm/migrations';
import { indexedText } from '../../../actors/history/search-text.ts';

/**
 * Embedded history search: an FTS5 index of the message log (`kefu_message_fts`, rowid = the
 * message's rowid in `kefu_message`), holding the text as actors/history/search-text.ts makes it
 * searchable. Written by hand (MikroORM has no virtual tables; database.ts tells its schema
 * generator to leave the index's tables alone); existing messages are indexed here.
 */
export class Migration20261202153500_message_search extends Migration {
  override name = 'Migration20261202153500_message_search';

  override async up(): Promise<void> {
    await this.execute(`create virtual table \`kefu_message_fts\` using fts5(body, tokenize = 'unicode61 remove_diacritics 2');`);
    for (let after = -1; ; ) {
      const rows = (await this.execute('select rowid as id, text from kefu_message where rowid > ? order by rowid limit 1000', [after])) as unknown as { id: number; text: string }[];
      if (rows.length === 0) break;
      await this.execute(`insert into kefu_message_fts (rowid, body) values ${rows.map(() => '(?, ?)').join(', ')}`, rows.flatMap((r) => [r.id, indexedText(r.text)]));
      after = rows[rows.length - 1]!.id;
    }
  }

  override async down(): Promise<void> {
    await this.execute('drop table if exists `kefu_message_fts`;');
  }
}
