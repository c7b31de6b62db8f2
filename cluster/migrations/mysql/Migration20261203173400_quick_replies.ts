import { Migration } from '@mikro-orm/migrations';

export class Migration20261203173400_quick_replies extends Migration {

  override name = 'Migration20261203173400_quick_replies';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_quick_reply\` (\`id\` varchar(32) not null, \`tenant_id\` varchar(20) not null, \`owner_id\` varchar(32) not null, \`department_id\` varchar(32) not null, \`shortcut\` varchar(32) not null, \`content\` text not null, \`updated_by\` varchar(32) not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_quick_reply\` add index \`kefu_quick_reply_tenant_id_department_id_index\` (\`tenant_id\`, \`department_id\`);`);
    this.addSql(`alter table \`kefu_quick_reply\` add unique \`kefu_quick_reply_tenant_id_owner_id_department_id__02e5c_unique\` (\`tenant_id\`, \`owner_id\`, \`department_id\`, \`shortcut\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_quick_reply\`;`);
  }

}
