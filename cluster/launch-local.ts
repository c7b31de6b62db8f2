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
 * stays up (`cluster/infra down` stops it). Backend variables set in the environment
 * (e.g. KEFU_MYSQL_URL for another database) override the local infrastructure's.
 */
import { parseArgs } from 'node:util';
import { LocalCluster, type NodeSpec } from './local-cluster.ts';
import { localInfraEnv, localInfraUp } from './local-infra.ts';

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

async function main(): Promise<void> {
  const options = parseOptions();
  localInfraUp();
  const infra = localInfraEnv();
  const specs: NodeSpec[] = [
    ...Array.from({ length: options.gateways }, (_, i) => ({ id: `gateway-${i + 1}`, roles: 'gateway', port: options.port + i })),
    ...Array.from({ length: options.nodes }, (_, i) => ({ id: `actors-${i + 1}`, roles: 'actors,workers', port: options.port + options.gateways + i })),
  ];
  const backendOverrides = Object.fromEntries(
    ['KEFU_MYSQL_URL', 'KEFU_REDIS_URL', 'KEFU_KAFKA_BROKERS', 'KEFU_ELASTICSEARCH_URL', 'KEFU_TRANSPORTER'].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])),
  );
  const cluster = new LocalCluster({ name: options.name, infra, env: backendOverrides });
  cluster.onExit = (node, code, signal) => console.error(`[launcher] node ${node.id} exited (${signal ?? `code ${code}`})`);

  let shuttingDown = false;
  const shutdown = async (reason: string, exitCode = 0): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.error(`[launcher] ${reason}: stopping ${cluster.nodes.size} nodes…`);
    await cluster.stop();
    console.error('[launcher] all nodes stopped');
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('exit', () => cluster.killAllNow());

  const nodes = specs.map((spec) => cluster.start(spec));
  try {
    await Promise.all(nodes.map((n) => cluster.waitReady(n)));
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
