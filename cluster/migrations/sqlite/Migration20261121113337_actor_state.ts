import { Migration } from '@mikro-orm/migrations';

export class Migration20261121113337_actor_state extends Migration {

  override name = 'Migration20261121113337_actor_state';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_actor_state\` (\`kind\` text not null, \`actor_id\` text not null, \`tenant_id\` text not null, \`shard\` integer not null, \`next_timer_at\` bigint null, \`epoch\` bigint not null, \`version\` integer not null, \`state\` mediumtext not null, \`updated_at\` datetime not null, primary key (\`kind\`, \`actor_id\`));`);
    this.addSql(`create index \`kefu_actor_state_tenant_id_index\` on \`kefu_actor_state\` (\`tenant_id\`);`);
    this.addSql(`create index \`kefu_actor_state_kind_shard_next_timer_at_index\` on \`kefu_actor_state\` (\`kind\`, \`shard\`, \`next_timer_at\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_actor_state\`;`);
  }

}
