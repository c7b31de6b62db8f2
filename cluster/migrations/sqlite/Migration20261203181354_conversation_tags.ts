import { Migration } from '@mikro-orm/migrations';

export class Migration20261203181354_conversation_tags extends Migration {

  override name = 'Migration20261203181354_conversation_tags';

  override up(): void | Promise<void> {
    this.addSql(`alter table \`kefu_conversation_record\` add column \`tags\` text not null default '[]';`);
    this.addSql(`alter table \`kefu_conversation_record\` add column \`tags_at\` bigint not null default '0';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table \`kefu_conversation_record\` drop column \`tags\`;`);
    this.addSql(`alter table \`kefu_conversation_record\` drop column \`tags_at\`;`);
  }

}
