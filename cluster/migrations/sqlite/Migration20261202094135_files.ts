import { Migration } from '@mikro-orm/migrations';

export class Migration20261202094135_files extends Migration {

  override name = 'Migration20261202094135_files';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_file\` (\`id\` text not null primary key, \`tenant_id\` text not null, \`conversation_id\` text not null, \`uploaded_by\` text not null, \`name\` text not null, \`content_type\` text not null, \`size\` integer not null, \`data\` mediumblob not null, \`created_at\` datetime not null);`);
    this.addSql(`create index \`kefu_file_conversation_id_index\` on \`kefu_file\` (\`conversation_id\`);`);

    // SQLite adds a NOT NULL column only with a default: '' (no file) for the messages already stored; the next migration drops the default again.
    this.addSql(`alter table \`kefu_message\` add column \`attachment\` text not null default '';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_file\`;`);

    this.addSql(`alter table \`kefu_message\` drop column \`attachment\`;`);
  }

}
