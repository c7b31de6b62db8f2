import { execFileSync } from 'node:child_process';
import { INFRA_SCRIPT } from '../cluster/local-infra.ts';

/** Stops the services infra.setup.ts started for this run, and only those. */
export default function teardown(): void {
  const started = (globalThis as { kefuStartedInfra?: string[] }).kefuStartedInfra ?? [];
  if (started.length === 0 || process.env.KEFU_KEEP_INFRA === '1') return;
  process.stderr.write(`\n[integration] stopping ${started.join(', ')}\n`);
  execFileSync(INFRA_SCRIPT, ['down', ...started], { stdio: ['ignore', 'inherit', 'inherit'] });
}
