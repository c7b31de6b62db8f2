import { Migration } from '@mikro-orm/migrations';

export class Migration20261121131354_actor_outbox extends Migration {

  override name = 'Migration20261121131354_actor_outbox';

  override up(): void | Promise<void> {
    this.addSql(`alter table \`kefu_actor_state\` add \`outbox\` mediumtext null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table \`kefu_actor_state\` drop column \`outbox\`;`);
  }

}
