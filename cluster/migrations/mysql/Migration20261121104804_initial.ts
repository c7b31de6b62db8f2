import { Migration } from '@mikro-orm/migrations';

export class Migration20261121104804_initial extends Migration {

  override name = 'Migration20261121104804_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table \`kefu_setup_token\` (\`step\` varchar(32) not null, \`token_hash\` varchar(64) not null, \`issued_at\` datetime not null, \`expires_at\` datetime not null, \`issued_by_node\` varchar(128) not null, \`redeemed_at\` datetime null, primary key (\`step\`)) default character set utf8mb4 engine = InnoDB;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`kefu_setup_token\`;`);
  }

}
