/**
 * Login flood benchmark: `npm run bench:login-flood [-- --messages 150 --attackers 64]`
 *
 * Does a flood of sign-ins (each a deliberately slow password hash) starve chat? An embedded node; a
 * visitor chatting with an agent sends messages one at a time (8 a second, under the visitor rate
 * limit) and notes each ack's latency — first
 * alone (the baseline, same run), then while `attackers` clients hammer POST /api/v1/session with
 * unknown emails (which cost a full hash, like wrong passwords; the per-address limit is lifted
 * for the run, as a flood from many addresses would get past it). Prints ack p50/p99 in both
 * phases, what the sign-ins got (401 after a hash, 503 BUSY at the bound), and the node's RSS.
 * Target (issue 7): hashing is bounded so the flood cannot exhaust memory or starve chat traffic.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT_ID } from '../actors/directory/channel.repository.ts';
import { loadConfig } from '../cluster/config.ts';
import { startNode, type KefuNode } from '../cluster/node.ts';
import { VisitorClient } from '../tests/visitor-client.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '150' }, attackers: { type: 'string', default: '64' }, 'attack-url': { type: 'string' } } });
const MESSAGES = Number(values.messages);
const ATTACKERS = Number(values.attackers);
const PACE_MS = 120;

async function chattingVisitor(node: KefuNode): Promise<VisitorClient> {
  const agentId = 'bench-agent';
  await node.actors.send('agent', agentId, { type: 'create', tenantId: DEFAULT_TENANT_ID, displayName: 'Agent', skillGroups: ['default'], maxConversations: 5 });
  await node.actors.send('agent', agentId, { type: 'connect', connectionId: 'desk', status: 'ready' });
  const url = `ws://127.0.0.1:${node.port}/ws/visitor/web`;
  const visitor = await VisitorClient.connect(url);
  const welcome = await visitor.hello();
  visitor.send({ type: 'start' });
  await visitor.next('status', (f) => f.status === 'assigned');
  const probe = await VisitorClient.connect(url);
  const conversationId = (await probe.hello({ token: welcome.token })).conversationId!;
  probe.close();
  await node.actors.send('conversation', conversationId, { type: 'accept', agentId });
  return visitor;
}

async function ackLatencies(visitor: VisitorClient, prefix: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const id = `${prefix}${i}`;
    const from = visitor.frames.length;
    const t = performance.now();
    visitor.send({ type: 'message', clientMsgId: id, text: `message ${i}` });
    await visitor.next('ack', (a) => a.clientMsgId === id, { from });
    out.push(performance.now() - t);
    // The gateway allows a visitor 10 frames a second: pace under it.
    await new Promise((r) => setTimeout(r, Math.max(0, PACE_MS - (performance.now() - t))));
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-login-flood-'));
  const node = await startNode(
    loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'warn', KEFU_NODE_ID: 'login-flood', KEFU_SIGN_INS_PER_MINUTE: '100000' }),
  );
  try {
    const visitor = await chattingVisitor(node);
    await ackLatencies(visitor, 'warm'); // JIT and SQLite caches, outside both phases
    await new Promise((r) => setTimeout(r, 3_000)); // the visitor's rate-limit bucket refills
    const rssBefore = process.memoryUsage().rss;
    const quiet = await ackLatencies(visitor, 'quiet');

    // The attackers run in a process of their own, so their CPU and memory are not the node's.
    const attack = fork(new URL(import.meta.url).pathname, ['--attackers', String(ATTACKERS), '--attack-url', node.url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve) => attack.once('message', () => resolve())); // the flood is in full swing
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
    const t0 = performance.now();
    const flooded = await ackLatencies(visitor, 'flood');
    const floodSeconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const outcomes = await new Promise<Record<string, number>>((resolve) => {
      attack.once('message', (m) => resolve(m as Record<string, number>));
      attack.send('stop');
    });
    visitor.close();

    const ms = (v: number) => `${v.toFixed(1)} ms`;
    const hashed = outcomes['401'] ?? 0;
    console.log(`login flood benchmark (Node ${process.version}; ${MESSAGES} visitor messages per phase, ${ATTACKERS} concurrent sign-in loops)`);
    console.log(`  ack latency, no flood (baseline)   p50 ${ms(percentile(quiet, 50))}   p99 ${ms(percentile(quiet, 99))}`);
    console.log(`  ack latency, during the flood      p50 ${ms(percentile(flooded, 50))}   p99 ${ms(percentile(flooded, 99))}   (p99 ${(percentile(flooded, 99) / percentile(quiet, 99)).toFixed(1)}× baseline)`);
    console.log(`  sign-ins answered during the flood: ${Object.entries(outcomes).sort().map(([s, n]) => `${n} × ${s}`).join(', ')}; ${(hashed / floodSeconds).toFixed(1)} hashed/s`);
    console.log(`  node RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, peak ${(peakRss / 2 ** 20).toFixed(0)} MiB during (scrypt holds 16 MiB per hash in flight)`);
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The attacker process: `attackers` sign-in loops until the parent says stop; reports the answers' statuses. */
async function attack(url: string): Promise<void> {
  let flooding = true;
  const outcomes: Record<string, number> = {};
  process.on('message', () => (flooding = false));
  const loop = async (n: number): Promise<void> => {
    for (let i = 0; flooding; i++) {
      const res = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `nobody${n}.${i}@example.com`, password: 'guessing a password' }) });
      await res.arrayBuffer();
      outcomes[res.status] = (outcomes[res.status] ?? 0) + 1;
    }
  };
  const loops = Array.from({ length: ATTACKERS }, (_, n) => loop(n));
  setTimeout(() => process.send!('flooding'), 500);
  await Promise.all(loops);
  process.send!(outcomes, () => process.exit(0));
}

if (values['attack-url']) await attack(values['attack-url']);
else await main();
