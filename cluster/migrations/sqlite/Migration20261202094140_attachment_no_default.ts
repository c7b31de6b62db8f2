import { Migration } from '@mikro-orm/migrations';

export class Migration20261202094140_attachment_no_default extends Migration {

  override name = 'Migration20261202094140_attachment_no_default';

  override up(): void | Promise<void> {
    this.addSql(`pragma foreign_keys = off;`);
    this.addSql(`create table \`kefu_message__temp_alter\` (\`conversation_id\` text not null, \`seq\` integer not null, \`tenant_id\` text not null, \`client_msg_id\` text not null, \`sender_kind\` text not null, \`sender_id\` text not null, \`visibility\` text not null, \`text\` text not null, \`attachment\` text not null, \`at\` bigint not null, \`epoch\` bigint not null, primary key (\`conversation_id\`, \`seq\`));`);
    this.addSql(`insert into \`kefu_message__temp_alter\` select \`conversation_id\`, \`seq\`, \`tenant_id\`, \`client_msg_id\`, \`sender_kind\`, \`sender_id\`, \`visibility\`, \`text\`, \`attachment\`, \`at\`, \`epoch\` from \`kefu_message\`;`);
    this.addSql(`drop table \`kefu_message\`;`);
    this.addSql(`alter table \`kefu_message__temp_alter\` rename to \`kefu_message\`;`);
    this.addSql(`create index \`kefu_message_tenant_id_at_index\` on \`kefu_message\` (\`tenant_id\`, \`at\`);`);
    this.addSql(`pragma foreign_keys = on;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`pragma foreign_keys = off;`);
    this.addSql(`create table \`kefu_message__temp_alter\` (\`conversation_id\` TEXT not null primary key, \`seq\` INTEGER not null primary key, \`tenant_id\` TEXT not null, \`client_msg_id\` TEXT not null, \`sender_kind\` TEXT not null, \`sender_id\` TEXT not null, \`visibility\` TEXT not null, \`text\` TEXT not null, \`at\` bigint not null, \`epoch\` bigint not null, \`attachment\` TEXT not null default '', primary key (\`conversation_id\`, \`seq\`));`);
    this.addSql(`insert into \`kefu_message__temp_alter\` select \`conversation_id\`, \`seq\`, \`tenant_id\`, \`client_msg_id\`, \`sender_kind\`, \`sender_id\`, \`visibility\`, \`text\`, \`at\`, \`epoch\`, \`attachment\` from \`kefu_message\`;`);
    this.addSql(`drop table \`kefu_message\`;`);
    this.addSql(`alter table \`kefu_message__temp_alter\` rename to \`kefu_message\`;`);
    this.addSql(`create index \`kefu_message_tenant_id_at_index\` on \`kefu_message\` (\`tenant_id\`, \`at\`);`);
    this.addSql(`pragma foreign_keys = on;`);
  }

}
