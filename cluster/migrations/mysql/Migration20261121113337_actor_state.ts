import { Migration } from '@mikro-orm/migrations';

export class Migration20261121113337_actor_state extends Migration {

  override name = 'Migration20261121113337_actor_state';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_actor_state\` (\`kind\` varchar(32) not null, \`actor_id\` varchar(191) not null, \`tenant_id\` varchar(64) not null, \`shard\` int not null, \`next_timer_at\` bigint null, \`epoch\` bigint not null, \`version\` int not null, \`state\` mediumtext not null, \`updated_at\` datetime not null, primary key (\`kind\`, \`actor_id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`kefu_actor_state\` add index \`kefu_actor_state_tenant_id_index\` (\`tenant_id\`);`);
    this.addSql(`alter table \`kefu_actor_state\` add index \`kefu_actor_state_kind_shard_next_timer_at_index\` (\`kind\`, \`shard\`, \`next_timer_at\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_actor_state\`;`);
  }

}
