import { foldedText, fts5Match, highlightRanges, indexedText, queryTerms } from './search-text.ts';

test('CJK characters become tokens of their own; Latin words stay words', () => {
  expect(indexedText('我要退款 refund iPhone15')).toBe(' 我  要  退  款  refund iPhone15');
  expect(indexedText('ｒｅｆｕｎｄ')).toBe('refund'); // full-width Latin is NFKC-folded
  expect(indexedText('カタカナ한국')).toBe(' カ  タ  カ  ナ  한  국 ');
});

test('a query is at most 10 terms with something to match, lower case', () => {
  expect(queryTerms('  退款   ORDER  ')).toEqual(['退款', 'order']);
  expect(queryTerms('" * OR NEAR( ) -- ;')).toEqual(['or', 'near(']);
  expect(queryTerms('a b c d e f g h i j k l')).toHaveLength(10);
  expect(queryTerms('')).toEqual([]);
});

test('terms become quoted phrases: query syntax in the user’s text is only text', () => {
  expect(fts5Match(['退款'])).toBe('"退 款"');
  expect(fts5Match(['order', '到货'])).toBe('"order" AND "到 货"');
  expect(fts5Match(['say"hi"'])).toBe('"say""hi"""');
  expect(fts5Match(['near('])).toBe('"near("');
});

test('highlights are merged ranges of the terms, case-insensitive', () => {
  const text = 'Refund please: 我要退款，退款！';
  expect(highlightRanges(text, ['refund', '退款'])).toEqual([
    [0, 6],
    [17, 19],
    [20, 22],
  ]);
  expect(highlightRanges('aaa', ['aa', 'a'])).toEqual([[0, 3]]);
  expect(highlightRanges('nothing', ['"'])).toEqual([]);
});

test('folding drops case and accents, and leaves CJK (Hangul included) as it was', () => {
  expect(foldedText('Café CRÈME Ｒｅｆｕｎｄ')).toBe('cafe creme refund');
  expect(foldedText('退款 한국어 カタカナ')).toBe('退款 한국어 カタカナ');
});
