/**
 * Times as Zonal's input files write them (session CSV/JSON, profile time series): decimal hours
 * (17.6), "17:36", "17:36:00", or a local date-time "2026-12-05T17:36:00" (or with a space for the T,
 * seconds optional). Every time is the **local clock** of the scenario's day (period t covers
 * [t*dt, (t+1)*dt) from local 00:00, SPEC §2). A date-time with "Z" or a UTC offset ("+08:00") is
 * refused, not converted: the file does not say which local clock the scenario keeps, so converting
 * would be a guess; the message says to write the local time instead.
 */
export interface ClockText {
  /** Hours since the day's 00:00 (a decimal may be 24 or more: a next-day hour). */
  h: number;
  /** For a date-time, its date as days since 1970-01-01; null for a clock time. */
  day: number | null;
  /** The text as written, trimmed, for messages. */
  text: string;
}

export const CLOCK_FORMS = 'decimal hours (17.6), "17:36", "17:36:00" or a local date-time "2026-12-05T17:36:00"';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const HH_MM_SS = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$/i;

/** Reads a time; `fail` is called with the reason when `v` is not one. */
export function parseClockText(v: unknown, fail: (message: string) => never): ClockText {
  const text = typeof v === 'string' ? v.trim() : String(v);
  if (typeof v === 'number' || (typeof v === 'string' && DECIMAL.test(text))) {
    const h = Number(v);
    if (!(Number.isFinite(h) && h >= 0)) fail(`must be a time: ${CLOCK_FORMS}, got ${shown(v)}`);
    return { h, day: null, text };
  }
  const clock = typeof v === 'string' ? HH_MM_SS.exec(text) : null;
  if (clock) return { h: hoursOfDay(clock[1], clock[2], clock[3], fail), day: null, text };
  if (typeof v === 'string' && ISO_WITH_OFFSET.test(text)) {
    fail(`"${text}" carries a UTC offset: times are the local clock of the scenario's day; write the local time without "Z" or "+hh:mm", as in "2026-12-05T17:36:00"`);
  }
  const iso = typeof v === 'string' ? ISO_LOCAL.exec(text) : null;
  if (!iso) return fail(`must be a time: ${CLOCK_FORMS}, got ${shown(v)}`);
  const [, year, month, date] = iso.map(Number);
  const utc = new Date(Date.UTC(year, month - 1, date));
  if (utc.getUTCFullYear() !== year || utc.getUTCMonth() !== month - 1 || utc.getUTCDate() !== date) fail(`"${text}" has no such date`);
  return { h: hoursOfDay(iso[4], iso[5], iso[6], fail), day: utc.getTime() / 86_400_000, text };
}

/** "2026-12-05" of a day number (days since 1970-01-01). */
export function dateOfDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** The day number of "2026-12-05", or undefined when it is no such date. */
export function dayOfDate(date: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  const [, year, month, d] = m.map(Number);
  const utc = new Date(Date.UTC(year, month - 1, d));
  return utc.getUTCFullYear() === year && utc.getUTCMonth() === month - 1 && utc.getUTCDate() === d ? utc.getTime() / 86_400_000 : undefined;
}

/** One division, so that "17:36" is exactly the double 17.6. */
function hoursOfDay(hh: string, mm: string, ss: string | undefined, fail: (message: string) => never): number {
  const h = Number(hh), m = Number(mm), s = Number(ss ?? 0);
  if (h > 23 || m > 59 || s > 59) fail(`${hh}:${mm}${ss === undefined ? '' : `:${ss}`} is not a time of day`);
  return (h * 3600 + m * 60 + s) / 3600;
}

function shown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : String(v);
}
