/**
 * Working hours of a skill group (工作时间): weekly opening ranges in the group's time zone, public
 * holidays (closed all day) and special days that override both (e.g. a make-up working day, 调休).
 * Outside working hours a new conversation is offered the leave-a-message form with the group's
 * closed message. Pure: the instant is passed in, time zones come from Intl.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Minutes since local midnight, [start, end). */
export type Range = { readonly start: number; readonly end: number };

export type WorkingHours = {
  /** IANA time zone, e.g. `Asia/Shanghai`. */
  readonly timeZone: string;
  readonly weekly: Readonly<Partial<Record<Weekday, readonly Range[]>>>;
  /** Local dates (`YYYY-MM-DD`) closed all day. */
  readonly holidays: readonly string[];
  /** Local dates with their own ranges, overriding weekly hours and holidays (empty list: closed). */
  readonly specialDays: Readonly<Record<string, readonly Range[]>>;
  /** Shown to visitors who arrive outside working hours. */
  readonly closedMessage: string;
};

/** Always open: the default for a skill group without a calendar. */
export const ALWAYS_OPEN: WorkingHours = {
  timeZone: 'UTC',
  weekly: Object.fromEntries(WEEKDAYS.map((d) => [d, [{ start: 0, end: 24 * 60 }]])),
  holidays: [],
  specialDays: {},
  closedMessage: '',
};

export type RangeParse = { readonly ok: true; readonly ranges: Range[] } | { readonly ok: false; readonly error: string };

/** Parses the admin-facing form `09:00-12:00,13:30-18:00` (`24:00` allowed as an end). */
export function parseRanges(text: string): RangeParse {
  const ranges: Range[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(part);
    if (!m) return { ok: false, error: `"${part}" is not a range like 09:00-12:00` };
    const [h1, m1, h2, m2] = m.slice(1).map(Number) as [number, number, number, number];
    const start = h1 * 60 + m1;
    const end = h2 * 60 + m2;
    if (h1 > 23 || m1 > 59 || m2 > 59 || end > 24 * 60 || (h2 === 24 && m2 !== 0)) return { ok: false, error: `"${part}" is not a valid time of day` };
    if (end <= start) return { ok: false, error: `"${part}" ends before it starts` };
    ranges.push({ start, end });
  }
  ranges.sort((a, b) => a.start - b.start);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]!.start < ranges[i - 1]!.end) return { ok: false, error: 'ranges overlap' };
  }
  return { ok: true, ranges };
}

type LocalTime = { readonly date: string; readonly weekday: Weekday; readonly minute: number };

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local date, weekday and minute of the day of an instant in a time zone. */
export function localTime(timeZone: string, instant: number): LocalTime {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(timeZone, fmt);
  }
  const parts = Object.fromEntries(fmt.formatToParts(instant).map((p) => [p.type, p.value]));
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: parts.weekday!.toLowerCase().slice(0, 3) as Weekday,
    minute: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

function rangesOn(hours: WorkingHours, local: LocalTime): readonly Range[] {
  const special = hours.specialDays[local.date];
  if (special) return special;
  if (hours.holidays.includes(local.date)) return [];
  return hours.weekly[local.weekday] ?? [];
}

export function isWithinWorkingHours(hours: WorkingHours, instant: number): boolean {
  const local = localTime(hours.timeZone, instant);
  return rangesOn(hours, local).some((r) => local.minute >= r.start && local.minute < r.end);
}

/**
 * The next instant (to the minute) at which the group opens, searching up to `horizonDays`
 * ahead; `instant` itself if open now; null if it never opens in that horizon.
 */
export function nextOpening(hours: WorkingHours, instant: number, horizonDays = 31): number | null {
  const minute = 60_000;
  let t = Math.floor(instant / minute) * minute;
  const limit = instant + horizonDays * 24 * 60 * minute;
  while (t <= limit) {
    const local = localTime(hours.timeZone, t);
    const ranges = rangesOn(hours, local);
    const open = ranges.find((r) => local.minute >= r.start && local.minute < r.end);
    if (open) {
      // A jump across a daylight-saving change can land past the range's start: step back to it.
      const start = t - (local.minute - open.start) * minute;
      if (start > instant && start < t && localTime(hours.timeZone, start).minute === open.start) return start;
      return Math.max(t, instant);
    }
    const later = ranges.find((r) => r.start > local.minute);
    // Jump to the next range start today, or to the next local midnight, then look again.
    const jump = later ? later.start - local.minute : 24 * 60 - local.minute;
    t += Math.max(1, jump) * minute;
  }
  return null;
}
