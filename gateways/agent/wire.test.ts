import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AGENT_SCHEMA_FILE, agentProtocolJsonSchema } from './wire-schema.ts';
import { AGENT_CLOSE_CODES, agentClientFrames, agentServerFrame, agentServerFrames, decodeAgentFrame } from './wire.ts';

const DOC = fileURLToPath(new URL('../../docs/protocol/agent.md', import.meta.url));

test.each([
  ['a valid message', JSON.stringify({ type: 'message', conversationId: 'c1', clientMsgId: 'm1', text: '您好' }), null],
  ['a transfer to a skill group', JSON.stringify({ type: 'transfer', conversationId: 'c1', to: { skillGroupId: 'vip' }, memo: 'VIP' }), null],
  ['a transfer to both', JSON.stringify({ type: 'transfer', conversationId: 'c1', to: { agentId: 'a', skillGroupId: 'b' } }), 'INVALID_FIELD'],
  ['a whisper', JSON.stringify({ type: 'message', conversationId: 'c1', clientMsgId: 'w1', text: '先核对订单', as: 'supervisor' }), null],
  ['acting as anything but a supervisor', JSON.stringify({ type: 'close', conversationId: 'c1', as: 'admin' }), 'INVALID_FIELD'],
  ['an unknown monitor mode', JSON.stringify({ type: 'monitor', conversationId: 'c1', mode: 'spy' }), 'INVALID_FIELD'],
  ['a pick of the next in line', JSON.stringify({ type: 'pick', skillGroupId: 'default' }), null],
  ['a skill group id with a path in it', JSON.stringify({ type: 'queue', skillGroupId: '../default' }), 'INVALID_FIELD'],
  ['an invitation without whom', JSON.stringify({ type: 'invite', conversationId: 'c1' }), 'INVALID_FIELD'],
  ['offline as a chosen status', JSON.stringify({ type: 'set-status', status: 'offline' }), 'INVALID_FIELD'],
  ['a __proto__ key', '{"type":"accept","conversationId":"c1","__proto__":{"x":1}}', 'INVALID_FIELD'],
  ['deep nesting', `{"type":"ping","x":${'['.repeat(20)}${']'.repeat(20)}}`, 'BAD_FRAME'],
  ['an unknown type', JSON.stringify({ type: 'barge-in' }), 'UNKNOWN_FRAME_TYPE'],
  ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]).buffer, 'BAD_FRAME'],
  ['an oversized frame', JSON.stringify({ type: 'message', conversationId: 'c', clientMsgId: 'm', text: 'x'.repeat(17_000) }), 'FRAME_TOO_LARGE'],
])('%s', (_, data, code) => {
  const decoded = decodeAgentFrame(data as string | ArrayBuffer);
  if (code === null) expect(decoded.ok).toBe(true);
  else expect(decoded).toMatchObject({ ok: false, error: { type: 'error', code, temporary: false } });
});

test('server frames follow the schema (the example of docs/protocol/agent.md)', () => {
  const doc = readFileSync(DOC, 'utf8');
  const example = doc.slice(doc.indexOf('## Example'));
  const frames = example.split('\n').filter((l) => l.startsWith('← ')).map((l) => JSON.parse(l.slice(2)) as unknown);
  expect(frames.length).toBeGreaterThan(5);
  for (const f of frames) expect(agentServerFrame.safeParse(f).error).toBeUndefined();
  const sent = example.split('\n').filter((l) => l.startsWith('→ ')).map((l) => l.slice(2));
  for (const f of sent) expect(decodeAgentFrame(f).ok).toBe(true);
});

test('docs/protocol/agent.schema.json is generated from these schemas (npm run protocol:schema)', () => {
  expect(JSON.parse(readFileSync(AGENT_SCHEMA_FILE, 'utf8'))).toEqual(agentProtocolJsonSchema());
});

test('docs/protocol/agent.md documents every frame and close code of the code', () => {
  const doc = readFileSync(DOC, 'utf8');
  for (const type of [...Object.keys(agentClientFrames), ...Object.keys(agentServerFrames)]) expect(doc).toContain(`| \`${type}\` |`);
  for (const code of Object.values(AGENT_CLOSE_CODES)) expect(doc).toContain(String(code));
});
