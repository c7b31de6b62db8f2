/**
 * The composer's `/` shortcut for quick replies, as pure functions: which `/word` is being typed at
 * the cursor, which replies match it (best first), and the text once the chosen one replaces it.
 */
import type { QuickReply } from '../api.ts';

/** A `/query` being typed: where its `/` is and what follows it (lowercase). */
export type Slash = { readonly start: number; readonly query: string };

/** The picker shows at most this many replies. */
export const PICKER_SIZE = 8;

/** The `/word` ending at the cursor, when the `/` starts the text or follows a space (so URLs and dates do not open the picker). */
export function slashAt(text: string, cursor: number): Slash | null {
  const m = /(?:^|\s)\/([^\s/]*)$/u.exec(text.slice(0, cursor));
  return m ? { start: cursor - m[1]!.length - 1, query: m[1]!.toLowerCase() } : null;
}

/**
 * The replies for `query`: shortcuts starting with it, then shortcuts containing it, then replies
 * whose text contains it — each group in the order given (one's own before the shared ones).
 */
export function matchReplies(replies: readonly QuickReply[], query: string): QuickReply[] {
  const rank = (r: QuickReply): number => {
    if (r.shortcut.startsWith(query)) return 0;
    if (r.shortcut.includes(query)) return 1;
    return r.content.toLowerCase().includes(query) ? 2 : 3;
  };
  return replies
    .map((reply, i) => ({ reply, rank: rank(reply), i }))
    .filter((m) => m.rank < 3)
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .slice(0, PICKER_SIZE)
    .map((m) => m.reply);
}

/** The text with the `/query` before `cursor` replaced by the reply, and where the cursor goes. */
export function insertReply(text: string, slash: Slash, cursor: number, content: string): { text: string; cursor: number } {
  return { text: text.slice(0, slash.start) + content + text.slice(cursor), cursor: slash.start + content.length };
}
