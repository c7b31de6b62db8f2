/**
 * Routing simulation: `npm run bench:routing-day [-- --seed N --arrivals N]`
 *
 * Replays the same seeded day of traffic (load-tests/routing/day-of-traffic.ts) once per routing
 * policy and prints waiting-time percentiles, abandonment and agent utilisation side by side, and
 * how far the first wait estimate shown to visitors was from the truth (Kefu's drain-rate estimate
 * vs the Rocket.Chat formula, in the same run).
 */
import { parseArgs } from 'node:util';
import type { RoutingPolicy } from '../../actors/queue/state.ts';
import { DEFAULT_DAY, percentile, runDay } from './day-of-traffic.ts';

const { values } = parseArgs({ options: { seed: { type: 'string' }, arrivals: { type: 'string' } } });
const options = {
  ...DEFAULT_DAY,
  ...(values.seed ? { seed: Number(values.seed) } : {}),
  ...(values.arrivals ? { arrivalsPerDay: Number(values.arrivals) } : {}),
};
const policies: RoutingPolicy[] = ['idle-first', 'least-busy', 'round-robin'];

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`.padStart(9);
console.log(
  `Day of traffic: seed ${options.seed}, ~${options.arrivalsPerDay} visitors 08–20h, ${options.agentsEarly}+${options.agentsLate} agents × ${options.capacities.join('/')} chats, juggling factor ${options.juggling}`,
);
console.log('policy        arrivals  assigned  abandoned      p50      p90      p99   utilisation   estimate error (Kefu / Rocket.Chat)');
const results = policies.map((policy) => runDay({ ...options, policy }));
for (const r of results) {
  console.log(
    [
      r.policy.padEnd(12),
      String(r.arrivals).padStart(9),
      String(r.assigned).padStart(9),
      `${((100 * r.abandoned) / r.arrivals).toFixed(1)} %`.padStart(10),
      s(percentile(r.waits, 50)),
      s(percentile(r.waits, 90)),
      s(percentile(r.waits, 99)),
      `${(100 * r.utilisation).toFixed(1)} %`.padStart(13),
      `   ${s(r.estimateErrorMs.kefu)} / ${s(r.estimateErrorMs.rocketChat)}  (${r.estimateErrorMs.samples} visitors)`,
    ].join(' '),
  );
}
const [first, , rr] = results;
console.log(`default (idle-first) p90 vs round-robin p90: ${(percentile(first!.waits, 90) / Math.max(1, percentile(rr!.waits, 90))).toFixed(2)}×`);
