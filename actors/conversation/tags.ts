/**
 * Conversation tags (标签): words agents put on a conversation to say what it was about (`refund`,
 * `投诉`), for history filters and reports. Pure.
 *
 * A tag is 1–32 letters, digits, spaces or `-` (any script), starting with a letter or digit;
 * nothing else, so a tag is always safe to match inside the stored JSON list (no quotes, no LIKE
 * wildcards). A conversation has at most MAX_TAGS; tags differing only in case are one tag.
 */

export const MAX_TAGS = 10;
export const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} -]{0,31}$/u;

/** The tags as stored: trimmed, inner spaces collapsed, duplicates (ignoring case) dropped, in the order given; or why they cannot be. */
export function normalTags(tags: readonly string[]): { readonly ok: true; readonly tags: readonly string[] } | { readonly ok: false; readonly problem: string } {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of tags) {
    const tag = raw.trim().replace(/\s+/gu, ' ');
    if (!TAG_PATTERN.test(tag)) return { ok: false, problem: `“${raw.slice(0, 40)}” is not a tag: 1–32 letters, digits, spaces or -, starting with a letter or digit` };
    const key = tag.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(tag);
  }
  if (out.length > MAX_TAGS) return { ok: false, problem: `a conversation has at most ${MAX_TAGS} tags` };
  return { ok: true, tags: out };
}
