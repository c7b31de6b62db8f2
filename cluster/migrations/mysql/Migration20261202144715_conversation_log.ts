import { Migration } from '@mikro-orm/migrations';

export class Migration20261202144715_conversation_log extends Migration {

  override name = 'Migration20261202144715_conversation_log';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_conversation_log\` (\`conversation_id\` varchar(191) not null, \`tenant_id\` varchar(64) not null, \`epoch\` bigint not null, \`last_seq\` int not null, \`updated_at\` datetime not null, primary key (\`conversation_id\`)) default character set utf8mb4 engine = InnoDB;`);

    this.addSql(`alter table \`kefu_actor_state\` add \`unlogged\` mediumtext null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_conversation_log\`;`);

    this.addSql(`alter table \`kefu_actor_state\` drop column \`unlogged\`;`);
  }

}
