/**
 * An embedded Kefu node of a test's own — a free loopback port, a fresh data directory removed at
 * the end — its first admin, made with the setup token the first start printed, a small org, and
 * visitors stored without a socket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../cluster/config.ts';
import { Visitor } from '../actors/directory/visitor.entity.ts';
import { startNode, type KefuNode } from '../cluster/node.ts';
import { ApiClient, expectStatus } from './api-client.ts';

/** An embedded node on a free loopback port with its own data directory, removed by `stop`. */
export async function startEmbeddedNode(nodeId: string, env: Record<string, string> = {}): Promise<{ node: KefuNode; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `kefu-${nodeId}-`));
  const node = await startNode(loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'error', KEFU_NODE_ID: nodeId, ...env }));
  return {
    node,
    stop: async () => {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates the node's first admin (a super admin of the default tenant) and signs them in. */
export async function firstAdmin(node: KefuNode, who: { email: string; displayName: string; password: string }): Promise<ApiClient> {
  if (node.setup.status !== 'issued') throw new Error('expected a setup token');
  expectStatus(await new ApiClient(node.url).post('/api/v1/setup', { token: node.setup.token, ...who }), 201);
  return new ApiClient(node.url).login(who.email, who.password);
}

/** A small org to test reach with: Support, its skill group After-sales below it, and Sales, a skill group beside Support. */
export async function supportAndSales(admin: ApiClient): Promise<{ support: string; afterSales: string; sales: string }> {
  const department = async (name: string, parentId: string, isSkillGroup: boolean) => expectStatus(await admin.post('/api/v1/departments', { parentId, name, isSkillGroup }), 201).id as string;
  const support = await department('Support', 'root', false);
  return { support, afterSales: await department('After-sales', support, true), sales: await department('Sales', 'root', true) };
}

let visitorSeq = 0;

/** An anonymous visitor of the channel, stored as a first `hello` would (without a socket); answers their id. */
export async function storedVisitor(node: KefuNode, channelId: string, tenantId = 'default'): Promise<string> {
  const em = node.database.orm.em.fork();
  const id = `v${++visitorSeq}x${Date.now().toString(36)}`;
  em.create(Visitor, { id, tenantId, channelId, identityKey: `anon:${id}`, displayName: '', email: '', conversationId: '', createdAt: new Date(), lastSeenAt: new Date() });
  await em.flush();
  return id;
}
