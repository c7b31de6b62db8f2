import { Migration } from '@mikro-orm/migrations';

export class Migration20261203181355_conversation_tags extends Migration {

  override name = 'Migration20261203181355_conversation_tags';

  // Existing rows get MariaDB's implicit defaults ('' and 0): the record reads '' as no tags.
  override up(): void | Promise<void> {
    this.addSql(`alter table \`kefu_conversation_record\` add \`tags\` text not null, add \`tags_at\` bigint not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table \`kefu_conversation_record\` drop column \`tags\`, drop column \`tags_at\`;`);
  }

}
