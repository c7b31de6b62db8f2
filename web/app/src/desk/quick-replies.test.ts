/** The composer's `/` shortcut: when it opens, what it offers first, and what inserting leaves. */
import { expect, test } from '@jest/globals';
import type { QuickReply } from '../api.ts';
import { insertReply, matchReplies, PICKER_SIZE, slashAt } from './quick-replies.ts';

const reply = (shortcut: string, content: string, departmentName: string | null = null): QuickReply => ({
  id: `${departmentName ?? 'mine'}-${shortcut}`,
  shortcut,
  content,
  departmentId: departmentName ? `d-${departmentName}` : null,
  departmentName,
  updatedAt: '2026-12-03T00:00:00.000Z',
});

test('a / opens the picker at the start of the text or after a space, not inside a word, a URL or a date', () => {
  expect(slashAt('/', 1)).toEqual({ start: 0, query: '' });
  expect(slashAt('/Ref', 4)).toEqual({ start: 0, query: 'ref' });
  expect(slashAt('您好 /退款', 6)).toEqual({ start: 3, query: '退款' });
  expect(slashAt('line one\n/hi', 12)).toEqual({ start: 9, query: 'hi' });
  expect(slashAt('see https://shop.example.com/help', 33)).toBeNull();
  expect(slashAt('due 12/03', 9)).toBeNull();
  expect(slashAt('/hi there', 9)).toBeNull(); // the word ended: the picker is gone
  // Only the text before the cursor counts.
  expect(slashAt('/hi there', 3)).toEqual({ start: 0, query: 'hi' });
});

test('replies whose shortcut starts with the query come first, then those containing it, then by their text; one’s own before shared ones', () => {
  const replies = [reply('thanks', 'Thank you for waiting.'), reply('refund', '退款 3 个工作日到账'), reply('hours', 'We answer 9:00–18:00', 'Support'), reply('fund-info', 'Fund details', 'Support'), reply('refund', 'Shared refund text', 'Support')];
  expect(matchReplies(replies, 'ref').map((r) => r.id)).toEqual(['mine-refund', 'Support-refund']);
  expect(matchReplies(replies, 'fund').map((r) => r.id)).toEqual(['Support-fund-info', 'mine-refund', 'Support-refund']);
  expect(matchReplies(replies, 'waiting').map((r) => r.id)).toEqual(['mine-thanks']);
  expect(matchReplies(replies, '退款').map((r) => r.id)).toEqual(['mine-refund']);
  expect(matchReplies(replies, 'nothing-like-it')).toEqual([]);
  expect(matchReplies(replies, '')).toEqual(replies);
  const many = Array.from({ length: 20 }, (_, i) => reply(`r${i}`, `reply ${i}`));
  expect(matchReplies(many, 'r')).toHaveLength(PICKER_SIZE);
});

test('inserting replaces the /query before the cursor and keeps the text around it', () => {
  const text = '您好 /ref 谢谢';
  const slash = slashAt(text, 7)!;
  expect(insertReply(text, slash, 7, '退款 3 个工作日到账')).toEqual({ text: '您好 退款 3 个工作日到账 谢谢', cursor: 14 });
  expect(insertReply('/', { start: 0, query: '' }, 1, 'Hi!')).toEqual({ text: 'Hi!', cursor: 3 });
});
