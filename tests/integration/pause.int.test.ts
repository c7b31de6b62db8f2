/**
 * A node paused for longer than its leases (`kill -STOP`, as a long GC pause or a frozen VM would)
 * loses its shards to the others; when it resumes (`kill -CONT`) it must not act on what it held:
 * it rejoins, the conversation's shard may come back to it, and the conversation goes on from its
 * durable state — no message lost, none doubled, sequence numbers continuous.
 */
import { ServiceBroker } from 'moleculer';
import { ActorClient } from '../../cluster/actor-runtime.ts';
import { checkHeartbeatsEverySecond } from '../../cluster/failure-detection.ts';
import { LocalCluster } from '../../cluster/local-cluster.ts';
import { localInfraEnv, scratchMysqlDatabase, dropScratchData } from '../../cluster/local-infra.ts';
import { ownerOfActor } from '../../cluster/placement.ts';
import { freePorts, uniqueName, waitFor } from '../support.ts';

const infra = localInfraEnv();
const name = uniqueName('kefu-test-pause');
let cluster: LocalCluster;
let observer: ServiceBroker;
let scratch: { url: string; drop(): Promise<void> };

beforeAll(async () => {
  scratch = await scratchMysqlDatabase('kefu_test'); // a database of its own
  cluster = new LocalCluster({ name, infra, output: null, env: { KEFU_LOG_LEVEL: 'warn', KEFU_MYSQL_URL: scratch.url } });
});

afterAll(async () => {
  await observer?.stop();
  for (const node of cluster.nodes.values()) if (!node.exited) process.kill(node.child.pid!, 'SIGCONT');
  await cluster.stop();
  await scratch.drop();
  await dropScratchData(name);
});

test('a paused owner loses its shards; resumed, it rejoins without acting on stale state', async () => {
  const base = await freePorts(3);
  const ids = ['actors-1', 'actors-2', 'actors-3'];
  await Promise.all(ids.map((id, i) => cluster.waitReady(cluster.start({ id, roles: 'actors,workers', port: base + i }))));
  observer = new ServiceBroker({ namespace: name, nodeID: `${name}-observer`, transporter: { type: 'NATS', options: { url: infra.KEFU_TRANSPORTER } }, logger: false, heartbeatInterval: 1, heartbeatTimeout: 3 });
  await observer.start();
  checkHeartbeatsEverySecond(observer);
  const actors = new ActorClient(observer, { attempts: 60, backoffMs: 100 });
  await waitFor('3 nodes hosting every kind', async () => (['conversation', 'agent', 'queue'].every((k) => actors.members(k).length === 3) ? true : undefined));

  const run = name.replace(/[^a-z0-9]/g, '');
  const [group, agent] = [`g-${run}`, `a-${run}`];
  await actors.send('queue', group, { type: 'create', tenantId: 't1' });
  await actors.send('agent', agent, { type: 'create', tenantId: 't1', skillGroups: [group], maxConversations: 5 });
  await actors.send('agent', agent, { type: 'connect', connectionId: 'desk' });
  // A conversation owned by actors-2, the node we will pause.
  const conversation = Array.from({ length: 200 }, (_, i) => `c${i}-${run}`).find((id) => ownerOfActor(id, ids) === 'actors-2')!;
  const visitor = { visitorId: `v-${run}`, displayName: null, identified: false, vip: false, lastAgentId: null };
  await actors.send('conversation', conversation, { type: 'start', tenantId: 't1', channelId: 'web', visitor, open: { skillGroupId: group, requestedAgentId: null, preChat: {}, bot: false, withinWorkingHours: true } });
  await waitFor('the assignment', async () => ((await actors.send('conversation', conversation, { type: 'accept', agentId: agent })).ok ? true : undefined));
  const post = async (clientMsgId: string) => {
    const r = await actors.send<unknown, { type: string; clientMsgId?: string; seq?: number; duplicate?: boolean }>('conversation', conversation, { type: 'post-message', from: { kind: 'visitor' }, clientMsgId, text: clientMsgId });
    if (!r.ok) throw new Error(`${r.rejected}: ${r.message}`);
    return r.effects.find((e) => e.type === 'ack' && e.clientMsgId === clientMsgId)!;
  };
  expect(await post('before-pause')).toMatchObject({ seq: 1, duplicate: false });
  // More than a snapshot carries of the de-duplication window: the owners after the pause read
  // these client ids back from MySQL (written by the persister from Kafka).
  for (let n = 1; n <= 20; n++) expect(await post(`early-${n}`)).toMatchObject({ seq: 1 + n, duplicate: false });

  cluster.signal('actors-2', 'SIGSTOP');
  await waitFor('the paused node to be dropped', async () => (actors.members('conversation').includes('actors-2') ? undefined : true), 20_000);
  expect(await post('while-paused')).toMatchObject({ seq: 22, duplicate: false }); // served by a survivor
  expect(await post('early-1')).toMatchObject({ seq: 2, duplicate: true });

  cluster.signal('actors-2', 'SIGCONT');
  await waitFor('the resumed node to rejoin', async () => (actors.members('conversation').length === 3 ? true : undefined), 30_000);
  // The shard is back with actors-2; it must continue from the survivor's writes, not its own memory.
  expect(ownerOfActor(conversation, actors.members('conversation'))).toBe('actors-2');
  expect(await post('after-resume')).toMatchObject({ seq: 23, duplicate: false });
  expect(await post('while-paused')).toMatchObject({ seq: 22, duplicate: true });
  expect(await post('before-pause')).toMatchObject({ seq: 1, duplicate: true });
  expect(await post('early-3')).toMatchObject({ seq: 4, duplicate: true });
});
