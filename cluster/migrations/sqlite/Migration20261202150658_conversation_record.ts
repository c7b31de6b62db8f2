import { Migration } from '@mikro-orm/migrations';

export class Migration20261202150658_conversation_record extends Migration {

  override name = 'Migration20261202150658_conversation_record';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_conversation_record\` (\`conversation_id\` text not null primary key, \`tenant_id\` text not null, \`channel_id\` text not null, \`visitor_id\` text not null, \`visitor_name\` text not null, \`created_at\` bigint not null, \`skill_group_id\` text not null, \`skill_group_at\` bigint not null, \`agent_id\` text not null, \`agent_at\` bigint not null, \`status\` text not null, \`status_at\` bigint not null, \`first_reply_at\` bigint not null, \`closed_at\` bigint not null, \`close_reason\` text not null, \`closed_by\` text not null, \`summary\` text not null, \`offline_reason\` text not null, \`message_left\` text not null, \`score\` integer not null, \`comment\` text not null, \`rated_at\` bigint not null);`);
    this.addSql(`create index \`kefu_conversation_record_tenant_id_created_at_index\` on \`kefu_conversation_record\` (\`tenant_id\`, \`created_at\`);`);
    this.addSql(`create index \`kefu_conversation_record_tenant_id_agent_id_created_at_index\` on \`kefu_conversation_record\` (\`tenant_id\`, \`agent_id\`, \`created_at\`);`);
    this.addSql(`create index \`kefu_conversation_record_tenant_id_skill_group_id_created_at_index\` on \`kefu_conversation_record\` (\`tenant_id\`, \`skill_group_id\`, \`created_at\`);`);
    this.addSql(`create index \`kefu_conversation_record_tenant_id_visitor_id_created_at_index\` on \`kefu_conversation_record\` (\`tenant_id\`, \`visitor_id\`, \`created_at\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_conversation_record\`;`);
  }

}
