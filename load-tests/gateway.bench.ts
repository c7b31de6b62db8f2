/**
 * Gateway benchmark: `npm run bench:gateway [-- --connections 5000 --active 1000 --messages 20 --cluster]`
 *
 * Three servers, each in a process of its own, measured one after the other by the same client
 * process on loopback:
 *   uws       a bare uWebSockets.js echo server (the floor: what the transport itself costs)
 *   socket.io a socket.io 4 echo server, WebSocket transport only (the realtime layer most peers use)
 *   kefu      an embedded Kefu node speaking visitor protocol v1: every message is parsed,
 *             validated, rate-limited, routed to its conversation actor, committed to the SQLite
 *             message log (group commit, synchronous=FULL), acknowledged, and pushed back out
 *             to the visitor's connection — so its figures include the actor and the durable write
 *             that a cluster gateway hands to other processes.
 *   kefu gateway (cluster), with `--cluster`: the same protocol through a gateway-only node of a
 *             local cluster (cluster mode on cluster/infra: NATS, Redis, MariaDB, Kafka,
 *             Elasticsearch), its conversations on two actor nodes in processes of their own. Only
 *             the gateway process is measured: the gateway's own share of a message (decode,
 *             validate, rate-limit, the actor call over NATS and its answer, the ack, the push
 *             event back and its frame) — what the issue's "within 3× of raw uWS echo" is about.
 *
 * Phase 1 (idle): `--connections` connections are opened (Kefu's also say hello and get a token)
 * and held; the server's RSS growth divided by the count is the memory per connection.
 * Phase 2 (messages): `--active` of them each send `--messages` messages one after another,
 * waiting for the answer (echo, or Kefu's `ack`) before the next; the server's CPU time
 * (utime+stime from /proc) divided by the messages is its CPU per message; also messages/s and
 * round-trip p50/p99. Each connection stays under Kefu's per-connection rate limit (burst 30).
 *
 * `KEFU_BENCH_PROFILE_DIR=<dir>` makes the Kefu node write a CPU profile (.cpuprofile) into <dir>.
 *
 * Bounded: every phase has a deadline; servers are stopped by pid at the end, also on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { io as socketIoClient, type Socket as SocketIoSocket } from 'socket.io-client';
import WebSocket from 'ws';
import { LocalCluster } from '../cluster/local-cluster.ts';
import { NODE_FLAGS } from '../cluster/node-flags.ts';
import { dropScratchData, localInfraEnv, localInfraUp, scratchMysqlDatabase } from '../cluster/local-infra.ts';
import { freePorts } from '../tests/support.ts';
import { CLK_TCK, probe } from './proc.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '5000' },
    active: { type: 'string', default: '1000' },
    messages: { type: 'string', default: '20' },
    cluster: { type: 'boolean', default: false },
  },
});
const CONNECTIONS = Number(values.connections);
const ACTIVE = Math.min(CONNECTIONS, Number(values.active));
const MESSAGES = Math.min(25, Number(values.messages)); // Kefu's burst is 30 frames per connection
const PHASE_DEADLINE_MS = 300_000;
const OPEN_IN_PARALLEL = 200;

/** With KEFU_BENCH_PROFILE_DIR set, the Kefu node writes a V8 CPU profile there when it stops. */
const PROFILE_DIR = process.env['KEFU_BENCH_PROFILE_DIR'];
const HERE = fileURLToPath(new URL('.', import.meta.url));
const KEFU_BIN = fileURLToPath(new URL('../bin/kefu.ts', import.meta.url));

const UWS_SERVER = `
import { App } from 'uWebSockets.js';
App().ws('/ws', { maxPayloadLength: 65536, idleTimeout: 0, message: (ws, m, binary) => ws.send(m, binary) })
  .get('/ready', (res) => res.end('ok'))
  .listen('127.0.0.1', Number(process.env.PORT), () => {});
`;

const SOCKET_IO_SERVER = `
import { createServer } from 'node:http';
import { Server } from 'socket.io';
const http = createServer((req, res) => res.end('ok'));
const io = new Server(http, { transports: ['websocket'], serveClient: false });
io.on('connection', (socket) => socket.on('m', (text) => socket.emit('m', text)));
http.listen(Number(process.env.PORT), '127.0.0.1');
`;

async function untilReady(child: ChildProcess, url: string): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited before it was ready (${url})`);
    if (performance.now() > deadline) throw new Error(`server not ready within 60 s (${url})`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const settle = (ms = 2_000) => new Promise((r) => setTimeout(r, ms));

function withDeadline<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    work.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not done within ${PHASE_DEADLINE_MS / 1000} s`)), PHASE_DEADLINE_MS))),
  ]);
}

/** Runs `open` for every index, OPEN_IN_PARALLEL at a time. */
async function inBatches<T>(count: number, open: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += OPEN_IN_PARALLEL) out.push(...(await Promise.all(Array.from({ length: Math.min(OPEN_IN_PARALLEL, count - i) }, (_, j) => open(i + j)))));
  return out;
}

/** One client connection as the bench drives it: send a text, resolve when its answer arrives. */
type Client = { roundTrip(text: string): Promise<void>; close(): void };

function wsClient(url: string, answerOf: (frame: string) => boolean, hello?: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let waiting: (() => void) | null = null;
    ws.on('message', (data) => {
      if (waiting && answerOf(String(data))) {
        const wake = waiting;
        waiting = null;
        wake();
      }
    });
    ws.once('error', reject);
    const client: Client = {
      roundTrip: (text) =>
        new Promise<void>((done) => {
          waiting = done;
          ws.send(text);
        }),
      close: () => ws.terminate(),
    };
    ws.once('open', () => {
      if (!hello) return resolve(client);
      waiting = () => resolve(client);
      ws.send(hello);
    });
  });
}

function socketIo(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket: SocketIoSocket = socketIoClient(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    let waiting: (() => void) | null = null;
    socket.on('m', () => {
      const wake = waiting;
      waiting = null;
      wake?.();
    });
    socket.once('connect_error', reject);
    socket.once('connect', () =>
      resolve({
        roundTrip: (text) =>
          new Promise<void>((done) => {
            waiting = done;
            socket.emit('m', text);
          }),
        close: () => socket.disconnect(),
      }),
    );
  });
}

/** A server under test, started: the process to measure, and how to stop all it started. */
type Launched = { readonly pid: number; stop(): Promise<void> };

type Server = {
  readonly name: string;
  /** Starts it listening on `port`, ready for connections. */
  launch(port: number, dataDir: string): Promise<Launched>;
  connect(port: number, i: number): Promise<Client>;
  /** The n-th message of connection i. */
  message(i: number, n: number): string;
};

/** One process of ours (`node <args>`), ready once `readyPath` answers. */
async function spawned(args: string[], env: Record<string, string>, readyPath: string, port: number, dataDir: string): Promise<Launched> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env, PORT: String(port), KEFU_PORT: String(port), KEFU_DATA_DIR: dataDir }, stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = async () => {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
  };
  try {
    await untilReady(child, `http://127.0.0.1:${port}${readyPath}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: child.pid!, stop };
}

/** One client address holds every connection; heartbeats far apart so none are needed. */
const KEFU_ENV = { KEFU_HOST: '127.0.0.1', KEFU_LOG_LEVEL: 'warn', KEFU_VISITOR_CONNECTIONS_PER_IP: String(CONNECTIONS + 10), KEFU_VISITOR_HEARTBEAT: '300' };

/** A gateway-only node at `port` and two actor/worker nodes of a fresh local cluster; the gateway is what is measured. */
async function gatewayOfCluster(port: number): Promise<Launched> {
  localInfraUp();
  const run = `gwbench-${Date.now().toString(36)}`;
  const scratch = await scratchMysqlDatabase('kefu_gwbench');
  const profile: Record<string, string> = PROFILE_DIR ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${PROFILE_DIR}` } : {};
  const cluster = new LocalCluster({ name: run, infra: localInfraEnv(), output: null, env: { ...KEFU_ENV, KEFU_MYSQL_URL: scratch.url, ...profile } });
  process.on('exit', () => cluster.killAllNow());
  // Random ports well apart from the gateway's (freePorts checks them free, but nothing listens on `port` yet).
  let actors = await freePorts(2);
  while (Math.abs(actors - port) < 3) actors = await freePorts(2);
  const stop = async () => {
    await cluster.stop();
    await dropScratchData(run);
    await scratch.drop();
  };
  try {
    await Promise.all(
      [
        { id: 'gateway-1', roles: 'gateway', port },
        { id: 'actors-1', roles: 'actors,workers', port: actors },
        { id: 'actors-2', roles: 'actors,workers', port: actors + 1 },
      ].map((spec) => cluster.waitReady(cluster.start(spec))),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: cluster.nodes.get('gateway-1')!.child.pid!, stop };
}

type Result = { name: string; perConnectionKiB: number; heapPerConnectionKiB: number | null; cpuMicrosPerMessage: number; messagesPerSecond: number; p50: number; p99: number };

/** A Kefu node's JavaScript heap in use (its /metrics), or null for the other servers. */
async function heapUsedKiB(port: number): Promise<number | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    if (!res.ok) return null;
    const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(await res.text());
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const TEXT = 'Hello, I would like to know where my order is. 你好，我的订单到哪里了？';

async function measure(server: Server, dataDir: string): Promise<Result> {
  const port = await freePorts(1);
  const launched = await server.launch(port, dataDir);
  const clients: Client[] = [];
  try {
    await settle();
    const before = probe(launched.pid);
    const heapBefore = await heapUsedKiB(port);
    clients.push(...(await withDeadline(`${server.name}: opening ${CONNECTIONS} connections`, inBatches(CONNECTIONS, (i) => server.connect(port, i)))));
    await settle();
    const idle = probe(launched.pid);
    const perConnectionKiB = (idle.rssKiB - before.rssKiB) / CONNECTIONS;
    const heapIdle = await heapUsedKiB(port);
    const heapPerConnectionKiB = heapBefore !== null && heapIdle !== null ? (heapIdle - heapBefore) / CONNECTIONS : null;

    // Warm-up: one message per active connection (Kefu opens each visitor's conversation here).
    const active = clients.slice(0, ACTIVE);
    await withDeadline(`${server.name}: warm-up`, Promise.all(active.map((c, i) => c.roundTrip(server.message(i, 0)))));
    await settle(1_500); // Kefu's rate-limit buckets refill
    const latencies: number[] = [];
    const start = probe(launched.pid);
    const t0 = performance.now();
    await withDeadline(
      `${server.name}: ${ACTIVE} × ${MESSAGES} messages`,
      Promise.all(
        active.map(async (c, i) => {
          for (let n = 1; n <= MESSAGES; n++) {
            const sent = performance.now();
            await c.roundTrip(server.message(i, n));
            latencies.push(performance.now() - sent);
          }
        }),
      ),
    );
    const seconds = (performance.now() - t0) / 1000;
    const end = probe(launched.pid);
    const total = ACTIVE * MESSAGES;
    return {
      name: server.name,
      perConnectionKiB,
      heapPerConnectionKiB,
      cpuMicrosPerMessage: (((end.cpuTicks - start.cpuTicks) / CLK_TCK) * 1e6) / total,
      messagesPerSecond: total / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    };
  } finally {
    for (const c of clients) c.close();
    await launched.stop();
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'kefu-gateway-bench-'));
  const uwsFile = join(HERE, `.uws-echo-${process.pid}.mjs`);
  const socketIoFile = join(HERE, `.socket-io-echo-${process.pid}.mjs`);
  writeFileSync(uwsFile, UWS_SERVER);
  writeFileSync(socketIoFile, SOCKET_IO_SERVER);
  // Kefu's visitors: the answer to hello is welcome; to a message, its ack (sent after the durable commit).
  const visitor = {
    connect: (port: number) =>
      wsClient(`ws://127.0.0.1:${port}/ws/visitor/web`, (f) => f.startsWith('{"type":"welcome"') || f.startsWith('{"type":"ack"'), JSON.stringify({ type: 'hello', v: 1 })),
    message: (i: number, n: number) => JSON.stringify({ type: 'message', clientMsgId: `c${i}-${n}`, text: TEXT }),
  };
  const servers: Server[] = [
    {
      name: 'uws (raw echo)',
      launch: (port, dir) => spawned([uwsFile], {}, '/ready', port, dir),
      connect: (port) => wsClient(`ws://127.0.0.1:${port}/ws`, () => true),
      message: () => TEXT,
    },
    {
      name: 'socket.io (echo)',
      launch: (port, dir) => spawned([socketIoFile], {}, '/', port, dir),
      connect: (port) => socketIo(`http://127.0.0.1:${port}`),
      message: () => TEXT,
    },
    {
      name: 'kefu (visitor protocol)',
      launch: (port, dir) => spawned([...NODE_FLAGS, ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []), KEFU_BIN, 'start'], KEFU_ENV, '/ready', port, dir),
      ...visitor,
    },
    ...(values.cluster ? [{ name: 'kefu gateway (cluster)', launch: (port: number) => gatewayOfCluster(port), ...visitor }] : []),
  ];
  try {
    console.log(`gateway benchmark: ${CONNECTIONS} connections held; ${ACTIVE} of them send ${MESSAGES} messages each, one at a time (Node ${process.version}, loopback)`);
    const results: Result[] = [];
    for (const server of servers) {
      const r = await measure(server, join(work, server.name.split(' ')[0]!));
      results.push(r);
      console.log(
        `  ${r.name.padEnd(24)} ${r.perConnectionKiB.toFixed(2).padStart(6)} KiB/connection${r.heapPerConnectionKiB === null ? '' : ` (JS heap ${r.heapPerConnectionKiB.toFixed(2)})`}  ${r.cpuMicrosPerMessage.toFixed(1).padStart(6)} µs CPU/message  ${Math.round(r.messagesPerSecond).toString().padStart(6)} messages/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms`,
      );
    }
    const [uws, sio, ...kefus] = results as [Result, Result, ...Result[]];
    console.log('ratios (kefu against the others, same run):');
    for (const k of kefus) {
      console.log(`  ${k.name}:`);
      console.log(`    memory per connection: ${(k.perConnectionKiB / uws.perConnectionKiB).toFixed(2)}× uws, ${(k.perConnectionKiB / sio.perConnectionKiB).toFixed(2)}× socket.io → ${(sio.perConnectionKiB / k.perConnectionKiB).toFixed(1)}× socket.io's connections per GB`);
      console.log(`    CPU per message: ${(k.cpuMicrosPerMessage / uws.cpuMicrosPerMessage).toFixed(2)}× uws echo; messages per CPU-second ${(sio.cpuMicrosPerMessage / k.cpuMicrosPerMessage).toFixed(2)}× socket.io's`);
    }
  } finally {
    rmSync(uwsFile, { force: true });
    rmSync(socketIoFile, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
