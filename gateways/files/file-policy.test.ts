import { MAX_FILE_BYTES, cleanFileName, judgeFile } from './file-policy.ts';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const PDF = new TextEncoder().encode('%PDF-1.7\n...');
const HTML = new TextEncoder().encode('<html><script>alert(1)</script></html>');
const EXE = new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00]);

test.each([
  ['a PNG named .png', 'screenshot.png', PNG, { ok: true, contentType: 'image/png', name: 'screenshot.png' }],
  ['a PDF with a Chinese name', '发票 2026.pdf', PDF, { ok: true, contentType: 'application/pdf', name: '发票 2026.pdf' }],
  ['plain text as .txt', 'log.txt', new TextEncoder().encode('订单 123\nok'), { ok: true, contentType: 'text/plain; charset=utf-8' }],
  ['HTML pretending to be a PNG', 'cat.png', HTML, { ok: false, code: 'FILE_TYPE_NOT_ALLOWED' }],
  ['HTML as .txt is text, served as text', 'page.txt', HTML, { ok: true, contentType: 'text/plain; charset=utf-8' }],
  ['HTML as .html', 'page.html', HTML, { ok: false, code: 'FILE_TYPE_NOT_ALLOWED' }],
  ['a PNG named .pdf', 'x.pdf', PNG, { ok: false, code: 'FILE_TYPE_NOT_ALLOWED' }],
  ['an executable named .txt', 'setup.txt', EXE, { ok: false, code: 'FILE_TYPE_NOT_ALLOWED' }],
  ['invalid UTF-8 as text', 'a.txt', new Uint8Array([0x61, 0xff, 0x62]), { ok: false, code: 'FILE_TYPE_NOT_ALLOWED' }],
  ['nothing at all', 'empty.txt', new Uint8Array(0), { ok: false, code: 'FILE_EMPTY' }],
  ['one byte over the limit', 'big.txt', new Uint8Array(MAX_FILE_BYTES + 1).fill(0x61), { ok: false, code: 'FILE_TOO_LARGE' }],
])('%s', (_, name, data, want) => {
  expect(judgeFile(name, data)).toMatchObject(want);
});

test.each([
  ['../../etc/passwd', 'passwd'],
  ['C:\\Windows\\system32\\evil.pdf', 'evil.pdf'],
  ['..', 'file'],
  ['.hidden.txt', 'hidden.txt'],
  ['invoice\u202Etxt.exe', 'invoicetxt.exe'],
  ['tab\tand\nnewline.txt', 'tabandnewline.txt'],
  ['', 'file'],
])('the name %j is offered as %j', (raw, clean) => {
  expect(cleanFileName(raw)).toBe(clean);
});

test('a long name is cut, keeping its extension', () => {
  const cut = cleanFileName(`${'长'.repeat(500)}.pdf`);
  expect(cut).toHaveLength(200);
  expect(cut.endsWith('.pdf')).toBe(true);
});
