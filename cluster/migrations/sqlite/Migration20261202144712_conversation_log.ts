import { Migration } from '@mikro-orm/migrations';

export class Migration20261202144712_conversation_log extends Migration {

  override name = 'Migration20261202144712_conversation_log';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_conversation_log\` (\`conversation_id\` text not null primary key, \`tenant_id\` text not null, \`epoch\` bigint not null, \`last_seq\` integer not null, \`updated_at\` datetime not null);`);

    this.addSql(`alter table \`kefu_actor_state\` add column \`unlogged\` mediumtext null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_conversation_log\`;`);

    this.addSql(`alter table \`kefu_actor_state\` drop column \`unlogged\`;`);
  }

}
