import { Migration } from '@mikro-orm/migrations';

export class Migration20261121121331_actor_index_key extends Migration {

  override name = 'Migration20261121121331_actor_index_key';

  // Written by hand: SQLite cannot add a NOT NULL column without a default to a table with rows,
  // and a default would differ from the entity; so the table is rebuilt, existing rows get ''.
  override up(): void | Promise<void> {
    this.addSql(`pragma foreign_keys = off;`);
    this.addSql(`create table \`kefu_actor_state__temp_alter\` (\`kind\` text not null, \`actor_id\` text not null, \`tenant_id\` text not null, \`shard\` integer not null, \`next_timer_at\` bigint null, \`epoch\` bigint not null, \`version\` integer not null, \`state\` mediumtext not null, \`updated_at\` datetime not null, \`index_key\` text not null, primary key (\`kind\`, \`actor_id\`));`);
    this.addSql(`insert into \`kefu_actor_state__temp_alter\` select \`kind\`, \`actor_id\`, \`tenant_id\`, \`shard\`, \`next_timer_at\`, \`epoch\`, \`version\`, \`state\`, \`updated_at\`, '' from \`kefu_actor_state\`;`);
    this.addSql(`drop table \`kefu_actor_state\`;`);
    this.addSql(`alter table \`kefu_actor_state__temp_alter\` rename to \`kefu_actor_state\`;`);
    this.addSql(`create index \`kefu_actor_state_tenant_id_index\` on \`kefu_actor_state\` (\`tenant_id\`);`);
    this.addSql(`create index \`kefu_actor_state_kind_shard_next_timer_at_index\` on \`kefu_actor_state\` (\`kind\`, \`shard\`, \`next_timer_at\`);`);
    this.addSql(`create index \`kefu_actor_state_kind_index_key_index\` on \`kefu_actor_state\` (\`kind\`, \`index_key\`);`);
    this.addSql(`pragma foreign_keys = on;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index \`kefu_actor_state_kind_index_key_index\`;`);
    this.addSql(`alter table \`kefu_actor_state\` drop column \`index_key\`;`);
  }

}
