import { Migration } from '@mikro-orm/migrations';

export class Migration20261204020017_file_preview extends Migration {

  override name = 'Migration20261204020017_file_preview';

  override up(): void | Promise<void> {
    this.addSql(`alter table \`kefu_file\` add \`preview\` mediumblob null, add \`preview_width\` int null, add \`preview_height\` int null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table \`kefu_file\` drop column \`preview\`, drop column \`preview_width\`, drop column \`preview_height\`;`);
  }

}
