import { Migration } from '@mikro-orm/migrations';

export class Migration20261203185635_conversation_tags_no_default extends Migration {

  override name = 'Migration20261203185635_conversation_tags_no_default';

  override up(): void | Promise<void> {
    this.addSql(`pragma foreign_keys = off;`);
    this.addSql(`create table \`kefu_conversation_record__temp_alter\` (\`conversation_id\` text not null primary key, \`tenant_id\` text not null, \`channel_id\` text not null, \`visitor_id\` text not null, \`visitor_name\` text not null, \`created_at\` bigint not null, \`skill_group_id\` text not null, \`skill_group_at\` bigint not null, \`agent_id\` text not null, \`agent_at\` bigint not null, \`status\` text not null, \`status_at\` bigint not null, \`first_reply_at\` bigint not null, \`closed_at\` bigint not null, \`close_reason\` text not null, \`closed_by\` text not null, \`summary\` text not null, \`offline_reason\` text not null, \`message_left\` text not null, \`score\` integer not null, \`comment\` text not null, \`rated_at\` bigint not null, \`tags\` text not null, \`tags_at\` bigint not null);`);
    this.addSql(`insert into \`kefu_conversation_record__temp_alter\` select \`conversation_id\`, \`tenant_id\`, \`channel_id\`, \`visitor_id\`, \`visitor_name\`, \`created_at\`, \`skill_group_id\`, \`skill_group_at\`, \`agent_id\`, \`agent_at\`, \`status\`, \`status_at\`, \`first_reply_at\`, \`closed_at\`, \`close_reason\`, \`closed_by\`, \`summary\`, \`offline_reason\`, \`message_left\`, \`score\`, \`comment\`, \`rated_at\`, \`tags\`, \`tags_at\` from \`kefu_conversation_record\`;`);
    this.addSql(`drop table \`kefu_conversation_record\`;`);
    this.addSql(`alter table \`kefu_conversation_record__temp_alter\` rename to \`kefu_conversation_record\`;`);
    this.addSql(`create index \`kefu_conversation_record_tenant_id_created_at_index\` on \`kefu_conversation_record\` (\`tenant_id\`, \`created_at\`);`);
    this.addSql(`create index \`kefu_conversation_record_tenant_id_agent_id_created_at_index\` on \`kefu_conversation_record\` (\`tenant_id\`, \`agent_id\`, \`created_at\`);`);
    this.addSql(`create index \`kefu_conversation_record_tenant_id_skill_group_id_created_at_index\` on \`kefu_conversation_record\` (\`tenant_id\`, \`skill_group_id\`, \`created_at\`);`);
    this.addSql(`create index \`kefu_conversation_record_tenant_id_visitor_id_created_at_index\` on \`kefu_conversation_record\` (\`tenant_id\`, \`visitor_id\`, \`created_at\`);`);
    this.addSql(`pragma foreign_keys = on;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`pragma foreign_keys = off;`);
    this.addSql(`create table \`kefu_conversation_record__temp_alter\` (\`conversation_id\` TEXT not null primary key, \`tenant_id\` TEXT not null, \`channel_id\` TEXT not null, \`visitor_id\` TEXT not null, \`visitor_name\` TEXT not null, \`created_at\` bigint not null, \`skill_group_id\` TEXT not null, \`skill_group_at\` bigint not null, \`agent_id\` TEXT not null, \`agent_at\` bigint not null, \`status\` TEXT not null, \`status_at\` bigint not null, \`first_reply_at\` bigint not null, \`closed_at\` bigint not null, \`close_reason\` TEXT not null, \`closed_by\` TEXT not null, \`summary\` TEXT not null, \`offline_reason\` TEXT not null, \`message_left\` TEXT not null, \`score\` INTEGER not null, \`comment\` TEXT not null, \`rated_at\` bigint not null, \`tags\` TEXT not null default '[]', \`tags_at\` bigint not null default '0');`);
    this.addSql(`insert into \`kefu_conversation_record__temp_alter\` select \`conversation_id\`, \`tenant_id\`, \`channel_id\`, \`visitor_id\`, \`visitor_name\`, \`created_at\`, \`skill_group_id\`, \`skill_group_at\`, \`agent_id\`, \`agent_at\`, \`status\`, \`status_at\`, \`first_reply_at\`, \`closed_at\`, \`close_reason\`, \`closed_by\`, \`summary\`, \`offline_reason\`, \`message_left\`, \`score\`, \`comment\`, \`rated_at\`, \`tags\`, \`tags_at\` from \`kefu_conversation_record\`;`);
    this.addSql(`drop table \`kefu_conversation_record\`;`);
    this.addSql(`alter table \`kefu_conversation_record__temp_alter\` rename to \`kefu_conversation_record\`;`);
    this.addSql(`create index \`kefu_conversation_record_tenant_id_visitor_id_created_at_index\` on \`kefu_conversation_record\` (\`tenant_id\`, \`visitor_id\`, \`created_at\`);`);
    this.addSql(`create index \`kefu_conversation_record_tenant_id_skill_group_id_created_at_index\` on \`kefu_conversation_record\` (\`tenant_id\`, \`skill_group_id\`, \`created_at\`);`);
    this.addSql(`create index \`kefu_conversation_record_tenant_id_agent_id_created_at_index\` on \`kefu_conversation_record\` (\`tenant_id\`, \`agent_id\`, \`created_at\`);`);
    this.addSql(`create index \`kefu_conversation_record_tenant_id_created_at_index\` on \`kefu_conversation_record\` (\`tenant_id\`, \`created_at\`);`);
    this.addSql(`pragma foreign_keys = on;`);
  }

}
