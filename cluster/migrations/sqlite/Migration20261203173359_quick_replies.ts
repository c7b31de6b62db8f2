import { Migration } from '@mikro-orm/migrations';

export class Migration20261203173359_quick_replies extends Migration {

  override name = 'Migration20261203173359_quick_replies';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_quick_reply\` (\`id\` text not null primary key, \`tenant_id\` text not null, \`owner_id\` text not null, \`department_id\` text not null, \`shortcut\` text not null, \`content\` text not null, \`updated_by\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null);`);
    this.addSql(`create index \`kefu_quick_reply_tenant_id_department_id_index\` on \`kefu_quick_reply\` (\`tenant_id\`, \`department_id\`);`);
    this.addSql(`create unique index \`kefu_quick_reply_tenant_id_owner_id_department_id_shortcut_unique\` on \`kefu_quick_reply\` (\`tenant_id\`, \`owner_id\`, \`department_id\`, \`shortcut\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_quick_reply\`;`);
  }

}
