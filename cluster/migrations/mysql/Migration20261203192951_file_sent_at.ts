import { Migration } from '@mikro-orm/migrations';

export class Migration20261203192951_file_sent_at extends Migration {

  override name = 'Migration20261203192951_file_sent_at';

  override up(): void | Promise<void> {
    this.addSql(`alter table \`kefu_file\` add \`sent_at\` datetime null;`);
    // Files stored before this was recorded may be in messages: they count as sent, and are kept.
    this.addSql(`update \`kefu_file\` set \`sent_at\` = \`created_at\`;`);
    this.addSql(`alter table \`kefu_file\` add index \`kefu_file_sent_at_created_at_index\` (\`sent_at\`, \`created_at\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table \`kefu_file\` drop index \`kefu_file_sent_at_created_at_index\`;`);
    this.addSql(`alter table \`kefu_file\` drop column \`sent_at\`;`);
  }

}
