/** The history's XLSX export: a workbook's parts, cells typed and escaped, hostile text kept as text. */
import { expect, test } from '@jest/globals';
import { strFromU8, unzipSync } from 'fflate';
import { columnName, xlsx } from './xlsx.ts';

const partsOf = (bytes: Uint8Array): Record<string, string> => Object.fromEntries(Object.entries(unzipSync(bytes)).map(([path, data]) => [path, strFromU8(data)]));

test('a workbook holds the parts a spreadsheet opens, one sheet named as asked', () => {
  const parts = partsOf(xlsx([['a']], 'History: 2026/12'));
  expect(Object.keys(parts).sort()).toEqual(['[Content_Types].xml', '_rels/.rels', 'xl/_rels/workbook.xml.rels', 'xl/styles.xml', 'xl/workbook.xml', 'xl/worksheets/sheet1.xml']);
  expect(parts['xl/workbook.xml']).toContain('<sheet name="History  2026 12" sheetId="1" r:id="rId1"/>');
  expect(parts['[Content_Types].xml']).toContain('PartName="/xl/worksheets/sheet1.xml"');
});

test('text is inline strings, escaped, never formulas; numbers are numbers; the header is bold and frozen; empty cells are left out', () => {
  const hostile = '=HYPERLINK("http://evil.example","x") <script>&</script>\u0007';
  const sheet = partsOf(xlsx([['conversation', 'rating'], [hostile, 5], ['王小明', null]], 'History'))['xl/worksheets/sheet1.xml']!;
  expect(sheet).toContain('<c r="A1" t="inlineStr" s="1"><is><t xml:space="preserve">conversation</t></is></c>');
  expect(sheet).toContain('<t xml:space="preserve">=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;) &lt;script&gt;&amp;&lt;/script&gt;</t>');
  expect(sheet).not.toContain('<f>');
  expect(sheet).toContain('<c r="B2"><v>5</v></c>');
  expect(sheet).toContain('<row r="3"><c r="A3" t="inlineStr"><is><t xml:space="preserve">王小明</t></is></c></row>');
  expect(sheet).toContain('state="frozen"');
});

test('columns are lettered like a spreadsheet’s', () => {
  expect([0, 1, 25, 26, 27, 51, 52, 701, 702].map(columnName)).toEqual(['A', 'B', 'Z', 'AA', 'AB', 'AZ', 'BA', 'ZZ', 'AAA']);
});
