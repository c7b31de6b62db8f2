/**
 * Routing simulation: `npm run bench:routing-day [-- --seeds 12 --arrivals 2500]`
 *
 * Replays seeded days of traffic (load-tests/routing/day-of-traffic.ts) once per routing policy —
 * the same days for every policy, so they are compared at equal load — and prints, averaged over
 * the seeds: waiting-time percentiles of visitors who reached an agent, abandonment, agent
 * utilisation, and how far the first wait estimate shown to waiting visitors was from the truth
 * (Kefu's drain-rate estimate vs the Rocket.Chat formula, computed in the same run).
 */
import { parseArgs } from 'node:util';
import { percentile } from '../stats.ts';
import { DEFAULT_DAY, PLAIN_SWEEP_MS, runDay, type DayResult, type SimulatedPolicy } from './day-of-traffic.ts';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '12' }, arrivals: { type: 'string' } } });
const seeds = Number(values.seeds);
const arrivalsPerDay = values.arrivals ? Number(values.arrivals) : DEFAULT_DAY.arrivalsPerDay;
const policies: SimulatedPolicy[] = ['idle-first', 'least-busy', 'round-robin', 'plain-round-robin'];

const runs = new Map<SimulatedPolicy, DayResult[]>(policies.map((p) => [p, []]));
for (let seed = 1; seed <= seeds; seed++) {
  for (const policy of policies) runs.get(policy)!.push(runDay({ ...DEFAULT_DAY, arrivalsPerDay, seed, policy }));
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`.padStart(8);
const pct = (x: number): string => `${(100 * x).toFixed(1)} %`.padStart(8);

console.log(
  `Routing day: ${seeds} seeded days, ~${arrivalsPerDay} visitors/day 08–20h in 2 skill groups, ` +
    `${DEFAULT_DAY.agentsEarly}+${DEFAULT_DAY.agentsLate} agents (capacities ${DEFAULT_DAY.capacities.join('/')}), juggling ${DEFAULT_DAY.juggling}. Means over the days.`,
);
console.log('policy              visitors  abandoned       p50       p90       p99  utilisation   first estimate off by (Kefu / Rocket.Chat)');
for (const [policy, results] of runs) {
  const p = (q: number): number => mean(results.map((r) => percentile(r.waits, q)));
  console.log(
    [
      policy.padEnd(17),
      String(Math.round(mean(results.map((r) => r.arrivals)))).padStart(9),
      pct(mean(results.map((r) => r.abandoned / r.arrivals))).padStart(10),
      sec(p(50)).padStart(9),
      sec(p(90)).padStart(9),
      sec(p(99)).padStart(9),
      pct(mean(results.map((r) => r.utilisation))).padStart(12),
      `   ${sec(mean(results.map((r) => r.estimateErrorMs.kefu)))} / ${sec(mean(results.map((r) => r.estimateErrorMs.rocketChat)))}`,
    ].join(' '),
  );
}

const p90s = (policy: SimulatedPolicy): number[] => runs.get(policy)!.map((r) => percentile(r.waits, 90));
const compare = (other: SimulatedPolicy): string => {
  const ours = p90s('idle-first');
  const theirs = p90s(other);
  const better = ours.filter((x, i) => x < theirs[i]!).length;
  return `${(mean(ours) / mean(theirs)).toFixed(2)}× (lower on ${better} of ${seeds} days)`;
};
console.log(`default (idle-first) p90 ÷ Kefu round-robin p90: ${compare('round-robin')}`);
console.log(`default (idle-first) p90 ÷ plain round-robin p90: ${compare('plain-round-robin')}; plain = assigns on arrival and every ${PLAIN_SWEEP_MS / 1000} s`);
