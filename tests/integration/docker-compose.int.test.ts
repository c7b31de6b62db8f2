/** `docker compose config` (the real Compose CLI, built by cluster/infra install) accepts the file. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { localInfraEnv } from '../../cluster/local-infra.ts';

test('docker compose config accepts docker-compose.yml and resolves the Kefu nodes', () => {
  const file = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));
  const out = execFileSync(localInfraEnv().KEFU_INFRA_COMPOSE_BIN, ['-f', file, 'config', '--format', 'json'], { encoding: 'utf8' });
  const resolved = JSON.parse(out) as { services: Record<string, { environment: Record<string, string>; deploy?: { replicas?: number } }> };
  expect(resolved.services['kefu-actors']?.deploy?.replicas).toBe(3);
  expect(resolved.services['kefu-gateway']?.environment.KEFU_MYSQL_URL).toBe('mysql://kefu:kefu-trial@mysql:3306/kefu');
});
