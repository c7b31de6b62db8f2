import { Migration } from '@mikro-orm/migrations';

export class Migration20261121141514_message_log extends Migration {

  override name = 'Migration20261121141514_message_log';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_message\` (\`conversation_id\` varchar(191) not null, \`seq\` int unsigned not null, \`tenant_id\` varchar(64) not null, \`client_msg_id\` varchar(64) not null, \`sender_kind\` varchar(16) not null, \`sender_id\` varchar(64) not null, \`visibility\` varchar(16) not null, \`text\` text not null, \`at\` bigint not null, \`epoch\` bigint not null, primary key (\`conversation_id\`, \`seq\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_message\` add index \`kefu_message_tenant_id_at_index\` (\`tenant_id\`, \`at\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_message\`;`);
  }

}
