/**
 * Push routing in cluster mode (cluster/push-routing.ts), as processes over the real NATS, Redis
 * and MariaDB: three gateway nodes and two actor nodes. The visitor is on gateway 0, the agent on
 * gateway 1, nobody on gateway 2. Once the conversation's registrations are trusted, its messages
 * reach gateways 0 and 1 only — gateway 2 receives none of them — and nothing is lost on the way.
 */
import { AgentClient } from '../agent-client.ts';
import { ApiClient, expectStatus } from '../api-client.ts';
import { firstAdmin, launchCluster, type ClusterRun } from '../cluster-run.ts';
import { VisitorClient } from '../visitor-client.ts';
import { WATCH_TRUST_AFTER_MS } from '../../cluster/push-routing.ts';
import { METRICS } from '../../cluster/metrics.ts';
import { scrape } from '../support.ts';

const PASSWORD = 'push routing secret';
let cluster: ClusterRun | undefined;
const open: { close(): void }[] = [];

afterAll(async () => {
  for (const c of open) c.close();
  await cluster?.stop();
});

/** A counter of one node, read from its /metrics. */
const counter = async (port: number, name: string): Promise<number> => (await scrape(port)).sum(name);

test('a conversation’s messages reach only the gateways holding its connections', async () => {
  cluster = await launchCluster({ nodes: 2, gateways: 3, prefix: 'kefu-push' });
  const gateway = [cluster.port, cluster.port + 1, cluster.port + 2];
  const actorNodes = [cluster.port + 3, cluster.port + 4];
  const base = `http://127.0.0.1:${gateway[0]}`;
  const { admin, agentRole } = await firstAdmin(cluster, base, PASSWORD);
  expectStatus(await admin.post('/api/v1/accounts', { email: 'li.na@example.com', displayName: '李娜', password: PASSWORD, departmentId: 'default', roleIds: [agentRole], skillGroupIds: ['default'] }), 201);

  // The agent works through gateway 1 (the session is valid on every gateway: it lives in the database).
  const li = await new ApiClient(base).login('li.na@example.com', PASSWORD);
  const agent = await AgentClient.connect(`ws://127.0.0.1:${gateway[1]}/ws/agent`, { cookie: li.cookie });
  open.push(agent);
  await agent.hello({ status: 'ready' });
  const visitor = await VisitorClient.connect(`ws://127.0.0.1:${gateway[0]}/ws/visitor/web`);
  open.push(visitor);
  await visitor.hello();
  visitor.send({ type: 'start' });
  const assigned = await agent.next('conversation', (c) => c.status === 'assigned', { ms: 30_000 });
  const conversationId = assigned.conversationId;
  agent.send({ type: 'accept', conversationId });
  await visitor.next('status', (s) => s.status === 'assigned', { ms: 20_000 });

  // Until the registrations are trusted, pushes go everywhere (after a move, every gateway re-registers within that time).
  await new Promise((r) => setTimeout(r, WATCH_TRUST_AFTER_MS + 2_000));
  const idleBefore = await counter(gateway[2]!, METRICS.pushesReceived.name);
  const targetedBefore = (await Promise.all(actorNodes.map((p) => counter(p, METRICS.pushesTargeted.name)))).reduce((a, b) => a + b, 0);

  for (let i = 1; i <= 5; i++) {
    visitor.send({ type: 'message', clientMsgId: `v${i}`, text: `访客消息 ${i}` });
    const fromVisitor = await visitor.next('ack', (a) => a.clientMsgId === `v${i}`, { ms: 20_000 });
    expect(await agent.next('message', (m) => m.seq === fromVisitor.seq, { ms: 20_000 })).toMatchObject({ text: `访客消息 ${i}` });
    agent.send({ type: 'message', conversationId, clientMsgId: `a${i}`, text: `客服回复 ${i}` });
    const fromAgent = await agent.next('ack', (a) => a.clientMsgId === `a${i}`, { ms: 20_000 });
    expect(await visitor.next('message', (m) => m.seq === fromAgent.seq, { ms: 20_000 })).toMatchObject({ text: `客服回复 ${i}`, from: { name: '李娜' } });
  }

  const targeted = (await Promise.all(actorNodes.map((p) => counter(p, METRICS.pushesTargeted.name)))).reduce((a, b) => a + b, 0);
  expect(targeted - targetedBefore).toBeGreaterThanOrEqual(10); // every message, at least
  expect(await counter(gateway[2]!, METRICS.pushesReceived.name)).toBe(idleBefore); // the idle gateway heard none of it
  expect(await counter(gateway[0]!, METRICS.pushesReceived.name)).toBeGreaterThan(0);
}, 240_000);
