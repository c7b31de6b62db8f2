import { ALWAYS_OPEN, isWithinWorkingHours, localTime, nextOpening, parseRanges, type WorkingHours } from './working-hours.ts';

const ranges = (text: string) => {
  const parsed = parseRanges(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.ranges;
};
const weekdays = ranges('09:00-12:00,13:30-18:00');
const shanghai: WorkingHours = {
  timeZone: 'Asia/Shanghai',
  weekly: { mon: weekdays, tue: weekdays, wed: weekdays, thu: weekdays, fri: weekdays, sat: ranges('10:00-16:00') },
  holidays: ['2026-10-01'],
  specialDays: { '2026-10-11': weekdays }, // a Sunday worked to make up for the holiday (调休)
  closedMessage: '我们的工作时间是周一至周五 9:00-18:00',
};
/** An instant given as Shanghai local time (UTC+8, no daylight saving). */
const sh = (local: string): number => Date.parse(`${local}:00+08:00`);

describe('parseRanges', () => {
  test('reads the admin form, sorted', () => {
    expect(parseRanges('13:30-18:00, 09:00-12:00')).toEqual({ ok: true, ranges: [{ start: 540, end: 720 }, { start: 810, end: 1080 }] });
    expect(parseRanges('00:00-24:00')).toEqual({ ok: true, ranges: [{ start: 0, end: 1440 }] });
  });
  test.each([
    ['9-12', 'is not a range'],
    ['25:00-26:00', 'not a valid time'],
    ['12:00-09:00', 'ends before it starts'],
    ['09:00-12:00,11:00-13:00', 'overlap'],
    ['24:30-24:45', 'not a valid time'],
  ])('refuses %j (%s)', (text, error) => {
    expect(parseRanges(text)).toEqual({ ok: false, error: expect.stringContaining(error) });
  });
});

describe('isWithinWorkingHours', () => {
  test.each([
    ['Monday morning', '2026-11-16T09:00', true],
    ['Monday lunch break', '2026-11-16T12:30', false],
    ['Monday just before closing', '2026-11-16T17:59', true],
    ['Monday at closing', '2026-11-16T18:00', false],
    ['Saturday', '2026-11-21T11:00', true],
    ['Sunday', '2026-11-22T11:00', false],
    ['National Day holiday (a Thursday)', '2026-10-01T10:00', false],
    ['make-up working Sunday', '2026-10-11T10:00', true],
  ])('%s (%s) → %s', (_why, local, open) => {
    expect(isWithinWorkingHours(shanghai, sh(local))).toBe(open);
  });

  test('always open is open', () => {
    expect(isWithinWorkingHours(ALWAYS_OPEN, sh('2026-10-01T03:00'))).toBe(true);
  });
});

describe('nextOpening', () => {
  test.each([
    ['open now', '2026-11-16T10:00', '2026-11-16T10:00'],
    ['lunch break → afternoon', '2026-11-16T12:10', '2026-11-16T13:30'],
    ['Friday evening → Saturday', '2026-11-20T19:00', '2026-11-21T10:00'],
    ['Saturday evening → Monday', '2026-11-21T17:00', '2026-11-23T09:00'],
    ['eve of the holiday → the day after', '2026-09-30T19:00', '2026-10-02T09:00'],
  ])('%s', (_why, from, expected) => {
    expect(nextOpening(shanghai, sh(from))).toBe(sh(expected));
  });

  test('a daylight-saving change is handled (New York, spring forward)', () => {
    const ny: WorkingHours = { ...shanghai, timeZone: 'America/New_York', weekly: { sun: ranges('09:00-17:00') }, holidays: [], specialDays: {} };
    const saturdayEvening = Date.parse('2026-03-07T20:00:00-05:00');
    const opening = nextOpening(ny, saturdayEvening)!;
    expect(opening).toBe(Date.parse('2026-03-08T09:00:00-04:00'));
    expect(localTime('America/New_York', opening)).toEqual({ date: '2026-03-08', weekday: 'sun', minute: 540 });
  });

  test('a calendar that never opens has no next opening', () => {
    expect(nextOpening({ ...shanghai, weekly: {}, specialDays: {} }, sh('2026-11-16T10:00'), 14)).toBeNull();
  });
});
