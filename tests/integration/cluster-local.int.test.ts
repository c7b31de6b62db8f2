/**
 * `npm run cluster:local`: 3 actor nodes and a gateway as separate processes, in cluster mode over
 * the real NATS, MariaDB, Redis, Kafka and Elasticsearch; they form one Moleculer cluster, and a
 * SIGTERM to the launcher stops every one of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ServiceBroker } from 'moleculer';
import { localInfraEnv } from '../../cluster/local-infra.ts';
import { freePorts, uniqueName, waitFor } from '../support.ts';

const LAUNCHER = fileURLToPath(new URL('../../cluster/launch-local.ts', import.meta.url));
const NODE_IDS = ['gateway-1', 'actors-1', 'actors-2', 'actors-3'];

let launcher: ChildProcess | undefined;
let output = '';
let observer: ServiceBroker | undefined;

afterAll(async () => {
  await observer?.stop();
  if (launcher && launcher.exitCode === null && launcher.signalCode === null) {
    launcher.kill('SIGTERM');
    await new Promise((resolve) => launcher!.once('exit', resolve));
  }
});

test('3 actor nodes + 1 gateway start, join one cluster over NATS, and stop on SIGTERM', async () => {
  const name = uniqueName('kefu-test');
  const port = await freePorts(4);
  launcher = spawn(process.execPath, [LAUNCHER, '--nodes', '3', '--gateways', '1', '--port', String(port), '--name', name], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  launcher.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

  await waitFor(
    'the launcher to report the cluster ready',
    async () => {
      if (launcher!.exitCode !== null) throw new Error(`launcher exited early:\n${output}`);
      return output.includes(`cluster "${name}" ready`) ? true : undefined;
    },
    120_000,
  );

  for (let i = 0; i < NODE_IDS.length; i++) {
    const res = await fetch(`http://127.0.0.1:${port + i}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready', node: NODE_IDS[i], checks: { database: 'ok', backends: 'ok' } });
  }

  // An outside broker joining the same namespace sees all four nodes through NATS.
  observer = new ServiceBroker({
    namespace: name,
    nodeID: `${name}-observer`,
    transporter: { type: 'NATS', options: { url: localInfraEnv().KEFU_TRANSPORTER } },
    logger: false,
  });
  await observer.start();
  const seen = await waitFor('the observer to discover the four nodes', async () => {
    const list = (await observer!.call('$node.list', { onlyAvailable: true })) as { id: string }[];
    const ids = list.map((n) => n.id).filter((id) => NODE_IDS.includes(id));
    return ids.length === NODE_IDS.length ? ids.sort() : undefined;
  });
  expect(seen).toEqual([...NODE_IDS].sort());

  const exit = new Promise<number | null>((resolve) => launcher!.once('exit', (code) => resolve(code)));
  launcher.kill('SIGTERM');
  expect(await exit).toBe(0);
  expect(output).toContain('[launcher] all nodes stopped');
  for (let i = 0; i < NODE_IDS.length; i++) {
    await expect(fetch(`http://127.0.0.1:${port + i}/health`)).rejects.toThrow();
  }
});
