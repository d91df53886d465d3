/**
 * Instants as charge-point back ends write them, and the wall clock of an IANA time zone at an
 * instant, through the platform's Intl (its tz database; no dependency). Used by the ACN-Data reader.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const RFC_1123 = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

/** Milliseconds since the epoch of an RFC 1123 HTTP date ("Wed, 25 Apr 2018 11:08:04 GMT"); undefined if it is not one. */
export function parseHttpDate(text: string): number | undefined {
  const m = RFC_1123.exec(text.trim());
  if (!m) return undefined;
  const [day, year, h, min, s] = [m[1], m[3], m[4], m[5], m[6]].map(Number);
  const month = MONTHS.indexOf(m[2]);
  if (h > 23 || min > 59 || s > 59) return undefined;
  const ms = Date.UTC(year, month, day, h, min, s);
  const d = new Date(ms);
  return d.getUTCMonth() === month && d.getUTCDate() === day ? ms : undefined;
}

/** A wall-clock reading: the local date as days since 1970-01-01, and hours since its local 00:00. */
export interface WallClock {
  day: number;
  h: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** Whether Intl knows the IANA time zone (e.g. "America/Los_Angeles"). */
export function isTimeZone(zone: string): boolean {
  try {
    formatIn(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of `zone` at the instant `ms` (to the second). */
export function wallClock(ms: number, zone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatIn(zone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    day: Date.UTC(parts.year, parts.month - 1, parts.day) / 86_400_000,
    h: (parts.hour * 3600 + parts.minute * 60 + parts.second) / 3600,
  };
}

function formatIn(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formats.set(zone, f);
  }
  return f;
}
