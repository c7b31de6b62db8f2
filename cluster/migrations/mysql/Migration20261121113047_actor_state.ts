import { Migration } from '@mikro-orm/migrations';

export class Migration20261121113047_actor_state extends Migration {

  override name = 'Migration20261121113047_actor_state';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_actor_state\` (\`kind\` varchar(32) not null, \`actor_id\` varchar(191) not null, \`tenant_id\` varchar(64) not null, \`epoch\` bigint not null, \`version\` int not null, \`state\` mediumtext not null, \`updated_at\` datetime not null, primary key (\`kind\`, \`actor_id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_actor_state\` add index \`kefu_actor_state_tenant_id_index\` (\`tenant_id\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_actor_state\`;`);
  }

}
