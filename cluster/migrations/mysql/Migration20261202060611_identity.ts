import { Migration } from '@mikro-orm/migrations';

export class Migration20261202060611_identity extends Migration {

  override name = 'Migration20261202060611_identity';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_account\` (\`id\` varchar(32) not null, \`tenant_id\` varchar(20) not null, \`department_id\` varchar(32) not null, \`department_path\` varchar(700) not null, \`email\` varchar(200) not null, \`mobile\` varchar(32) not null, \`display_name\` varchar(100) not null, \`password_hash\` varchar(255) not null, \`is_super_admin\` tinyint(1) not null, \`is_agent\` tinyint(1) not null, \`max_conversations\` int not null, \`role_ids\` text not null, \`skill_group_ids\` text not null, \`disabled\` tinyint(1) not null, \`failed_logins\` int not null, \`lockouts\` int not null, \`locked_until\` datetime null, \`last_login_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_account\` add index \`kefu_account_tenant_id_department_path_index\` (\`tenant_id\`, \`department_path\`);`);
    this.addSql(`alter table \`kefu_account\` add unique \`kefu_account_tenant_id_email_unique\` (\`tenant_id\`, \`email\`);`);
    this.addSql(`alter table \`kefu_account\` add unique \`kefu_account_tenant_id_mobile_unique\` (\`tenant_id\`, \`mobile\`);`);

    this.addSql(`create table \`kefu_api_token\` (\`id\` varchar(32) not null, \`tenant_id\` varchar(20) not null, \`token_hash\` varchar(64) not null, \`account_id\` varchar(32) not null, \`name\` varchar(100) not null, \`permissions\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime null, \`last_used_at\` datetime null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_api_token\` add index \`kefu_api_token_tenant_id_index\` (\`tenant_id\`);`);
    this.addSql(`alter table \`kefu_api_token\` add unique \`kefu_api_token_token_hash_unique\` (\`token_hash\`);`);

    this.addSql(`create table \`kefu_audit_entry\` (\`id\` varchar(32) not null, \`tenant_id\` varchar(20) not null, \`at\` datetime not null, \`actor_id\` varchar(32) not null, \`actor_name\` varchar(100) not null, \`department_path\` varchar(700) not null, \`action\` varchar(64) not null, \`outcome\` varchar(16) not null, \`target_type\` varchar(32) not null, \`target_id\` varchar(64) not null, \`ip\` varchar(64) not null, \`details\` text not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_audit_entry\` add index \`kefu_audit_entry_tenant_id_at_index\` (\`tenant_id\`, \`at\`);`);
    this.addSql(`alter table \`kefu_audit_entry\` add index \`kefu_audit_entry_tenant_id_department_path_index\` (\`tenant_id\`, \`department_path\`);`);

    this.addSql(`create table \`kefu_department\` (\`id\` varchar(32) not null, \`tenant_id\` varchar(20) not null, \`parent_id\` varchar(32) not null, \`path\` varchar(700) not null, \`name\` varchar(100) not null, \`is_skill_group\` tinyint(1) not null, \`settings\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_department\` add unique \`kefu_department_tenant_id_path_unique\` (\`tenant_id\`, \`path\`);`);

    this.addSql(`create table \`kefu_login_session\` (\`token_hash\` varchar(64) not null, \`id\` varchar(32) not null, \`tenant_id\` varchar(20) not null, \`account_id\` varchar(32) not null, \`csrf_token\` varchar(64) not null, \`created_at\` datetime not null, \`last_seen_at\` datetime not null, \`expires_at\` datetime not null, \`ip\` varchar(64) not null, \`user_agent\` varchar(300) not null, primary key (\`token_hash\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_login_session\` add unique \`kefu_login_session_id_unique\` (\`id\`);`);
    this.addSql(`alter table \`kefu_login_session\` add index \`kefu_login_session_account_id_index\` (\`account_id\`);`);

    this.addSql(`create table \`kefu_role\` (\`id\` varchar(32) not null, \`tenant_id\` varchar(20) not null, \`name\` varchar(100) not null, \`description\` varchar(500) not null, \`permissions\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_role\` add unique \`kefu_role_tenant_id_name_unique\` (\`tenant_id\`, \`name\`);`);

    this.addSql(`create table \`kefu_tenant\` (\`id\` varchar(20) not null, \`name\` varchar(100) not null, \`created_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);

    this.addSql(`create table \`kefu_visitor_ban\` (\`id\` varchar(32) not null, \`tenant_id\` varchar(20) not null, \`visitor_id\` varchar(32) not null, \`department_path\` varchar(700) not null, \`reason\` varchar(500) not null, \`created_by\` varchar(32) not null, \`created_at\` datetime not null, \`expires_at\` datetime null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_visitor_ban\` add unique \`kefu_visitor_ban_tenant_id_visitor_id_unique\` (\`tenant_id\`, \`visitor_id\`);`);
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
