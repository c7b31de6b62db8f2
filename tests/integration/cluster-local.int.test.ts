/**
 * `npm run cluster:local`: 3 actor nodes and a gateway as separate processes, in cluster mode over
 * the real NATS, MariaDB, Redis, Kafka and Elasticsearch; they form one Moleculer cluster, route a
 * visitor to an agent through the sharded actors, survive `kill -9` of the node owning the
 * conversation with its state intact, and a SIGTERM to the launcher stops every one of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ServiceBroker } from 'moleculer';
import { ActorClient } from '../../cluster/actor-runtime.ts';
import { localInfraEnv, scratchMysqlDatabase } from '../../cluster/local-infra.ts';
import { ownerOfActor } from '../../cluster/placement.ts';
import { freePorts, uniqueName, waitFor } from '../support.ts';

const LAUNCHER = fileURLToPath(new URL('../../cluster/launch-local.ts', import.meta.url));
const NODE_IDS = ['gateway-1', 'actors-1', 'actors-2', 'actors-3'];

let launcher: ChildProcess | undefined;
let output = '';
let observer: ServiceBroker | undefined;
let scratch: { url: string; drop(): Promise<void> } | undefined;

afterAll(async () => {
  await observer?.stop();
  if (launcher && launcher.exitCode === null && launcher.signalCode === null) {
    launcher.kill('SIGTERM');
    await new Promise((resolve) => launcher!.once('exit', resolve));
  }
  await scratch?.drop();
});

test('3 actor nodes + 1 gateway start, join one cluster over NATS, serve a conversation through a kill -9, and stop on SIGTERM', async () => {
  const name = uniqueName('kefu-test');
  const port = await freePorts(4);
  scratch = await scratchMysqlDatabase('kefu_test');
  launcher = spawn(process.execPath, [LAUNCHER, '--nodes', '3', '--gateways', '1', '--port', String(port), '--name', name], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KEFU_MYSQL_URL: scratch.url }, // a database of its own
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
    // The same failure detection as Kefu nodes (a silent node is dropped after 5 s, not 30).
    heartbeatInterval: 1,
    heartbeatTimeout: 5,
  });
  await observer.start();
  const seen = await waitFor('the observer to discover the four nodes', async () => {
    const list = (await observer!.call('$node.list', { onlyAvailable: true })) as { id: string }[];
    const ids = list.map((n) => n.id).filter((id) => NODE_IDS.includes(id));
    return ids.length === NODE_IDS.length ? ids.sort() : undefined;
  });
  expect(seen).toEqual([...NODE_IDS].sort());

  // A visitor reaches an agent through the sharded actors on the three actor nodes.
  const actors = new ActorClient(observer, { attempts: 40, backoffMs: 100 });
  await waitFor('every actor kind hosted on the 3 actor nodes', async () =>
    ['conversation', 'agent', 'queue'].every((k) => actors.members(k).length === 3) ? true : undefined,
  );
  const run = name.replace(/[^a-z0-9]/g, '');
  const [group, agent, conversation] = [`sales-${run}`, `agent-${run}`, `conversation-${run}`];
  expect(await actors.send('queue', group, { type: 'create', tenantId: 't1' })).toMatchObject({ ok: true });
  expect(await actors.send('agent', agent, { type: 'create', tenantId: 't1', skillGroups: [group], maxConversations: 3 })).toMatchObject({ ok: true });
  expect(await actors.send('agent', agent, { type: 'connect', connectionId: 'tab-1' })).toMatchObject({ ok: true });
  const visitor = { visitorId: `v-${run}`, displayName: null, identified: false, vip: false, lastAgentId: null };
  const open = { skillGroupId: group, requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true };
  expect(await actors.send('conversation', conversation, { type: 'start', tenantId: 't1', channelId: 'web', visitor, open })).toMatchObject({ ok: true });
  // Accepting succeeds once routing has assigned the conversation to the agent.
  await waitFor('the conversation to be assigned to the agent', async () => {
    const r = await actors.send('conversation', conversation, { type: 'accept', agentId: agent });
    return r.ok ? true : undefined;
  });
  const first = await actors.send('conversation', conversation, { type: 'post-message', from: { kind: 'visitor' }, clientMsgId: 'm1', text: 'hello' });
  expect(first).toMatchObject({ ok: true, effects: expect.arrayContaining([{ type: 'ack', clientMsgId: 'm1', seq: 1, duplicate: false }]) });

  // kill -9 the node that owns the conversation: it continues on a survivor with its state.
  const owner = ownerOfActor(conversation, actors.members('conversation'))!;
  const pid = Number(new RegExp(`\\[launcher\\]\\s+${owner}\\s.*pid (\\d+)`).exec(output)?.[1]);
  expect(pid).toBeGreaterThan(0);
  process.kill(pid, 'SIGKILL');
  await waitFor(`${owner} to leave the cluster`, async () => (actors.members('conversation').includes(owner) ? undefined : true), 30_000);
  const second = await actors.send('conversation', conversation, { type: 'post-message', from: { kind: 'visitor' }, clientMsgId: 'm2', text: 'still there?' });
  expect(second).toMatchObject({ ok: true, effects: expect.arrayContaining([{ type: 'ack', clientMsgId: 'm2', seq: 2, duplicate: false }]) });
  // The message acknowledged before the kill was not lost: resending it returns the original ack.
  const again = await actors.send('conversation', conversation, { type: 'post-message', from: { kind: 'visitor' }, clientMsgId: 'm1', text: 'hello' });
  expect(again).toMatchObject({ ok: true, effects: [{ type: 'ack', clientMsgId: 'm1', seq: 1, duplicate: true }] });

  const exit = new Promise<number | null>((resolve) => launcher!.once('exit', (code) => resolve(code)));
  launcher.kill('SIGTERM');
  expect(await exit).toBe(0);
  expect(output).toContain('[launcher] all nodes stopped');
  for (let i = 0; i < NODE_IDS.length; i++) {
    await expect(fetch(`http://127.0.0.1:${port + i}/health`)).rejects.toThrow();
  }
});
