/**
 * The contract of the integrator topics: docs/asyncapi.yaml is what the code generates, a valid
 * AsyncAPI 3.0.0 document, and every
 * record the code appends — from real decisions of the conversation machine, through the
 * conversation kind's journal and claim — is valid against the file's schemas (checked by a JSON
 * Schema validator reading the file, not by the zod schemas it was generated from).
 */
import { readFileSync } from 'node:fs';
import asyncApiSpecs from '@asyncapi/specs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { conversationKind } from '../actors/conversation/conversation.actor.ts';
import { decideConversation } from '../actors/conversation/machine.ts';
import type { ConversationCommand, ConversationEffect } from '../actors/conversation/protocol.ts';
import { newConversation, type ConversationState } from '../actors/conversation/state.ts';
import { isRejection } from '../actors/kernel/decision.ts';
import { decideAgent } from '../actors/agent/machine.ts';
import type { AgentCommand } from '../actors/agent/protocol.ts';
import { newAgent } from '../actors/agent/state.ts';
import { ASYNCAPI_FILE, asyncApiYaml } from './asyncapi.ts';
import { recordOf } from './message-log.kafka.ts';
import type { LogEntry } from './message-log.ts';

type Doc = { channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>; components: { messages: Record<string, { name: string; payload: object }> } };
const doc = parse(readFileSync(ASYNCAPI_FILE, 'utf8')) as Doc;

test('docs/asyncapi.yaml is generated from the code’s record schemas (npm run asyncapi)', () => {
  expect(readFileSync(ASYNCAPI_FILE, 'utf8')).toBe(asyncApiYaml());
});

test('docs/asyncapi.yaml is a valid AsyncAPI 3.0.0 document (the official JSON Schema of the specification)', () => {
  // The specification's schema carries its own copy of the draft-07 meta-schema.
  const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false, meta: false, validateSchema: false }).compile(asyncApiSpecs.schemas['3.0.0']);
  expect({ valid: validate(doc), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
  const broken = structuredClone(doc) as unknown as { operations: Record<string, { action: string }> };
  broken.operations.consumeMessages!.action = 'consume';
  expect(validate(broken)).toBe(false);
});

/** The payload schemas of a channel's messages, by message name (the record's `type`). */
function validators(channel: string) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  return new Map(
    Object.values(doc.channels[channel]!.messages).map(({ $ref }) => {
      const message = doc.components.messages[$ref.split('/').pop()!]!;
      return [message.name, ajv.compile(message.payload)] as const;
    }),
  );
}

test('every record the conversation actor appends to kefu.messages.v1 is valid against the document', () => {
  const kind = conversationKind({ send: async () => ({ ok: true, effects: [] }), publish: async () => undefined, push: () => undefined, failed: () => undefined }, { clientMsgIds: async () => [] });
  const commands: ConversationCommand[] = [
    { type: 'open', skillGroupId: 'sales', requestedAgentId: null, preChat: {}, bot: true, withinWorkingHours: true },
    { type: 'post-message', from: { kind: 'bot' }, clientMsgId: 'b1', text: '您好，我是机器人' },
    { type: 'request-human' },
    { type: 'post-message', from: { kind: 'visitor' }, clientMsgId: 'v1', text: '<img src=x onerror=alert(1)> 退款 "quote" \\ 👋' },
    { type: 'assign', agentId: 'li', skillGroupId: 'sales' },
    { type: 'accept', agentId: 'li' },
    { type: 'post-message', from: { kind: 'agent', agentId: 'li' }, clientMsgId: 'a1', text: '', file: { id: 'f1', name: '发票.pdf', contentType: 'application/pdf', size: 52_113 } },
    { type: 'monitor', supervisorId: 'boss', mode: 'whisper' },
    { type: 'post-message', from: { kind: 'supervisor', supervisorId: 'boss' }, clientMsgId: 's1', text: 'offer the coupon' },
    { type: 'transfer', by: { kind: 'agent', agentId: 'li' }, to: { agentId: 'wang' }, memo: '需要退款权限' },
    { type: 'accept', agentId: 'wang' },
    { type: 'take-over', supervisorId: 'boss' },
    { type: 'close', by: { kind: 'supervisor', supervisorId: 'boss' }, summary: '已退款' },
    { type: 'rate', score: 5, comment: '谢谢' },
    { type: 'tag', by: { kind: 'supervisor', supervisorId: 'boss' }, tags: ['退款', 'VIP customer'] },
    { type: 'reopen' },
  ];
  let state: ConversationState = newConversation({ conversationId: 'c-asyncapi', tenantId: 't1', channelId: 'web', visitor: { visitorId: 'v', displayName: 'V', identified: false, vip: false, lastAgentId: null }, now: 1_000 });
  const entries: LogEntry[] = [kind.logClaim!(state, 1_000)];
  const events: object[] = [];
  commands.forEach((command, i) => {
    const decision = decideConversation(state, command, 2_000 + i);
    if (isRejection(decision)) throw new Error(`${command.type} was rejected: ${decision.message}`);
    state = decision.state;
    for (const message of kind.journal!(decision.effects as ConversationEffect[], state)) entries.push({ type: 'message', message });
    for (const e of decision.effects) if (e.type === 'emit') events.push({ v: 1, ...e.event, tenantId: state.tenantId });
  });
  const records = entries.map((e) => recordOf(e, { shard: 3, epoch: 1_795_000_000_000 }));
  expect(records.map((r) => r.type)).toEqual(expect.arrayContaining(['claim', 'message']));
  expect(records.filter((r) => r.type === 'message').length).toBeGreaterThanOrEqual(4);

  const check = validators('messages');
  expectValid(check, records, (r) => r.type);
  // The lifecycle events of the same run, as they are published to kefu.conversations.v1.
  const names = events.map((e) => (e as { name: string }).name);
  expect(new Set(names)).toEqual(
    new Set(['conversation.created', 'conversation.queued', 'conversation.assigned', 'conversation.accepted', 'conversation.first-agent-reply', 'conversation.transferred', 'conversation.closed', 'conversation.rated', 'conversation.tagged', 'conversation.reopened']),
  );
  expectValid(validators('conversations'), events);

  // The schemas are strict: what the code does not write is not valid.
  expect(check.get('message')!({ ...JSON.parse(JSON.stringify(records.find((r) => r.type === 'message'))), seq: 0 })).toBe(false);
  expect(check.get('claim')!({ v: 1, type: 'claim', epoch: 1, tenantId: 't1', conversationId: 'c', at: 1, lastSeq: 1, extra: true })).toBe(false);
});

test('every presence event the agent actor publishes to kefu.agents.v1 is valid against the document', () => {
  const commands: AgentCommand[] = [
    { type: 'connect', connectionId: 'tab-1' },
    { type: 'set-status', status: 'busy' },
    { type: 'force-status', status: 'away', by: 'boss' },
    { type: 'configure', skillGroups: ['sales'], maxConversations: 3 },
    { type: 'disconnect', connectionId: 'tab-1' },
    { type: 'presence-grace-expired' },
  ];
  let state = newAgent({ agentId: 'li', tenantId: 't1', skillGroups: ['sales'], maxConversations: 2, now: 0 });
  const events: object[] = [];
  commands.forEach((command, i) => {
    const decision = decideAgent(state, command, 1_000 + i);
    if (isRejection(decision)) throw new Error(`${command.type} was rejected: ${decision.message}`);
    state = decision.state;
    for (const e of decision.effects) if (e.type === 'emit') events.push({ v: 1, ...e.event, tenantId: state.tenantId });
  });
  expect(new Set(events.map((e) => (e as { name: string }).name))).toEqual(new Set(['agent.status-changed', 'agent.capacity-changed']));
  expectValid(validators('agents'), events);
});

/** Each value is valid against the schema of the message it is (`messageOf`), read as a consumer reads it: through JSON. */
function expectValid(check: ReturnType<typeof validators>, values: readonly object[], messageOf: (value: Record<string, unknown>) => unknown = (v) => v.name): void {
  for (const value of values) {
    const validate = check.get(String(messageOf(value as Record<string, unknown>)));
    expect(validate).toBeDefined();
    const valid = validate!(JSON.parse(JSON.stringify(value)));
    expect({ value, errors: validate!.errors ?? null }).toEqual({ value, errors: null });
    expect(valid).toBe(true);
  }
}
