import { Migration } from '@mikro-orm/migrations';

export class Migration20261121141514_message_log extends Migration {

  override name = 'Migration20261121141514_message_log';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_message\` (\`conversation_id\` text not null, \`seq\` integer not null, \`tenant_id\` text not null, \`client_msg_id\` text not null, \`sender_kind\` text not null, \`sender_id\` text not null, \`visibility\` text not null, \`text\` text not null, \`at\` bigint not null, \`epoch\` bigint not null, primary key (\`conversation_id\`, \`seq\`));`);
    this.addSql(`create index \`kefu_message_tenant_id_at_index\` on \`kefu_message\` (\`tenant_id\`, \`at\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_message\`;`);
  }

}
