import { Migration } from '@mikro-orm/migrations';

export class Migration20261204020016_file_preview extends Migration {

  override name = 'Migration20261204020016_file_preview';

  override up(): void | Promise<void> {
    this.addSql(`alter table \`kefu_file\` add column \`preview\` mediumblob null;`);
    this.addSql(`alter table \`kefu_file\` add column \`preview_width\` integer null;`);
    this.addSql(`alter table \`kefu_file\` add column \`preview_height\` integer null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table \`kefu_file\` drop column \`preview\`;`);
    this.addSql(`alter table \`kefu_file\` drop column \`preview_width\`;`);
    this.addSql(`alter table \`kefu_file\` drop column \`preview_height\`;`);
  }

}
