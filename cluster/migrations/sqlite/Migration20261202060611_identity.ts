import { Migration } from '@mikro-orm/migrations';

export class Migration20261202060611_identity extends Migration {

  override name = 'Migration20261202060611_identity';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_account\` (\`id\` text not null primary key, \`tenant_id\` text not null, \`department_id\` text not null, \`department_path\` text not null, \`email\` text not null, \`mobile\` text not null, \`display_name\` text not null, \`password_hash\` text not null, \`is_super_admin\` integer not null, \`is_agent\` integer not null, \`max_conversations\` integer not null, \`role_ids\` text not null, \`skill_group_ids\` text not null, \`disabled\` integer not null, \`failed_logins\` integer not null, \`lockouts\` integer not null, \`locked_until\` datetime null, \`last_login_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null);`);
    this.addSql(`create index \`kefu_account_tenant_id_department_path_index\` on \`kefu_account\` (\`tenant_id\`, \`department_path\`);`);
    this.addSql(`create unique index \`kefu_account_tenant_id_email_unique\` on \`kefu_account\` (\`tenant_id\`, \`email\`);`);
    this.addSql(`create unique index \`kefu_account_tenant_id_mobile_unique\` on \`kefu_account\` (\`tenant_id\`, \`mobile\`);`);

    this.addSql(`create table \`kefu_api_token\` (\`id\` text not null primary key, \`tenant_id\` text not null, \`token_hash\` text not null, \`account_id\` text not null, \`name\` text not null, \`permissions\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime null, \`last_used_at\` datetime null);`);
    this.addSql(`create index \`kefu_api_token_tenant_id_index\` on \`kefu_api_token\` (\`tenant_id\`);`);
    this.addSql(`create unique index \`kefu_api_token_token_hash_unique\` on \`kefu_api_token\` (\`token_hash\`);`);

    this.addSql(`create table \`kefu_audit_entry\` (\`id\` text not null primary key, \`tenant_id\` text not null, \`at\` datetime not null, \`actor_id\` text not null, \`actor_name\` text not null, \`department_path\` text not null, \`action\` text not null, \`outcome\` text not null, \`target_type\` text not null, \`target_id\` text not null, \`ip\` text not null, \`details\` text not null);`);
    this.addSql(`create index \`kefu_audit_entry_tenant_id_at_index\` on \`kefu_audit_entry\` (\`tenant_id\`, \`at\`);`);
    this.addSql(`create index \`kefu_audit_entry_tenant_id_department_path_index\` on \`kefu_audit_entry\` (\`tenant_id\`, \`department_path\`);`);

    this.addSql(`create table \`kefu_department\` (\`id\` text not null primary key, \`tenant_id\` text not null, \`parent_id\` text not null, \`path\` text not null, \`name\` text not null, \`is_skill_group\` integer not null, \`settings\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null);`);
    this.addSql(`create unique index \`kefu_department_tenant_id_path_unique\` on \`kefu_department\` (\`tenant_id\`, \`path\`);`);

    this.addSql(`create table \`kefu_login_session\` (\`token_hash\` text not null primary key, \`id\` text not null, \`tenant_id\` text not null, \`account_id\` text not null, \`csrf_token\` text not null, \`created_at\` datetime not null, \`last_seen_at\` datetime not null, \`expires_at\` datetime not null, \`ip\` text not null, \`user_agent\` text not null);`);
    this.addSql(`create unique index \`kefu_login_session_id_unique\` on \`kefu_login_session\` (\`id\`);`);
    this.addSql(`create index \`kefu_login_session_account_id_index\` on \`kefu_login_session\` (\`account_id\`);`);

    this.addSql(`create table \`kefu_role\` (\`id\` text not null primary key, \`tenant_id\` text not null, \`name\` text not null, \`description\` text not null, \`permissions\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null);`);
    this.addSql(`create unique index \`kefu_role_tenant_id_name_unique\` on \`kefu_role\` (\`tenant_id\`, \`name\`);`);

    this.addSql(`create table \`kefu_tenant\` (\`id\` text not null primary key, \`name\` text not null, \`created_at\` datetime not null);`);

    this.addSql(`create table \`kefu_visitor_ban\` (\`id\` text not null primary key, \`tenant_id\` text not null, \`visitor_id\` text not null, \`department_path\` text not null, \`reason\` text not null, \`created_by\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime null);`);
    this.addSql(`create unique index \`kefu_visitor_ban_tenant_id_visitor_id_unique\` on \`kefu_visitor_ban\` (\`tenant_id\`, \`visitor_id\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_account\`;`);
    this.addSql(`drop table if exists \`kefu_api_token\`;`);
    this.addSql(`drop table if exists \`kefu_audit_entry\`;`);
    this.addSql(`drop table if exists \`kefu_department\`;`);
    this.addSql(`drop table if exists \`kefu_login_session\`;`);
    this.addSql(`drop table if exists \`kefu_role\`;`);
    this.addSql(`drop table if exists \`kefu_tenant\`;`);
    this.addSql(`drop table if exists \`kefu_visitor_ban\`;`);
  }

}
