/**
 * Runs a real multi-process Kefu cluster on this machine:
 *
 *   npm run cluster:local -- [--nodes 3] [--gateways 1] [--port 8035] [--name kefu-local]
 *
 * Brings the local infrastructure up (cluster/infra), then starts N actor nodes
 * (KEFU_ROLES=actors,workers) and M gateway nodes (KEFU_ROLES=gateway) in cluster mode over NATS,
 * each a separate `kefu start` process with its output prefixed by its node id. Every node is
 * registered with the local Prometheus. Waits until all nodes are ready and prints where they are.
 * Ctrl-C (SIGINT) or SIGTERM stops every node it started and waits for them; the infrastructure
 * stays up (`cluster/infra down` stops it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { localInfraEnv, localInfraUp } from './local-infra.ts';

const KEFU_BIN = fileURLToPath(new URL('../bin/kefu.ts', import.meta.url));
const READY_TIMEOUT_MS = 90_000;

type NodeSpec = { readonly id: string; readonly roles: string; readonly port: number };
type Running = NodeSpec & { readonly child: ChildProcess; exited: boolean };

function parseOptions() {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '3' },
      gateways: { type: 'string', default: '1' },
      port: { type: 'string', default: '8035' },
      name: { type: 'string', default: 'kefu-local' },
    },
  });
  const int = (name: string, value: string, min: number, max: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  return {
    nodes: int('nodes', values.nodes, 1, 32),
    gateways: int('gateways', values.gateways, 1, 8),
    port: int('port', values.port, 1024, 65000),
    name: values.name,
  };
}

function prefixLines(stream: NodeJS.ReadableStream, prefix: string, out: NodeJS.WritableStream): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) out.write(`${prefix} ${line}\n`);
  });
  stream.on('end', () => {
    if (buffered) out.write(`${prefix} ${buffered}\n`);
  });
}

async function waitReady(node: Running): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (node.exited) throw new Error(`node ${node.id} exited before it was ready`);
    try {
      const res = await fetch(`http://127.0.0.1:${node.port}/ready`);
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`node ${node.id} not ready on port ${node.port} after ${READY_TIMEOUT_MS / 1000}s (last: ${last})`);
}

function stopAll(nodes: readonly Running[]): Promise<void> {
  return Promise.all(
    nodes.map(
      (node) =>
        new Promise<void>((resolve) => {
          if (node.exited) return resolve();
          const killTimer = setTimeout(() => node.child.kill('SIGKILL'), 20_000);
          node.child.once('exit', () => {
            clearTimeout(killTimer);
            resolve();
          });
          node.child.kill('SIGTERM');
        }),
    ),
  ).then(() => undefined);
}

async function main(): Promise<void> {
  const options = parseOptions();
  localInfraUp();
  const infra = localInfraEnv();

  const specs: NodeSpec[] = [
    ...Array.from({ length: options.gateways }, (_, i) => ({ id: `gateway-${i + 1}`, roles: 'gateway', port: options.port + i })),
    ...Array.from({ length: options.nodes }, (_, i) => ({
      id: `actors-${i + 1}`,
      roles: 'actors,workers',
      port: options.port + options.gateways + i,
    })),
  ];

  let shuttingDown = false;
  const nodes: Running[] = specs.map((spec) => {
    const child = spawn(process.execPath, [KEFU_BIN, 'start'], {
      env: {
        ...process.env,
        ...infra,
        KEFU_MODE: 'cluster',
        KEFU_CLUSTER_NAME: options.name,
        KEFU_NODE_ID: spec.id,
        KEFU_ROLES: spec.roles,
        KEFU_HOST: '127.0.0.1',
        KEFU_PORT: String(spec.port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a terminal's Ctrl-C reaches only the launcher, which then stops each node
      // once, in order, instead of every node receiving two signals.
      detached: true,
    });
    const running: Running = { ...spec, child, exited: false };
    prefixLines(child.stdout!, `[${spec.id}]`, process.stdout);
    prefixLines(child.stderr!, `[${spec.id}]`, process.stderr);
    child.on('exit', (code, signal) => {
      running.exited = true;
      if (!shuttingDown) console.error(`[launcher] node ${spec.id} exited (${signal ?? `code ${code}`})`);
    });
    return running;
  });

  // Prometheus (file_sd) picks these targets up within seconds.
  const targetsFile = join(infra.KEFU_PROMETHEUS_TARGETS_DIR, `${options.name}.json`);
  mkdirSync(infra.KEFU_PROMETHEUS_TARGETS_DIR, { recursive: true });
  writeFileSync(
    targetsFile,
    JSON.stringify(specs.map((s) => ({ targets: [`127.0.0.1:${s.port}`], labels: { cluster: options.name, role: s.roles } }))),
  );

  const shutdown = async (reason: string, exitCode = 0): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.error(`[launcher] ${reason}: stopping ${nodes.length} nodes…`);
    await stopAll(nodes);
    rmSync(targetsFile, { force: true });
    console.error('[launcher] all nodes stopped');
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // Last resort if the launcher dies of an error: never leave detached nodes behind.
  process.on('exit', () => {
    for (const node of nodes) if (!node.exited) node.child.kill('SIGKILL');
  });

  try {
    await Promise.all(nodes.map(waitReady));
  } catch (error) {
    console.error(`[launcher] ${error instanceof Error ? error.message : String(error)}`);
    await shutdown('start-up failed', 1);
    return;
  }
  console.log(
    [
      `[launcher] cluster "${options.name}" ready: ${options.gateways} gateway + ${options.nodes} actor nodes over ${infra.KEFU_TRANSPORTER}`,
      ...nodes.map((n) => `[launcher]   ${n.id.padEnd(10)} ${n.roles.padEnd(15)} http://127.0.0.1:${n.port}  pid ${n.child.pid}`),
      `[launcher] Prometheus: ${infra.KEFU_PROMETHEUS_URL}   Ctrl-C stops the nodes.`,
    ].join('\n'),
  );
}

await main();
