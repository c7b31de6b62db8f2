import { Migration } from '@mikro-orm/migrations';

export class Migration20261202150659_conversation_record extends Migration {

  override name = 'Migration20261202150659_conversation_record';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_conversation_record\` (\`conversation_id\` varchar(191) not null, \`tenant_id\` varchar(64) not null, \`channel_id\` varchar(64) not null, \`visitor_id\` varchar(64) not null, \`visitor_name\` varchar(200) not null, \`created_at\` bigint not null, \`skill_group_id\` varchar(64) not null, \`skill_group_at\` bigint not null, \`agent_id\` varchar(64) not null, \`agent_at\` bigint not null, \`status\` varchar(16) not null, \`status_at\` bigint not null, \`first_reply_at\` bigint not null, \`closed_at\` bigint not null, \`close_reason\` varchar(32) not null, \`closed_by\` varchar(16) not null, \`summary\` text not null, \`offline_reason\` varchar(32) not null, \`message_left\` text not null, \`score\` int not null, \`comment\` text not null, \`rated_at\` bigint not null, primary key (\`conversation_id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_conversation_record\` add index \`kefu_conversation_record_tenant_id_created_at_index\` (\`tenant_id\`, \`created_at\`);`);
    this.addSql(`alter table \`kefu_conversation_record\` add index \`kefu_conversation_record_tenant_id_agent_id_created_at_index\` (\`tenant_id\`, \`agent_id\`, \`created_at\`);`);
    this.addSql(`alter table \`kefu_conversation_record\` add index \`kefu_conversation_record_tenant_id_skill_group_id_c_984f3_index\` (\`tenant_id\`, \`skill_group_id\`, \`created_at\`);`);
    this.addSql(`alter table \`kefu_conversation_record\` add index \`kefu_conversation_record_tenant_id_visitor_id_created_at_index\` (\`tenant_id\`, \`visitor_id\`, \`created_at\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_conversation_record\`;`);
  }

}
