import { Migration } from '@mikro-orm/migrations';

export class Migration20261121141636_channels_and_visitors extends Migration {

  override name = 'Migration20261121141636_channels_and_visitors';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_channel\` (\`id\` text not null primary key, \`tenant_id\` text not null, \`key\` text not null, \`name\` text not null, \`skill_group_id\` text not null, \`allowed_origins\` text not null, \`identity_secret\` text not null, \`identity_enforced\` integer not null, \`appearance\` text not null, \`created_at\` datetime not null);`);
    this.addSql(`create index \`kefu_channel_tenant_id_index\` on \`kefu_channel\` (\`tenant_id\`);`);
    this.addSql(`create unique index \`kefu_channel_key_unique\` on \`kefu_channel\` (\`key\`);`);

    this.addSql(`create table \`kefu_visitor\` (\`id\` text not null primary key, \`tenant_id\` text not null, \`channel_id\` text not null, \`identity_key\` text not null, \`display_name\` text not null, \`email\` text not null, \`conversation_id\` text not null, \`created_at\` datetime not null, \`last_seen_at\` datetime not null);`);
    this.addSql(`create index \`kefu_visitor_tenant_id_index\` on \`kefu_visitor\` (\`tenant_id\`);`);
    this.addSql(`create unique index \`kefu_visitor_channel_id_identity_key_unique\` on \`kefu_visitor\` (\`channel_id\`, \`identity_key\`);`);

    this.addSql(`create table \`kefu_visitor_token\` (\`token_hash\` text not null primary key, \`visitor_id\` text not null, \`expires_at\` datetime not null);`);
    this.addSql(`create index \`kefu_visitor_token_visitor_id_index\` on \`kefu_visitor_token\` (\`visitor_id\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_channel\`;`);
    this.addSql(`drop table if exists \`kefu_visitor\`;`);
    this.addSql(`drop table if exists \`kefu_visitor_token\`;`);
  }

}
