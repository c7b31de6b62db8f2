/**
 * Integration tests run against the real services. Whatever part of the local infrastructure is
 * not reachable yet is started here through cluster/infra; the teardown stops exactly those parts
 * again (services someone else started are left alone).
 */
import { execFileSync } from 'node:child_process';
import { INFRA_SCRIPT, localInfraUp } from '../cluster/local-infra.ts';

const SERVICES = ['mariadb', 'redis', 'nats', 'kafka', 'elasticsearch', 'prometheus'];

export default function setup(): void {
  // Idempotent and quick once everything is cached; on a fresh machine it downloads and builds.
  execFileSync(INFRA_SCRIPT, ['install'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const down = SERVICES.filter((service) => {
    try {
      execFileSync(INFRA_SCRIPT, ['status', service], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (down.length > 0) {
    process.stderr.write(`\n[integration] starting ${down.join(', ')} through cluster/infra\n`);
    localInfraUp(down);
  }
  (globalThis as { kefuStartedInfra?: string[] }).kefuStartedInfra = down;
}
