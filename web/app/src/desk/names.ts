/** How the desk names people and durations: the visitor, a message's author, a wait. */
import type { Colleagues } from '../api.ts';
import type { Translate } from '../i18n.tsx';
import type { Sender } from './state.ts';

/** Who the visitor is, as far as naming them goes (the desk's and History's shapes both have it). */
type NamedVisitor = { readonly id: string; readonly name: string | null };

/** The visitor's name, or "Visitor" and the end of their id (so two anonymous visitors differ). */
export const visitorName = (visitor: NamedVisitor, t: Translate): string => visitor.name?.trim() || t('desk.anonymous', { id: visitor.id.slice(-4).toUpperCase() });

/** Before the colleague directory has come: nobody is known by name yet. */
export const NO_COLLEAGUES: Colleagues = { agents: [], skillGroups: [], channels: [] };

export const agentName = (agentId: string, colleagues: Colleagues, t: Translate): string => colleagues.agents.find((a) => a.id === agentId)?.displayName ?? t('desk.colleague');

export const skillGroupName = (id: string | null, colleagues: Colleagues): string => (id === null ? '' : colleagues.skillGroups.find((g) => g.id === id)?.name ?? id);

/** A channel's name, or its id while the colleague directory has not named it. */
export const channelName = (id: string, colleagues: Colleagues): string => colleagues.channels.find((c) => c.id === id)?.name ?? id;

export function senderName(from: Sender, visitor: NamedVisitor, me: string, colleagues: Colleagues, t: Translate): string {
  switch (from.kind) {
    case 'visitor':
      return visitorName(visitor, t);
    case 'agent':
      return from.agentId === me ? t('desk.you') : agentName(from.agentId, colleagues, t);
    case 'supervisor':
      return from.supervisorId === me ? t('desk.you') : (colleagues.agents.find((a) => a.id === from.supervisorId)?.displayName ?? t('desk.supervisor'));
    case 'bot':
      return t('desk.bot');
    case 'system':
      return '';
  }
}

/** "45 s", "3 min", "2 h 5 min": how long someone has waited. */
export function duration(ms: number, t: Translate): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return t('desk.seconds', { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('desk.minutes', { n: m });
  return t('desk.hours', { h: Math.floor(m / 60), m: m % 60 });
}

/** The time of day of a message; with the date when it is not today. */
export function clock(at: number, locale: string): string {
  const d = new Date(at);
  const today = new Date().toDateString() === d.toDateString();
  return d.toLocaleString(locale, today ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/**
 * Where a visitor roughly is, from their browser's time zone: the zone's place, their local time
 * now and its offset from UTC (`Shanghai · 16:00 (UTC+8)`); null for a zone this browser does not know.
 */
export function localTime(timeZone: string, locale: string, now: number): string | null {
  try {
    const time = new Intl.DateTimeFormat(locale, { timeZone, hour: '2-digit', minute: '2-digit' }).format(now);
    // The offset from the wall clock there (the same on every browser, unlike the zone's short names).
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' }).formatToParts(now);
    const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)!.value);
    const minutes = Math.round((Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute')) - Math.floor(now / 60_000) * 60_000) / 60_000);
    const abs = Math.abs(minutes);
    const offset = minutes === 0 ? 'UTC' : `UTC${minutes < 0 ? '−' : '+'}${Math.floor(abs / 60)}${abs % 60 ? `:${String(abs % 60).padStart(2, '0')}` : ''}`;
    return `${timeZone.split('/').at(-1)!.replace(/_/g, ' ')} · ${time} (${offset})`;
  } catch {
    return null;
  }
}
