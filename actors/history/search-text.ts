/**
 * How message text is made searchable and how a user's query is read — pure, one place for both
 * search backends' rules about text:
 *
 * - CJK text has no spaces between words, and word segmentation needs a dictionary. Kefu indexes
 *   each Han, kana and Hangul character as a token of its own and searches a run of them as a
 *   phrase (adjacent tokens): `退款` finds `申请退款`, never `退了…款`. Latin text is split into
 *   words; case and diacritics do not matter (`cafe` finds `Café`). Limits: no stemming
 *   (`refunds` does not find `refund`), no synonyms, a one-character CJK query matches widely.
 * - A query is at most 10 terms (split on whitespace); each term is a phrase; all terms must match.
 *   The user's text never reaches a query language: terms are tokens, quoted by us.
 */

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;
const MAX_TERMS = 10;
const MAX_TERM_LENGTH = 64;

/**
 * The text with case and accents folded away (NFKC, then combining marks removed, lower case) —
 * what the Elasticsearch index analyses; its standard tokenizer already makes every CJK character a
 * token of its own. (SQLite FTS5 folds accents itself: `remove_diacritics`.)
 */
export function foldedText(text: string): string {
  return text.normalize('NFKC').normalize('NFD').replace(/\p{Mn}/gu, '').normalize('NFC').toLowerCase();
}

/** The text as the FTS5 index stores it: every CJK character a token of its own. */
export function indexedText(text: string): string {
  return text.normalize('NFKC').replace(CJK, (c) => ` ${c} `);
}

/** The terms of a query: whitespace-separated, NFKC, lower case, each with something to match (a letter or digit). */
export function queryTerms(query: string): string[] {
  return query
    .normalize('NFKC')
    .toLowerCase()
    .split(/\s+/u)
    .filter((t) => /[\p{L}\p{N}]/u.test(t))
    .slice(0, MAX_TERMS)
    .map((t) => t.slice(0, MAX_TERM_LENGTH));
}

/** The terms as an SQLite FTS5 MATCH expression: each a quoted phrase of its tokens (a `"` inside is doubled). */
export function fts5Match(terms: readonly string[]): string {
  return terms.map((t) => `"${indexedText(t).trim().replace(/\s+/gu, ' ').replace(/"/g, '""')}"`).join(' AND ');
}

/** Where the terms occur in the text (case-insensitive), as sorted, merged [start, end) ranges for the caller to mark. */
export function highlightRanges(text: string, terms: readonly string[]): [number, number][] {
  const lower = text.toLowerCase();
  const ranges: [number, number][] = [];
  for (const term of terms) {
    // Only the term's letters and digits count (FTS drops punctuation the same way).
    const needle = term.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    if (needle.length === 0) continue;
    for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + needle.length)) ranges.push([at, at + needle.length]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}
