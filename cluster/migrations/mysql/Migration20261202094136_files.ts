import { Migration } from '@mikro-orm/migrations';

export class Migration20261202094136_files extends Migration {

  override name = 'Migration20261202094136_files';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_file\` (\`id\` varchar(32) not null, \`tenant_id\` varchar(64) not null, \`conversation_id\` varchar(64) not null, \`uploaded_by\` varchar(100) not null, \`name\` varchar(255) not null, \`content_type\` varchar(100) not null, \`size\` int not null, \`data\` mediumblob not null, \`created_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_file\` add index \`kefu_file_conversation_id_index\` (\`conversation_id\`);`);

    this.addSql(`alter table \`kefu_message\` add \`attachment\` text not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_file\`;`);

    this.addSql(`alter table \`kefu_message\` drop column \`attachment\`;`);
  }

}
