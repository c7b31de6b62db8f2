import { Migration } from '@mikro-orm/migrations';

export class Migration20261203175551_contacts extends Migration {

  override name = 'Migration20261203175551_contacts';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_contact\` (\`id\` text not null primary key, \`tenant_id\` text not null, \`department_path\` text not null, \`name\` text not null, \`email\` text not null, \`phone\` text not null, \`company\` text not null, \`notes\` text not null, \`created_by\` text not null, \`created_at\` datetime not null, \`updated_by\` text not null, \`updated_at\` datetime not null);`);
    this.addSql(`create index \`kefu_contact_tenant_id_department_path_index\` on \`kefu_contact\` (\`tenant_id\`, \`department_path\`);`);

    this.addSql(`create table \`kefu_contact_visitor\` (\`visitor_id\` text not null primary key, \`tenant_id\` text not null, \`contact_id\` text not null, \`bound_by\` text not null, \`bound_at\` datetime not null);`);
    this.addSql(`create index \`kefu_contact_visitor_tenant_id_contact_id_index\` on \`kefu_contact_visitor\` (\`tenant_id\`, \`contact_id\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_contact\`;`);
    this.addSql(`drop table if exists \`kefu_contact_visitor\`;`);
  }

}
