/**
 * `npm run cluster:local`: 3 actor nodes and a gateway as separate processes, in cluster mode over
 * the real NATS, MariaDB, Redis, Kafka and Elasticsearch; they form one Moleculer cluster, route a
 * visitor connected to the gateway (visitor protocol) to an agent through the sharded actors,
 * survive `kill -9` of the node owning the conversation with no acknowledged message lost, and a
 * SIGTERM to the launcher stops every one of them.
 */
import { ServiceBroker } from 'moleculer';
import { ActorClient } from '../../cluster/actor-runtime.ts';
import { LocalCluster } from '../../cluster/local-cluster.ts';
import { localInfraEnv } from '../../cluster/local-infra.ts';
import { ownerOfActor } from '../../cluster/placement.ts';
import { launchCluster, type ClusterRun } from '../cluster-run.ts';
import { freePorts, uniqueName, waitFor } from '../support.ts';
import type { VisitorServerFrame } from '../../gateways/visitor/wire.ts';
import { VisitorClient } from '../visitor-client.ts';

type AckOrError = Extract<VisitorServerFrame, { type: 'ack' | 'error' }>;

const NODE_IDS = ['gateway-1', 'actors-1', 'actors-2', 'actors-3'];

let cluster: ClusterRun | undefined;
let observer: ServiceBroker | undefined;
let visitor: VisitorClient | undefined;

afterAll(async () => {
  visitor?.close();
  await observer?.stop();
  await cluster?.stop();
});

test('3 actor nodes + 1 gateway start, join one cluster over NATS, serve a conversation through a kill -9, and stop on SIGTERM', async () => {
  cluster = await launchCluster({ nodes: 3, gateways: 1, prefix: 'kefu-test' });
  const { name, port, launcher } = cluster;

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
  // A visitor on the gateway node chats with an agent whose conversation lives on an actor node.
  expect(await actors.send('queue', 'default', { type: 'create', tenantId: 'default' })).toMatchObject({ ok: true });
  const agent = 'agent-li-na';
  expect(await actors.send('agent', agent, { type: 'create', tenantId: 'default', displayName: '李娜', skillGroups: ['default'], maxConversations: 3 })).toMatchObject({ ok: true });
  expect(await actors.send('agent', agent, { type: 'connect', connectionId: 'tab-1', status: 'ready' })).toMatchObject({ ok: true });
  const visitorUrl = `ws://127.0.0.1:${port}/ws/visitor/web`; // the gateway node, the default channel
  visitor = await VisitorClient.connect(visitorUrl);
  const welcome = await visitor.hello();
  visitor.send({ type: 'start', preChat: { name: '王小明' } });
  expect(await visitor.next('status', (f) => f.status === 'assigned', { ms: 30_000 })).toMatchObject({ agent: { name: '李娜' } });
  const probe = await VisitorClient.connect(visitorUrl);
  const conversation = (await probe.hello({ token: welcome.token })).conversationId!;
  probe.close();
  expect(await actors.send('conversation', conversation, { type: 'accept', agentId: agent })).toMatchObject({ ok: true });
  visitor.send({ type: 'message', clientMsgId: 'm1', text: '你好' });
  expect(await visitor.next('ack')).toEqual({ type: 'ack', clientMsgId: 'm1', seq: 1 });
  await actors.send('conversation', conversation, { type: 'post-message', from: { kind: 'agent', agentId: agent }, clientMsgId: 'a1', text: '您好' });
  expect(await visitor.next('message', (m) => m.seq === 2)).toMatchObject({ from: { kind: 'agent', name: '李娜' }, text: '您好' });

  // kill -9 the node that owns the conversation: it continues on a survivor with its state.
  const owner = ownerOfActor(conversation, actors.members('conversation'))!;
  const pid = Number(new RegExp(`\\[launcher\\]\\s+${owner}\\s.*pid (\\d+)`).exec(cluster.output())?.[1]);
  expect(pid).toBeGreaterThan(0);
  process.kill(pid, 'SIGKILL');
  // The visitor keeps sending m2 (same clientMsgId) until it is acknowledged, as the widget does.
  const acked = await waitFor(
    'the message after the kill to be acknowledged',
    async () => {
      const from = visitor!.frames.length;
      visitor!.send({ type: 'message', clientMsgId: 'm2', text: 'still there?' });
      const answer = await visitor!.nextWhere((f): f is AckOrError => (f.type === 'ack' && f.clientMsgId === 'm2') || f.type === 'error', { from, ms: 20_000 });
      if (answer.type === 'error') expect(answer).toMatchObject({ code: 'UNAVAILABLE', temporary: true, clientMsgId: 'm2' });
      return answer.type === 'ack' ? answer : undefined;
    },
    60_000,
  );
  expect(acked).toEqual({ type: 'ack', clientMsgId: 'm2', seq: 3 });
  // The message acknowledged before the kill was not lost: resending it returns the original ack.
  visitor.send({ type: 'message', clientMsgId: 'm1', text: '你好' });
  expect(await visitor.next('ack', (a) => a.clientMsgId === 'm1', { from: visitor.frames.length - 1 })).toEqual({ type: 'ack', clientMsgId: 'm1', seq: 1 });
  // A new tab resuming after seq 1 gets exactly what followed, from the log.
  const tab = await VisitorClient.connect(visitorUrl);
  expect(await tab.hello({ token: welcome.token, lastSeq: 1 })).toMatchObject({ conversationId: conversation, lastSeq: 3 });
  await tab.next('message', (m) => m.seq === 3, { ms: 30_000 }); // read from the persister, which may be taking over the killed node's partitions
  expect(tab.messages().map((m) => [m.seq, m.text])).toEqual([
    [2, '您好'],
    [3, 'still there?'],
  ]);
  tab.close();

  const exit = new Promise<number | null>((resolve) => launcher.once('exit', (code) => resolve(code)));
  launcher.kill('SIGTERM');
  expect(await exit).toBe(0);
  expect(cluster.output()).toContain('[launcher] all nodes stopped');
  for (let i = 0; i < NODE_IDS.length; i++) {
    await expect(fetch(`http://127.0.0.1:${port + i}/health`)).rejects.toThrow();
  }
});

test('a node that exits before it is ready is reported with its own last words, even with its output discarded', async () => {
  const local = new LocalCluster({ name: uniqueName('kefu-test-early-exit'), infra: localInfraEnv(), output: null });
  try {
    const node = local.start({ id: 'misconfigured', roles: 'actors,telepathy', port: await freePorts(1) });
    await expect(local.waitReady(node)).rejects.toThrow(/misconfigured exited \(code \d+\) before it was ready; its last lines:[\s\S]*KEFU_ROLES[\s\S]*telepathy/);
  } finally {
    await local.stop();
  }
});
