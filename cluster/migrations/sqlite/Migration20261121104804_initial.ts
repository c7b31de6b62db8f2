import { Migration } from '@mikro-orm/migrations';

export class Migration20261121104804_initial extends Migration {

  override name = 'Migration20261121104804_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_setup_token\` (\`step\` text not null primary key, \`token_hash\` text not null, \`issued_at\` datetime not null, \`expires_at\` datetime not null, \`issued_by_node\` text not null, \`redeemed_at\` datetime null);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_setup_token\`;`);
  }

}
