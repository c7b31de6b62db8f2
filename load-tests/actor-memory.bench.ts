/**
 * Memory per active conversation actor: `npm run bench:actor-memory [-- --actors 20000]`
 *
 * Starts an embedded node (the actor runtime with its SQLite store) and activates N conversation
 * actors (bot-first conversations: created, opened, one message each, all kept in memory), then
 * reports the heap growth per actor after a full GC. Baseline in the same run: the same number of
 * conversation states held in a plain Map, without the runtime — the cost of the state itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decideConversation } from '../actors/conversation/machine.ts';
import { newConversation, type ConversationState } from '../actors/conversation/state.ts';
import { isRejection } from '../actors/kernel/decision.ts';
import { loadConfig } from '../cluster/config.ts';
import { startNode } from '../cluster/node.ts';

const { values } = parseArgs({ options: { actors: { type: 'string', default: '20000' } } });
const count = Number(values.actors);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:actor-memory does)');

const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const visitor = (i: number) => ({ visitorId: `v${i}`, displayName: null, identified: false, vip: false, lastAgentId: null });
const open = { skillGroupId: 'sales', requestedAgentId: null, preChat: { topic: 'order 1234' }, bot: true, withinWorkingHours: true };

// Baseline: the states alone.
const before = heap();
const states = new Map<string, ConversationState>();
for (let i = 0; i < count; i++) {
  let s = newConversation({ conversationId: `c${i}`, tenantId: 't1', channelId: 'web', visitor: visitor(i), now: 1 });
  for (const command of [{ type: 'open', ...open } as const, { type: 'post-message', from: { kind: 'visitor' }, clientMsgId: `m${i}`, text: '你好，我想查询订单' } as const]) {
    const d = decideConversation(s, command, 2);
    if (isRejection(d)) throw new Error(d.message);
    s = d.state;
  }
  states.set(`c${i}`, s);
}
const baselinePerActor = (heap() - before) / count;
states.clear();

// Kefu: the same conversations as live actors of an embedded node.
const dir = mkdtempSync(join(tmpdir(), 'kefu-actor-memory-'));
const node = await startNode(loadConfig({ KEFU_PORT: '0', KEFU_HOST: '127.0.0.1', KEFU_DATA_DIR: dir, KEFU_LOG_LEVEL: 'error' }));
try {
  const warm = heap();
  const started = performance.now();
  for (let i = 0; i < count; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, count - i) }, async (_, j) => {
        const id = `c${i + j}`;
        await node.actors.send('conversation', id, { type: 'start', tenantId: 't1', channelId: 'web', visitor: visitor(i + j), open });
        await node.actors.send('conversation', id, { type: 'post-message', from: { kind: 'visitor' }, clientMsgId: `m${i + j}`, text: '你好，我想查询订单' });
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const perActor = (heap() - warm) / count;
  console.log(`Active conversation actors (Node ${process.version}): ${count.toLocaleString('en-US')} in one embedded node, created in ${seconds.toFixed(1)} s (${Math.round((2 * count) / seconds).toLocaleString('en-US')} commands/s with SQLite snapshots)`);
  console.log(`  baseline: the conversation state alone   ${(baselinePerActor / 1024).toFixed(2)} KiB per conversation`);
  console.log(`  kefu: live actor (state, mailbox slot, timers, runtime bookkeeping)   ${(perActor / 1024).toFixed(2)} KiB per actor   ${(perActor / baselinePerActor).toFixed(2)}× baseline`);
} finally {
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
}
