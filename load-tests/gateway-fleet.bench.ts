/**
 * Visitor connections held across several gateway processes:
 * `npm run bench:gateway-fleet [-- --gateways 6 --per-gateway 17000 --addresses 4]`
 *
 * A local cluster on cluster/infra (NATS, Redis, MariaDB, Kafka, Elasticsearch): `--gateways`
 * gateway-only nodes and two actor/worker nodes, each a process of its own. One client process
 * per gateway (a process may hold at most 20,000 open files here, so neither side can hold the
 * fleet in one process) opens `--per-gateway` visitor connections to it, spread over `--addresses`
 * source addresses of its own (127.0.<gateway>.1 …), each saying hello and waiting for its
 * welcome: a real visitor session with a token, stored in MySQL.
 *
 * Printed: how long the fleet took to open (welcomes/s), the connections each gateway counts
 * itself (`kefu_gateway_connections`), its RSS growth and JS heap growth per connection, and the
 * total against the target (≥ 100,000 across the gateway processes, ≤ 4 KiB RSS per connection).
 * The fleet is then held for `--hold-seconds` and checked again: no connection may drop.
 *
 * Bounded: opening has a deadline (`--max-seconds`), the clients exit by themselves after theirs,
 * and every process is stopped at the end, also on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalCluster } from '../cluster/local-cluster.ts';
import { dropScratchData, localInfraEnv, localInfraUp, scratchMysqlDatabase } from '../cluster/local-infra.ts';
import { freePorts, sumOf } from '../tests/support.ts';
import { probe } from './proc.ts';

const { values } = parseArgs({
  options: {
    gateways: { type: 'string', default: '6' },
    'per-gateway': { type: 'string', default: '17000' },
    addresses: { type: 'string', default: '4' },
    'hold-seconds': { type: 'string', default: '10' },
    'max-seconds': { type: 'string', default: '600' },
  },
});
const GATEWAYS = Number(values.gateways);
const PER_GATEWAY = Number(values['per-gateway']);
const ADDRESSES = Number(values.addresses);
const HOLD_SECONDS = Number(values['hold-seconds']);
const MAX_SECONDS = Number(values['max-seconds']);
const CLIENT = fileURLToPath(new URL('./fleet-client.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Tally = { welcomed: number; failed: number; dropped: number; done: boolean; closes: Record<string, number> };

/** A client process and the last tally it printed. */
function startClient(url: string, sourceAddresses: string[]): { child: ChildProcess; tally: () => Tally } {
  // Bounded by itself: it exits after opening plus holding, even if this process dies first.
  const holdSeconds = MAX_SECONDS + HOLD_SECONDS + 60;
  const child = spawn(process.execPath, [CLIENT, url, String(PER_GATEWAY), sourceAddresses.join(','), String(holdSeconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let last: Tally = { welcomed: 0, failed: 0, dropped: 0, done: false, closes: {} };
  let buffered = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line.trim()) last = JSON.parse(line) as Tally;
  });
  return { child, tally: () => last };
}

/** What a gateway node says of itself on /metrics: its visitor connections and its JS heap in use. */
async function selfReport(port: number): Promise<{ connections: number; heapKiB: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return { connections: sumOf(text, 'kefu_gateway_connections', { role: 'visitor' }), heapKiB: sumOf(text, 'nodejs_heap_size_used_bytes') / 1024 };
}

async function main(): Promise<void> {
  localInfraUp();
  const run = `fleet-${Date.now().toString(36)}`;
  const scratch = await scratchMysqlDatabase('kefu_fleet');
  const perAddress = Math.ceil(PER_GATEWAY / ADDRESSES) + 10;
  // Visitor heartbeats far apart (the clients do not ping): a held connection is an idle widget.
  const env = { KEFU_LOG_LEVEL: 'warn', KEFU_MYSQL_URL: scratch.url, KEFU_VISITOR_CONNECTIONS_PER_IP: String(perAddress), KEFU_VISITOR_HEARTBEAT: '300' };
  const cluster = new LocalCluster({ name: run, infra: localInfraEnv(), output: null, env });
  const clients: ReturnType<typeof startClient>[] = [];
  const stopClients = () => {
    for (const c of clients) if (c.child.exitCode === null) c.child.kill('SIGTERM');
  };
  process.on('exit', () => {
    stopClients();
    cluster.killAllNow();
  });
  try {
    const base = await freePorts(GATEWAYS + 2);
    const gateways = Array.from({ length: GATEWAYS }, (_, g) => ({ id: `gateway-${g + 1}`, roles: 'gateway', port: base + g }));
    const actors = [1, 2].map((n) => ({ id: `actors-${n}`, roles: 'actors,workers', port: base + GATEWAYS + n - 1 }));
    await Promise.all([...gateways, ...actors].map((spec) => cluster.waitReady(cluster.start(spec))));
    await sleep(2_000);
    const pidOf = (id: string) => cluster.nodes.get(id)!.child.pid!;
    const before = await Promise.all(gateways.map(async (g) => ({ rssKiB: probe(pidOf(g.id)).rssKiB, heapKiB: (await selfReport(g.port)).heapKiB })));

    console.log(`Gateway fleet: ${GATEWAYS} gateway processes × ${PER_GATEWAY.toLocaleString('en-US')} visitor connections (${ADDRESSES} source addresses each), 2 actor nodes, on this machine`);
    const t0 = performance.now();
    gateways.forEach((g, i) => clients.push(startClient(`ws://127.0.0.1:${g.port}/ws/visitor/web`, Array.from({ length: ADDRESSES }, (_, a) => `127.0.${i + 1}.${a + 1}`))));
    const total = () => {
      const sum = { welcomed: 0, failed: 0, dropped: 0, closes: {} as Record<string, number> };
      for (const { welcomed, failed, dropped, closes } of clients.map((c) => c.tally())) {
        sum.welcomed += welcomed;
        sum.failed += failed;
        sum.dropped += dropped;
        for (const [code, n] of Object.entries(closes)) sum.closes[code] = (sum.closes[code] ?? 0) + n;
      }
      return sum;
    };
    const closeCodes = (closes: Record<string, number>) => (Object.keys(closes).length === 0 ? '' : ` (close codes ${JSON.stringify(closes)})`);
    let lastPrint = 0;
    while (!clients.every((c) => c.tally().done)) {
      if (clients.some((c) => c.child.exitCode !== null)) throw new Error('a client process exited before it had opened its connections');
      if (performance.now() - t0 > MAX_SECONDS * 1000) throw new Error(`the fleet was not open within ${MAX_SECONDS} s: ${JSON.stringify(total())}`);
      if (performance.now() - lastPrint > 10_000) {
        lastPrint = performance.now();
        console.log(`  … ${total().welcomed.toLocaleString('en-US')} welcomed after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
      await sleep(250);
    }
    const openSeconds = (performance.now() - t0) / 1000;
    const opened = total();
    console.log(`  opened: ${opened.welcomed.toLocaleString('en-US')} welcomed, ${opened.failed} failed${closeCodes(opened.closes)}, in ${openSeconds.toFixed(1)} s (${Math.round(opened.welcomed / openSeconds).toLocaleString('en-US')} hellos/s)`);

    await sleep(3_000);
    const rows = await Promise.all(
      gateways.map(async (g, i) => {
        const self = await selfReport(g.port);
        const rssKiB = probe(pidOf(g.id)).rssKiB;
        return { id: g.id, connections: self.connections, rssPerConnection: (rssKiB - before[i]!.rssKiB) / self.connections, heapPerConnection: (self.heapKiB - before[i]!.heapKiB) / self.connections, rssMiB: rssKiB / 1024 };
      }),
    );
    for (const r of rows) {
      console.log(`  ${r.id.padEnd(11)} holds ${r.connections.toLocaleString('en-US').padStart(6)}  RSS ${r.rssMiB.toFixed(0)} MiB, +${r.rssPerConnection.toFixed(1)} KiB/connection (JS heap +${r.heapPerConnection.toFixed(1)} KiB)`);
    }
    const held = rows.reduce((sum, r) => sum + r.connections, 0);
    const rssPerConnection = rows.reduce((sum, r) => sum + r.rssPerConnection * r.connections, 0) / held;
    console.log(`  total: ${held.toLocaleString('en-US')} visitor connections held by the gateways (target ≥ 100,000); RSS +${rssPerConnection.toFixed(1)} KiB per connection (target ≤ 4 KiB)`);

    await sleep(HOLD_SECONDS * 1000);
    const after = total();
    const stillHeld = (await Promise.all(gateways.map((g) => selfReport(g.port)))).reduce((sum, s) => sum + s.connections, 0);
    console.log(`  after ${HOLD_SECONDS} s held: the gateways count ${stillHeld.toLocaleString('en-US')}; the clients saw ${after.dropped} dropped${closeCodes(after.closes)}`);
  } finally {
    stopClients();
    await Promise.all(clients.map((c) => (c.child.exitCode === null ? new Promise((r) => c.child.once('exit', r)) : undefined)));
    await cluster.stop();
    await dropScratchData(run);
    await scratch.drop();
  }
}

await main();
