import { Migration } from '@mikro-orm/migrations';

export class Migration20261203175552_contacts extends Migration {

  override name = 'Migration20261203175552_contacts';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_contact\` (\`id\` varchar(32) not null, \`tenant_id\` varchar(20) not null, \`department_path\` varchar(700) not null, \`name\` varchar(100) not null, \`email\` varchar(200) not null, \`phone\` varchar(32) not null, \`company\` varchar(200) not null, \`notes\` text not null, \`created_by\` varchar(32) not null, \`created_at\` datetime not null, \`updated_by\` varchar(32) not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_contact\` add index \`kefu_contact_tenant_id_department_path_index\` (\`tenant_id\`, \`department_path\`);`);

    this.addSql(`create table \`kefu_contact_visitor\` (\`visitor_id\` varchar(32) not null, \`tenant_id\` varchar(20) not null, \`contact_id\` varchar(32) not null, \`bound_by\` varchar(32) not null, \`bound_at\` datetime not null, primary key (\`visitor_id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_contact_visitor\` add index \`kefu_contact_visitor_tenant_id_contact_id_index\` (\`tenant_id\`, \`contact_id\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_contact\`;`);
    this.addSql(`drop table if exists \`kefu_contact_visitor\`;`);
  }

}
