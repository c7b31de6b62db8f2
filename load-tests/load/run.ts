/**
 * The load runner: `npm run load -- --scenario mixed --url http://127.0.0.1:8035 [options]`
 * (load-tests/README.md). Runs one scenario of scenarios.ts against a running Kefu — embedded or a
 * cluster's gateway — at a fixed arrival rate (open loop), prints throughput, latency percentiles,
 * connections held and, for the processes named by --pid, CPU and RSS; then judges the scenario's
 * SLOs and exits 1 if one is missed (2 if the run could not be set up).
 *
 * Agents are real accounts: the runner signs in as an admin (--admin-email / --admin-password, or
 * KEFU_LOAD_ADMIN_EMAIL / KEFU_LOAD_ADMIN_PASSWORD), creates them in the skill group, and disables
 * them at the end. Bounded: arrivals stop at --duration (or --max-visitors), sessions still running
 * get --drain seconds, then everything is closed.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ApiClient, expectStatus } from '../../tests/api-client.ts';
import { processUsage } from '../stats.ts';
import { SCENARIOS, type ScenarioName } from './scenarios.ts';
import { AgentDesk, LoadRun, visitorSession } from './sessions.ts';
import { COUNTS, formatThreshold, judge, LATENCIES, Measurements, parseThreshold, statOf, type LatencyName, type Threshold } from './slo.ts';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'mixed' },
    url: { type: 'string', default: 'http://127.0.0.1:8035' },
    duration: { type: 'string' },
    rate: { type: 'string' },
    agents: { type: 'string' },
    'agent-capacity': { type: 'string' },
    messages: { type: 'string' },
    'interval-ms': { type: 'string' },
    'max-visitors': { type: 'string', default: '100000' },
    drain: { type: 'string', default: '60' },
    channel: { type: 'string', default: 'web' },
    department: { type: 'string', default: 'default' },
    'skill-group': { type: 'string', default: 'default' },
    'admin-email': { type: 'string', default: process.env['KEFU_LOAD_ADMIN_EMAIL'] ?? '' },
    'admin-password': { type: 'string', default: process.env['KEFU_LOAD_ADMIN_PASSWORD'] ?? '' },
    threshold: { type: 'string', multiple: true, default: [] },
    pid: { type: 'string', multiple: true, default: [] },
    json: { type: 'string' },
  },
});

function fail(message: string): never {
  console.error(`load: ${message}`);
  process.exit(2);
}

const name = values.scenario as ScenarioName;
const scenario = SCENARIOS[name] ?? fail(`no scenario "${values.scenario}"; choose one of ${Object.keys(SCENARIOS).join(', ')}`);
const num = (v: string | undefined, fallback: number, what: string): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) fail(`--${what} must be a number ≥ 0, not "${v}"`);
  return n;
};
const durationS = num(values.duration, scenario.durationS, 'duration');
const rate = num(values.rate, scenario.rate, 'rate');
const agentCount = Math.floor(num(values.agents, scenario.agents, 'agents'));
const agentCapacity = Math.floor(num(values['agent-capacity'], scenario.agentCapacity, 'agent-capacity'));
const maxVisitors = Math.floor(num(values['max-visitors'], 100_000, 'max-visitors'));
const drainS = num(values.drain, 60, 'drain');
const plan = {
  channelKey: values.channel,
  messages: Math.max(1, Math.floor(num(values.messages, scenario.messages, 'messages'))),
  intervalMs: num(values['interval-ms'], scenario.intervalMs, 'interval-ms'),
  resume: scenario.resume,
  waitForAgentMs: agentCount > 0 ? scenario.waitForAgentMs : null,
};
// A threshold given on the command line replaces the scenario's for the same metric and statistic.
let thresholds: Threshold[];
try {
  const given = values.threshold.map(parseThreshold);
  const same = (a: Threshold, b: Threshold) => a.metric === b.metric && a.stat === b.stat;
  thresholds = [...scenario.thresholds.map(parseThreshold).filter((t) => !given.some((g) => same(g, t))), ...given];
} catch (error) {
  fail((error as Error).message);
}

async function setUpAgents(run: LoadRun, runId: string): Promise<{ desks: AgentDesk[]; disable(): Promise<void> }> {
  if (agentCount === 0) return { desks: [], disable: async () => undefined };
  if (!values['admin-email'] || !values['admin-password']) fail('this scenario has agents: give --admin-email and --admin-password (or KEFU_LOAD_ADMIN_EMAIL / KEFU_LOAD_ADMIN_PASSWORD)');
  const admin = await new ApiClient(run.url).login(values['admin-email'], values['admin-password']);
  const roles = expectStatus(await admin.get('/api/v1/roles'), 200) as { id: string; name: string }[];
  const agentRole = roles.find((r) => r.name.startsWith('Agent')) ?? fail('no built-in Agent role found');
  const password = randomBytes(18).toString('base64url');
  const ids: string[] = [];
  const desks: AgentDesk[] = [];
  for (let i = 1; i <= agentCount; i++) {
    const email = `load-${runId}-${i}@load.kefu.invalid`;
    const account = expectStatus(
      await admin.post('/api/v1/accounts', { email, displayName: `Load agent ${i}`, password, departmentId: values.department, roleIds: [agentRole.id], skillGroupIds: [values['skill-group']], maxConversations: agentCapacity }),
      201,
    ) as { id: string };
    ids.push(account.id);
    const session = await new ApiClient(run.url).login(email, password);
    const desk = new AgentDesk(run, email);
    await desk.start(session.cookie!);
    desks.push(desk);
  }
  return {
    desks,
    disable: async () => {
      for (const id of ids) await admin.patch(`/api/v1/accounts/${id}`, { disabled: true });
    },
  };
}

async function main(): Promise<void> {
  const measured = new Measurements();
  const run = new LoadRun(values.url, measured);
  const runId = randomBytes(3).toString('hex');
  console.log(`load: scenario ${name} — ${scenario.description}`);
  console.log(`load: ${values.url}, ${durationS} s, arrivals ${rate}/s (open loop), ${agentCount} agents × ${agentCapacity}, ${plan.messages} messages every ${plan.intervalMs} ms`);
  const agents = await setUpAgents(run, runId).catch((error: unknown) => fail(`setting up agents failed: ${(error as Error).message}`));

  const pids = values.pid;
  const before = new Map(pids.map((pid) => [pid, processUsage(pid)]));
  const rssPeak = new Map<string, number>();
  const sampler = setInterval(() => {
    for (const pid of pids) rssPeak.set(pid, Math.max(rssPeak.get(pid) ?? 0, processUsage(pid)?.rssBytes ?? 0));
  }, 1_000);

  // Open loop: arrivals follow the scenario's rate whatever the sessions before them are doing.
  const sessions: Promise<void>[] = [];
  const started = performance.now();
  let due = 0;
  let visitors = 0;
  await new Promise<void>((resolve) => {
    let last = started;
    const tick = setInterval(() => {
      const now = performance.now();
      const t = (now - started) / 1000;
      if (t >= durationS || visitors >= maxVisitors) {
        clearInterval(tick);
        resolve();
        return;
      }
      due += (scenario.arrivals(t, durationS, rate) * (now - last)) / 1000;
      last = now;
      for (; due >= 1 && visitors < maxVisitors; due--) sessions.push(visitorSession(run, `v${runId}${++visitors}`, plan));
    }, 10);
  });
  const arrivalsS = (performance.now() - started) / 1000;
  const drained = await Promise.race([Promise.all(sessions).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), drainS * 1000).unref())]);
  if (!drained) measured.error(`sessions still running ${drainS} s after the last arrival`);
  const elapsedS = (performance.now() - started) / 1000;
  clearInterval(sampler);
  for (const desk of agents.desks) desk.stop();
  await agents.disable().catch((error: unknown) => console.error(`load: could not disable the load agents: ${(error as Error).message}`));
  measured.add('lost', run.lost());

  // ---- report -------------------------------------------------------------------------------
  const counts = Object.fromEntries(measured.counts);
  console.log(`\nload: ${visitors} visitors arrived in ${arrivalsS.toFixed(1)} s (${(visitors / arrivalsS).toFixed(1)}/s); run ${elapsedS.toFixed(1)} s; ${counts.messages_acked} messages acked (${(counts.messages_acked! / elapsedS).toFixed(1)}/s); ${counts.connections_peak} connections at most`);
  console.log(Object.entries(COUNTS).map(([k]) => `  ${k.padEnd(20)} ${counts[k]}`).join('\n'));
  console.log(`\n  ${'latency (ms)'.padEnd(24)} ${['count', 'p50', 'p90', 'p99', 'max'].map((h) => h.padStart(8)).join('')}`);
  for (const key of Object.keys(LATENCIES) as LatencyName[]) {
    const v = measured.latencies.get(key)!;
    if (v.length === 0) continue;
    console.log(`  ${key.padEnd(24)} ${String(v.length).padStart(8)}${(['p50', 'p90', 'p99', 'max'] as const).map((s) => statOf(v, s).toFixed(1).padStart(8)).join('')}`);
  }
  const processes = pids.map((pid) => {
    const a = before.get(pid);
    const b = processUsage(pid);
    const cpu = a && b ? (b.cpuSeconds - a.cpuSeconds) / elapsedS : null;
    return { pid, cpuPercent: cpu === null ? null : Math.round(cpu * 1000) / 10, rssPeakMiB: Math.round((rssPeak.get(pid) ?? 0) / 1048576), rssEndMiB: b ? Math.round(b.rssBytes / 1048576) : null };
  });
  for (const p of processes) console.log(`  process ${p.pid}: CPU ${p.cpuPercent ?? '?'} % of a core, RSS peak ${p.rssPeakMiB} MiB, at the end ${p.rssEndMiB ?? '?'} MiB`);
  for (const e of measured.errorSamples) console.log(`  error: ${e}`);

  const verdicts = judge(measured, thresholds);
  console.log('\nSLOs:');
  for (const v of verdicts) console.log(`  ${v.passed ? 'ok  ' : 'MISS'} ${formatThreshold(v.threshold).padEnd(36)} actual ${Number.isInteger(v.actual) ? v.actual : v.actual.toFixed(1)}`);
  if (values.json) {
    const latencies = Object.fromEntries([...measured.latencies].map(([k, v]) => [k, { count: v.length, p50: statOf(v, 'p50'), p90: statOf(v, 'p90'), p99: statOf(v, 'p99'), max: statOf(v, 'max') }]));
    writeFileSync(values.json, JSON.stringify({ scenario: name, url: values.url, durationS, rate, agents: agentCount, visitors, elapsedS, counts, latencies, processes, slos: verdicts.map((v) => ({ slo: formatThreshold(v.threshold), actual: v.actual, passed: v.passed })) }, null, 2));
  }
  const missed = verdicts.filter((v) => !v.passed).length;
  console.log(missed === 0 ? `\nload: every SLO met` : `\nload: ${missed} SLO(s) missed`);
  process.exit(missed === 0 ? 0 : 1);
}

main().catch((error: unknown) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
