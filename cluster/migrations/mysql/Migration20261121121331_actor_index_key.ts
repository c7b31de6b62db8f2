import { Migration } from '@mikro-orm/migrations';

export class Migration20261121121331_actor_index_key extends Migration {

  override name = 'Migration20261121121331_actor_index_key';

  override up(): void | Promise<void> {
    this.addSql(`alter table \`kefu_actor_state\` add \`index_key\` varchar(191) not null;`);
    this.addSql(`alter table \`kefu_actor_state\` add index \`kefu_actor_state_kind_index_key_index\` (\`kind\`, \`index_key\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table \`kefu_actor_state\` drop index \`kefu_actor_state_kind_index_key_index\`;`);
    this.addSql(`alter table \`kefu_actor_state\` drop column \`index_key\`;`);
  }

}
