/**
 * End-to-end benchmark: `npm run bench:e2e [-- --duration 30 --rate 8 --agents 20]` (needs the
 * local infrastructure: `cluster/infra up`).
 *
 * 1. Kefu: a local cluster in cluster mode — one gateway and two actor/worker nodes, as processes
 *    over NATS, Redis, MariaDB, Kafka and Elasticsearch — under the load runner's `mixed` scenario
 *    at a fixed visitor arrival rate (open loop). Printed: messages/s, ack and delivery latency
 *    p50/p90/p99, connections held, CPU and RSS of every node.
 * 2. Baselines, measured in the same run at the same message rate over as many connection pairs:
 *    a raw uWebSockets.js relay and socket.io 4 doing the same work (ack the sender, forward to the
 *    other side: baselines/), and a raw kafkajs producer sending each message with `acks=all` (the
 *    durability Kefu's ack waits for).
 * 3. The ratios of Kefu's figures to each baseline.
 *
 * Bounded: fixed durations, a drain, and every process it started stopped by pid at the end (also
 * on failure); the scratch database and topics are dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { io as socketIoClient } from 'socket.io-client';
import WebSocket from 'ws';
import { DEFAULT_TENANT_ID } from '../actors/directory/channel.repository.ts';
import { ensureSetupToken } from '../actors/directory/setup.ts';
import { openDatabase } from '../cluster/database.ts';
import { LocalCluster } from '../cluster/local-cluster.ts';
import { dropScratchData, localInfraEnv, localInfraUp, scratchMysqlDatabase } from '../cluster/local-infra.ts';
import { ApiClient, expectStatus } from '../tests/api-client.ts';
import { freePorts, waitFor } from '../tests/support.ts';
import { percentile, processUsage } from './stats.ts';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '30' }, rate: { type: 'string', default: '8' }, agents: { type: 'string', default: '20' } } });
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADMIN = { email: 'ops@example.com', password: 'correct horse battery staple' };
const durationS = Number(values.duration);
const started = new Set<ChildProcess>();

type Stats = { readonly p50: number; readonly p90: number; readonly p99: number };
type Row = { name: string; messagesPerS: number; ack: Stats; delivery: Stats | null; connections: number; cpuPerMessageUs: number | null; note: string };
const statsOf = (values: readonly number[]): Stats => ({ p50: percentile(values, 50), p90: percentile(values, 90), p99: percentile(values, 99) });


function spawnNode(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore' });
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Open loop: `send(i)` for messages spread evenly over `durationS` at `rate` per second, whatever earlier ones are doing. */
async function openLoop(rate: number, seconds: number, send: (i: number) => void): Promise<number> {
  const total = Math.floor(rate * seconds);
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    send(i);
  }
  return total;
}

/** A relay baseline: `pairs` visitor/agent connection pairs; messages from random visitor sides; ack and delivery timed. */
async function relayBaseline(name: string, serverFile: string, pairs: number, rate: number): Promise<Row> {
  const port = await freePorts(1);
  const server = spawnNode([serverFile], { PORT: String(port) });
  await waitFor(`${name} to listen`, async () => ((await fetch(`http://127.0.0.1:${port}/ready`).catch(() => null))?.ok ? true : undefined), 30_000);
  const sentAt = new Map<string, number>();
  const measured = { ack: [] as number[], delivery: [] as number[] };
  const onAck = (id: string) => measured.ack.push(performance.now() - sentAt.get(id)!);
  const onDeliver = (payload: { t: number }) => measured.delivery.push(performance.now() - payload.t);
  type Side = { send(payload: { id: string; t: number }): void; close(): void };
  const connect = (pair: number, side: 'v' | 'a'): Promise<Side> =>
    name.startsWith('socket.io')
      ? new Promise((resolve, reject) => {
          const socket = socketIoClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], query: { pair: String(pair), side }, reconnection: false });
          socket.on('m', onDeliver);
          socket.once('connect', () => resolve({ send: (p) => socket.emit('m', p, (a: { ack: string }) => onAck(a.ack)), close: () => socket.close() }));
          socket.once('connect_error', reject);
        })
      : new Promise((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?pair=${pair}&side=${side}`, { perMessageDeflate: false });
          ws.on('message', (data) => {
            const frame = JSON.parse(String(data)) as { ack?: string; t?: number };
            if (frame.ack !== undefined) onAck(frame.ack);
            else onDeliver(frame as { t: number });
          });
          ws.once('open', () => resolve({ send: (p) => ws.send(JSON.stringify(p)), close: () => ws.terminate() }));
          ws.once('error', reject);
        });
  const sides: { v: Side; a: Side }[] = [];
  for (let k = 0; k < pairs; k++) sides.push({ v: await connect(k, 'v'), a: await connect(k, 'a') });
  const cpu0 = processUsage(server.pid!)!.cpuSeconds;
  const t0 = performance.now();
  const total = await openLoop(rate, durationS, (i) => {
    const id = String(i);
    sentAt.set(id, performance.now());
    sides[i % pairs]!.v.send({ id, t: performance.now() });
  });
  await waitFor(`${name}: every ack`, async () => (measured.ack.length >= total && measured.delivery.length >= total ? true : undefined), 30_000).catch(() => undefined);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = processUsage(server.pid!)!.cpuSeconds - cpu0;
  for (const s of sides) {
    s.v.close();
    s.a.close();
  }
  await stop(server);
  return {
    name,
    messagesPerS: measured.ack.length / elapsed,
    ack: statsOf(measured.ack),
    delivery: statsOf(measured.delivery),
    connections: pairs * 2,
    cpuPerMessageUs: (cpu / Math.max(1, measured.ack.length)) * 1e6,
    note: `${measured.ack.length}/${total} acked`,
  };
}

/** The durability floor: each message produced on its own with acks=all (idempotent producer), open loop. */
async function kafkaBaseline(brokers: string, topic: string, rate: number): Promise<Row> {
  const kafka = new Kafka({ clientId: 'kefu-bench-baseline', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  const ack: number[] = [];
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  await openLoop(rate, durationS, (i) => {
    const at = performance.now();
    pending.push(producer.send({ topic, acks: -1, messages: [{ key: `c${i % 50}`, value: JSON.stringify({ seq: i, text: 'a chat message of ordinary length' }) }] }).then(() => void ack.push(performance.now() - at)));
  });
  await Promise.all(pending);
  const elapsed = (performance.now() - t0) / 1000;
  await producer.disconnect();
  return { name: 'kafkajs producer, acks=all', messagesPerS: ack.length / elapsed, ack: statsOf(ack), delivery: null, connections: 1, cpuPerMessageUs: null, note: 'one send per message (the ack is its confirmation)' };
}

type LoadReport = {
  elapsedS: number;
  counts: Record<string, number>;
  processes: { pid: string; cpuPercent: number | null; rssPeakMiB: number }[];
  latencies: Record<string, { count: number } & Stats>;
};

/** The load runner's mixed scenario against a fresh local cluster (cluster mode on the local infrastructure). */
async function kefuCluster(infra: ReturnType<typeof localInfraEnv>, run: string, mysqlUrl: string): Promise<Row> {
  const cluster = new LocalCluster({
    name: run,
    infra,
    output: null,
    env: { KEFU_LOG_LEVEL: 'warn', KEFU_MYSQL_URL: mysqlUrl, KEFU_VISITOR_CONNECTIONS_PER_IP: '100000', KEFU_SIGN_INS_PER_MINUTE: '10000' },
  });
  process.on('exit', () => cluster.killAllNow());
  const base = await freePorts(3);
  const specs = [
    { id: 'gateway-1', roles: 'gateway', port: base },
    { id: 'actors-1', roles: 'actors,workers', port: base + 1 },
    { id: 'actors-2', roles: 'actors,workers', port: base + 2 },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'kefu-e2e-bench-'));
  try {
    await Promise.all(specs.map((s) => cluster.waitReady(cluster.start(s))));
    const url = `http://127.0.0.1:${base}`;
    const db = await openDatabase({ dialect: 'mysql', url: mysqlUrl });
    const setup = await ensureSetupToken(db.orm.em.fork(), { tenantId: DEFAULT_TENANT_ID, now: new Date(), nodeId: 'bench', rotate: true });
    await db.close();
    if (setup.status !== 'issued') throw new Error('expected a setup token');
    expectStatus(await new ApiClient(url).post('/api/v1/setup', { token: setup.token, email: ADMIN.email, displayName: 'Ops', password: ADMIN.password }), 201);
    const json = join(dir, 'kefu.json');
    const nodes = [...cluster.nodes.values()];
    const load = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const args = ['load-tests/load/run.ts', '--scenario', 'mixed', '--url', url, '--duration', String(durationS), '--rate', values.rate, '--agents', values.agents, '--json', json, ...nodes.flatMap((n) => ['--pid', String(n.child.pid)])];
      const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, KEFU_LOAD_ADMIN_EMAIL: ADMIN.email, KEFU_LOAD_ADMIN_PASSWORD: ADMIN.password }, stdio: ['ignore', 'pipe', 'pipe'] });
      started.add(child);
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.once('close', (code) => {
        started.delete(child);
        resolve({ code, output });
      });
    });
    if (load.code === 2) throw new Error(`the load run could not be set up:\n${load.output}`);
    const report = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
    for (const [i, p] of report.processes.entries()) console.log(`  ${nodes[i]!.id}: CPU ${p.cpuPercent} % of a core, RSS peak ${p.rssPeakMiB} MiB`);
    const cpuS = report.processes.reduce((sum, p) => sum + ((p.cpuPercent ?? 0) / 100) * report.elapsedS, 0);
    const messages = report.counts.messages_acked!;
    const pick = (l: Stats): Stats => ({ p50: l.p50, p90: l.p90, p99: l.p99 });
    return {
      name: 'Kefu cluster, visitor protocol',
      messagesPerS: messages / report.elapsedS,
      ack: pick(report.latencies.ack_visitor_ms!),
      delivery: pick(report.latencies.delivery_to_agent_ms!),
      connections: report.counts.connections_peak!,
      cpuPerMessageUs: (cpuS / messages) * 1e6,
      note: `${messages} acked, ${report.counts.lost} lost, ${report.counts.errors} errors; ${load.code === 0 ? 'every SLO met' : 'an SLO missed'}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await cluster.stop();
  }
}

const ms = (s: Stats | null): string => (s ? `${s.p50.toFixed(1)} / ${s.p90.toFixed(1)} / ${s.p99.toFixed(1)}` : '—');

async function main(): Promise<void> {
  localInfraUp();
  const infra = localInfraEnv();
  const run = `bench-e2e-${Date.now().toString(36)}`;
  const scratch = await scratchMysqlDatabase('kefu_bench');
  try {
    console.log(`end to end: the mixed scenario, ${durationS} s at ${values.rate} visitors/s with ${values.agents} agents, against a local cluster; then the baselines at the same message rate`);
    const kefu = await kefuCluster(infra, run, scratch.url);
    const pairs = Math.max(1, Math.ceil(kefu.connections / 2));
    const rate = kefu.messagesPerS;
    const rows = [
      kefu,
      await relayBaseline('uWebSockets.js relay', 'load-tests/baselines/uws-relay.ts', pairs, rate),
      await relayBaseline('socket.io relay', 'load-tests/baselines/socketio-relay.ts', pairs, rate),
      await kafkaBaseline(infra.KEFU_KAFKA_BROKERS, `${run}.baseline`, rate),
    ];
    console.log(`\n  ${'what'.padEnd(32)} ${'msgs/s'.padStart(8)}  ${'ack p50 / p90 / p99 ms'.padEnd(24)} ${'delivery p50 / p90 / p99 ms'.padEnd(28)} ${'conns'.padStart(6)} ${'CPU/msg'.padStart(9)}  note`);
    for (const r of rows) {
      console.log(`  ${r.name.padEnd(32)} ${r.messagesPerS.toFixed(1).padStart(8)}  ${ms(r.ack).padEnd(24)} ${ms(r.delivery).padEnd(28)} ${String(r.connections).padStart(6)} ${(r.cpuPerMessageUs === null ? '—' : `${r.cpuPerMessageUs.toFixed(0)} µs`).padStart(9)}  ${r.note}`);
    }
    const [, uws, sio, kafka] = rows as [Row, Row, Row, Row];
    const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
    console.log(`\nratios (Kefu ÷ baseline): ack p99 ${ratio(kefu.ack.p99, uws.ack.p99)} uWS, ${ratio(kefu.ack.p99, sio.ack.p99)} socket.io, ${ratio(kefu.ack.p99, kafka.ack.p99)} a raw acks=all produce; delivery p99 ${ratio(kefu.delivery!.p99, uws.delivery!.p99)} uWS, ${ratio(kefu.delivery!.p99, sio.delivery!.p99)} socket.io; CPU per message ${ratio(kefu.cpuPerMessageUs!, uws.cpuPerMessageUs!)} uWS, ${ratio(kefu.cpuPerMessageUs!, sio.cpuPerMessageUs!)} socket.io (Kefu's: three processes, all of each run's work)`);
  } finally {
    for (const child of started) child.kill('SIGKILL');
    await scratch.drop();
    await dropScratchData(run);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
