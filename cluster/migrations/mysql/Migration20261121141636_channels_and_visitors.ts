import { Migration } from '@mikro-orm/migrations';

export class Migration20261121141636_channels_and_visitors extends Migration {

  override name = 'Migration20261121141636_channels_and_visitors';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_channel\` (\`id\` varchar(32) not null, \`tenant_id\` varchar(64) not null, \`key\` varchar(64) not null, \`name\` varchar(100) not null, \`skill_group_id\` varchar(64) not null, \`allowed_origins\` text not null, \`identity_secret\` varchar(64) not null, \`identity_enforced\` tinyint(1) not null, \`appearance\` text not null, \`created_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_channel\` add index \`kefu_channel_tenant_id_index\` (\`tenant_id\`);`);
    this.addSql(`alter table \`kefu_channel\` add unique \`kefu_channel_key_unique\` (\`key\`);`);

    this.addSql(`create table \`kefu_visitor\` (\`id\` varchar(32) not null, \`tenant_id\` varchar(64) not null, \`channel_id\` varchar(32) not null, \`identity_key\` varchar(191) not null, \`display_name\` varchar(100) not null, \`email\` varchar(200) not null, \`conversation_id\` varchar(64) not null, \`created_at\` datetime not null, \`last_seen_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_visitor\` add index \`kefu_visitor_tenant_id_index\` (\`tenant_id\`);`);
    this.addSql(`alter table \`kefu_visitor\` add unique \`kefu_visitor_channel_id_identity_key_unique\` (\`channel_id\`, \`identity_key\`);`);

    this.addSql(`create table \`kefu_visitor_token\` (\`token_hash\` varchar(64) not null, \`visitor_id\` varchar(32) not null, \`expires_at\` datetime not null, primary key (\`token_hash\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_visitor_token\` add index \`kefu_visitor_token_visitor_id_index\` (\`visitor_id\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_channel\`;`);
    this.addSql(`drop table if exists \`kefu_visitor\`;`);
    this.addSql(`drop table if exists \`kefu_visitor_token\`;`);
  }

}
