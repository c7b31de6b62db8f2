import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CLOSE_CODES,
  FRAME_ERRORS,
  RATE_LIMITED,
  VISITOR_LIMITS,
  clientFrames,
  decodeVisitorFrame,
  serverFrames,
  shouldReconnect,
  visitorServerFrame,
} from './wire.ts';
import { VISITOR_SCHEMA_FILE, visitorProtocolJsonSchema } from './wire-schema.ts';

const ok = (frame: unknown) => {
  const decoded = decodeVisitorFrame(JSON.stringify(frame));
  if (!decoded.ok) throw new Error(`${decoded.error.code}: ${decoded.error.message}`);
  return decoded.frame;
};
const refused = (data: ArrayBuffer | string) => {
  const decoded = decodeVisitorFrame(data);
  if (decoded.ok) throw new Error(`accepted ${String(data).slice(0, 80)}`);
  return decoded.error;
};

describe('client frames of protocol v1 decode', () => {
  test.each([
    { type: 'hello', v: 1 },
    { type: 'hello', v: 1, token: 'Zm9vYmFyYmF6cXV4cXV1eDEy', lastSeq: 41, locale: 'zh-CN', page: { url: 'https://shop.example/cart', title: '购物车' } },
    { type: 'hello', v: 1, timeZone: 'America/Argentina/Buenos_Aires' },
    { type: 'hello', v: 1, timeZone: 'Etc/GMT+8' },
    { type: 'hello', v: 1, identity: { userId: 'u-1', hash: 'a'.repeat(64), name: '王小明' } },
    { type: 'start', preChat: { name: '王小明', 'order.id': 'A-1001' } },
    { type: 'start' },
    { type: 'message', clientMsgId: 'm-01HXYZ_1', text: '你好，我的订单还没到 📦' },
    { type: 'typing', typing: true },
    { type: 'read', seq: 12 },
    { type: 'rate', score: 5, comment: '很快' },
    { type: 'leave-message', text: 'Please call me back', contact: '+86 138 0000 0000' },
    { type: 'close' },
    { type: 'ping' },
  ])('$type', (frame) => {
    expect(ok(frame)).toEqual(frame);
  });

  test('an ArrayBuffer (what uWS hands over) decodes like text', () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ type: 'message', clientMsgId: 'x1', text: '中文' }));
    expect(decodeVisitorFrame(bytes.buffer)).toEqual({ ok: true, frame: { type: 'message', clientMsgId: 'x1', text: '中文' } });
  });
});

describe('hostile and malformed frames get a typed error and nothing else', () => {
  const hostile: [label: string, data: string, code: string][] = [
    ['oversized', 'x'.repeat(VISITOR_LIMITS.maxFrameBytes + 1), 'FRAME_TOO_LARGE'],
    ['not JSON', '{"type":"message",', 'BAD_FRAME'],
    ['a JSON array', '[1,2]', 'BAD_FRAME'],
    ['a JSON string', '"hello"', 'BAD_FRAME'],
    ['null', 'null', 'BAD_FRAME'],
    ['no type', '{"text":"hi"}', 'UNKNOWN_FRAME_TYPE'],
    ['unknown type', '{"type":"assign","agentId":"a1"}', 'UNKNOWN_FRAME_TYPE'],
    ['a type from Object.prototype', '{"type":"toString"}', 'UNKNOWN_FRAME_TYPE'],
    ['a number where text goes', '{"type":"message","clientMsgId":"m1","text":5}', 'INVALID_FIELD'],
    ['empty text', '{"type":"message","clientMsgId":"m1","text":""}', 'INVALID_FIELD'],
    ['text over the limit', JSON.stringify({ type: 'message', clientMsgId: 'm1', text: '字'.repeat(VISITOR_LIMITS.maxTextLength + 1) }), 'INVALID_FIELD'],
    ['a clientMsgId with spaces', '{"type":"message","clientMsgId":"a b","text":"hi"}', 'INVALID_FIELD'],
    ['an unknown field', '{"type":"typing","typing":true,"admin":true}', 'INVALID_FIELD'],
    ['a time zone that is a path', '{"type":"hello","v":1,"timeZone":"../../etc/passwd"}', 'INVALID_FIELD'],
    ['a time zone with markup', '{"type":"hello","v":1,"timeZone":"<b>Asia</b>"}', 'INVALID_FIELD'],
    ['__proto__ in the frame', '{"type":"typing","typing":true,"__proto__":{"polluted":1}}', 'INVALID_FIELD'],
    ['__proto__ in the pre-chat form', '{"type":"start","preChat":{"__proto__":"x"}}', 'INVALID_FIELD'],
    ['constructor in the pre-chat form', '{"type":"start","preChat":{"constructor":"x"}}', 'INVALID_FIELD'],
    ['too many pre-chat fields', JSON.stringify({ type: 'start', preChat: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`f${i}`, 'v'])) }), 'INVALID_FIELD'],
    ['a fractional seq', '{"type":"read","seq":1.5}', 'INVALID_FIELD'],
    ['a negative seq', '{"type":"read","seq":-1}', 'INVALID_FIELD'],
    ['a score of 6', '{"type":"rate","score":6}', 'INVALID_FIELD'],
    ['a version that is not a positive integer', '{"type":"hello","v":"1"}', 'INVALID_FIELD'],
    ['a malformed identity hash', '{"type":"hello","v":1,"identity":{"userId":"u","hash":"zz"}}', 'INVALID_FIELD'],
    ['10,000-deep nesting (larger than a frame)', `{"type":"start","preChat":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, 'FRAME_TOO_LARGE'],
    ['5,000-deep nesting', `{"type":"start","preChat":${'['.repeat(5_000)}${']'.repeat(5_000)}}`, 'BAD_FRAME'],
    ['9-deep nesting', `{"type":"start","preChat":${'['.repeat(8)}${']'.repeat(8)}}`, 'BAD_FRAME'],
  ];
  test.each(hostile.map(([label, data, code]) => ({ label, data, code })))('$label → $code', ({ data, code }) => {
    const error = refused(data);
    expect(error).toMatchObject({ type: 'error', code, temporary: false });
    expect(error.message.length).toBeGreaterThan(10);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  test('invalid UTF-8 is refused', () => {
    expect(refused(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).buffer)).toMatchObject({ code: 'BAD_FRAME', message: expect.stringContaining('UTF-8') });
  });

  test('brackets and escaped quotes inside strings do not count as nesting', () => {
    const text = `[[[[[[[[[[ {{{{{{{{{{ \\" ]]]] "quoted" 】`;
    expect(ok({ type: 'message', clientMsgId: 'm1', text })).toMatchObject({ text });
  });

  test('the error names the field at fault', () => {
    expect(refused('{"type":"rate","score":"five"}').message).toContain('score');
  });
});

test('close codes say whether to reconnect: 4000–4499 yes, 4500–4999 no', () => {
  expect(Object.entries(CLOSE_CODES).filter(([, code]) => shouldReconnect(code)).map(([name]) => name)).toEqual(['SERVER_SHUTDOWN', 'HEARTBEAT_TIMEOUT', 'SLOW_CONSUMER', 'RATE_LIMITED']);
  expect(shouldReconnect(1000)).toBe(false);
});

test('server frames follow the schema too (the examples of docs/protocol/visitor.md)', () => {
  const examples = [
    { type: 'welcome', v: 1, token: 'tok', conversationId: 'c-1', status: 'assigned', lastSeq: 7, agent: { name: '李娜' }, heartbeatMs: 25_000 },
    { type: 'ack', clientMsgId: 'm1', seq: 8 },
    { type: 'message', seq: 9, clientMsgId: null, from: { kind: 'agent', name: '李娜' }, text: '您好', at: 1_795_000_000_000 },
    { type: 'queue', position: 3, estimatedWaitMs: 90_000 },
    { type: 'error', code: 'CONVERSATION_CLOSED', message: 'the conversation is closed', temporary: false, clientMsgId: 'm2' },
  ];
  for (const frame of examples) expect(visitorServerFrame.safeParse(frame).success).toBe(true);
  expect(visitorServerFrame.safeParse({ type: 'ack', clientMsgId: 'm1' }).success).toBe(false);
});

test('docs/protocol/visitor.schema.json is generated from these schemas (npm run protocol:schema)', () => {
  expect(JSON.parse(readFileSync(VISITOR_SCHEMA_FILE, 'utf8'))).toEqual(visitorProtocolJsonSchema());
});

test('docs/protocol/visitor.md documents every frame, frame error and close code of the code', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/protocol/visitor.md', import.meta.url)), 'utf8');
  for (const type of [...Object.keys(clientFrames), ...Object.keys(serverFrames)]) expect(doc).toContain(`| \`${type}\` |`);
  for (const code of [...Object.keys(FRAME_ERRORS), RATE_LIMITED.code]) expect(doc).toContain(`| \`${code}\` |`);
  for (const [name, code] of Object.entries(CLOSE_CODES)) expect(doc).toContain(`| ${code} | \`${name}\` |`);
});
