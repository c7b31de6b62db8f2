/** Two Moleculer brokers talking over the real NATS started by cluster/infra. */
import { ServiceBroker } from 'moleculer';
import { localInfraEnv } from '../../cluster/local-infra.ts';
import { uniqueName, waitFor } from '../support.ts';

const transporter = { type: 'NATS' as const, options: { url: localInfraEnv().KEFU_TRANSPORTER } };
const brokers: ServiceBroker[] = [];

const broker = (nodeID: string, namespace: string): ServiceBroker => {
  const b = new ServiceBroker({ namespace, nodeID, transporter, logger: false, heartbeatInterval: 1, heartbeatTimeout: 5 });
  brokers.push(b);
  return b;
};

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
});

test('a call from one broker is served by a service on another node, and events cross too', async () => {
  const namespace = uniqueName('kefu-test');
  const caller = broker('caller', namespace);
  const server = broker('server', namespace);
  const seen: string[] = [];
  server.createService({
    name: 'echo',
    actions: {
      reply: { handler: (ctx) => ({ servedBy: ctx.broker.nodeID, caller: ctx.nodeID, text: (ctx.params as { text: string }).text }) },
    },
    events: {
      'conversation.created': { handler: (ctx) => void seen.push((ctx.params as { id: string }).id) },
    },
  });
  await Promise.all([caller.start(), server.start()]);
  await caller.waitForServices('echo', 10_000);

  const reply = await caller.call('echo.reply', { text: '你好, agent' });
  expect(reply).toEqual({ servedBy: 'server', caller: 'caller', text: '你好, agent' });

  caller.emit('conversation.created', { id: 'c-1' });
  await waitFor('the event on the other node', async () => (seen.length > 0 ? seen : undefined), 10_000);
  expect(seen).toEqual(['c-1']);
});

test('brokers of different cluster names (namespaces) do not see each other', async () => {
  const a = broker('a', uniqueName('kefu-test'));
  const b = broker('b', uniqueName('kefu-test'));
  b.createService({ name: 'hidden', actions: { ping: () => 'pong' } });
  await Promise.all([a.start(), b.start()]);
  await expect(a.waitForServices('hidden', 2_000)).rejects.toThrow();
});
