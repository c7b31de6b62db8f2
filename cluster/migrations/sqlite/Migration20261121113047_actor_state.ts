import { Migration } from '@mikro-orm/migrations';

export class Migration20261121113047_actor_state extends Migration {

  override name = 'Migration20261121113047_actor_state';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_actor_state\` (\`kind\` text not null, \`actor_id\` text not null, \`tenant_id\` text not null, \`epoch\` bigint not null, \`version\` integer not null, \`state\` mediumtext not null, \`updated_at\` datetime not null, primary key (\`kind\`, \`actor_id\`));`);
    this.addSql(`create index \`kefu_actor_state_tenant_id_index\` on \`kefu_actor_state\` (\`tenant_id\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_actor_state\`;`);
  }

}
