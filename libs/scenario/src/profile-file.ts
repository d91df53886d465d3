import { readFileSync } from 'node:fs';
import { csvRecords, dateOfDay, InputError, parseClockText, type ClockText } from '@zonal/core';
import type { TimeGrid } from './time';

/**
 * A load, PV or wind profile as a CSV time series, resampled to the scenario's periods.
 *
 * File: a header `time,value` (either order, nothing else), then one row per step of one day.
 *  - `time`: the start of the step on the scenario's local clock (SPEC §2): "00:15", "00:15:00",
 *    decimal hours (0.25) or a local date-time "2026-06-21T00:15:00"; "Z" and UTC offsets are refused.
 *    Date-times must all be of one date, or `date` chooses one day of a longer series.
 *  - `value`: the profile factor, as in the scenario's 24-value arrays — load as a multiple of the case
 *    file's bus loads (× network.loadScale), PV and wind as a fraction of each unit's pMaxKw — in [0, 1].
 *    With `baseKw`, values are kW and each is divided by baseKw (the unit's rating, or the load's peak).
 *  - Any resolution (1 min, 5 min, 15 min, hourly, …), evenly spaced: the step is the gap between the
 *    first two rows; rows start at 00:00 and the last step ends at 24:00. A row out of order, a repeated
 *    time, a gap (a step longer than the first), an overlap (shorter) or a day not covered is refused
 *    by file, line and column.
 *
 * Rule: the series is step-wise, each value holding from its time until the next row's (left-constant);
 * each period's factor is the series' mean over the period [t*dt, (t+1)*dt), i.e. energy-preserving: a
 * 5-minute series averages into 15-minute or hourly periods, and an hourly series is held constant over
 * 15-minute periods (as the 24-value arrays are).
 */
export interface ProfileFileOptions {
  /** Values are kW, divided by this to give factors; absent: values are factors already. */
  baseKw?: number;
  /** The day ("2026-06-21", as days since 1970-01-01) to take from a series of date-times. */
  day?: number;
}

/** One factor per period of `grid`, from a CSV text; `source` names the file in errors. */
export function parseProfileCsv(text: string, source: string, grid: TimeGrid, options: ProfileFileOptions = {}): number[] {
  const records = csvRecords(text, source);
  if (records.length === 0) throw new InputError('is empty: expected the header "time,value", then one row per step of the day', source);
  const [header, ...body] = records;
  const names = header.cells.map((c) => c.trim());
  const sorted = [...names].sort().join(',');
  if (sorted !== 'time,value') throw new InputError(`must be "time,value" (a profile time series), got "${names.join(',')}"`, `${source} line ${header.line}`);
  const timeAt = names.indexOf('time'), valueAt = names.indexOf('value');

  const rows = body.map(({ line, cells }) => {
    const where = (column: string) => `${source} line ${line}, column ${column}`;
    if (cells.length !== 2) throw new InputError(`has ${cells.length} cells, the header 2`, `${source} line ${line}`);
    const fail = (column: string) => (message: string): never => { throw new InputError(message, where(column)); };
    const time = parseClockText(cells[timeAt].trim(), fail('time'));
    if (!(time.h < 24)) fail('time')(`must be a time of day before 24:00, got ${time.text}`);
    const raw = cells[valueAt].trim();
    const value = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isFinite(value)) fail('value')(`must be a number, got ${JSON.stringify(raw)}`);
    const factor = value / (options.baseKw ?? 1);
    if (!(factor >= 0 && factor <= 1)) {
      fail('value')(options.baseKw === undefined
        ? `must be a factor in [0, 1], got ${value} (a series in kW needs "baseKw" to divide it by)`
        : `${value} kW / baseKw ${options.baseKw} = ${factor} must be a factor in [0, 1]`);
    }
    return { line, time, factor, where };
  });
  const day = dayOf(rows, options.day, source) ?? null;
  const ofDay = rows.filter((r) => r.time.day === day);
  if (ofDay.length === 0) throw new InputError('holds no row after its header', source);
  return resample(ofDay, grid);
}

/** A CSV profile file; `where` in errors starts with `path` as given. */
export function readProfileCsv(path: string, grid: TimeGrid, options: ProfileFileOptions = {}): number[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot be read: ${(e as Error).message}`, path);
  }
  return parseProfileCsv(text, path, grid, options);
}

interface Row {
  line: number;
  time: ClockText;
  factor: number;
  where(column: string): string;
}

/** The date of the day's rows: undefined for clock times; the option's, else the only one, for date-times. */
function dayOf(rows: readonly Row[], day: number | undefined, source: string): number | undefined {
  if (rows.length === 0) return undefined;
  const dated = rows[0].time.day !== null;
  const other = rows.find((r) => (r.time.day !== null) !== dated);
  if (other) throw new InputError(`is ${dated ? 'a clock time' : 'a date-time'} but line ${rows[0].line} is ${dated ? 'a date-time' : 'a clock time'}: write every time alike`, other.where('time'));
  if (!dated) {
    if (day !== undefined) throw new InputError(`"date" is ${dateOfDay(day)} but the times carry no date: give clock times without "date", or date-times`, source);
    return undefined;
  }
  const days = [...new Set(rows.map((r) => r.time.day as number))].sort((a, b) => a - b);
  if (day !== undefined) {
    if (!days.includes(day)) throw new InputError(`has no row on ${dateOfDay(day)}: its rows run from ${dateOfDay(days[0])} to ${dateOfDay(days[days.length - 1])}`, source);
    return day;
  }
  if (days.length > 1) {
    throw new InputError(`holds ${days.length} dates (${days.slice(0, 3).map(dateOfDay).join(', ')}${days.length > 3 ? ', …' : ''}): give "date" to choose the day`, source);
  }
  return days[0];
}

const DAY_S = 86_400;

/** Checks that the rows tile the day evenly, then averages the step-wise series over each period. */
function resample(rows: readonly Row[], grid: TimeGrid): number[] {
  const s = rows.map((r) => Math.round(r.time.h * 3600));
  if (s[0] !== 0) throw new InputError(`the series starts at ${hhmm(s[0])}: it must start at 00:00, the start of the scenario's day`, rows[0].where('time'));
  const step = rows.length > 1 ? s[1] - s[0] : DAY_S;
  for (let k = 1; k < rows.length; k++) {
    const d = s[k] - s[k - 1], at = rows[k].where('time'), previous = `the previous row's ${hhmm(s[k - 1])}`;
    if (d < 0) throw new InputError(`(${hhmm(s[k])}) is before ${previous}: rows must be in time order`, at);
    if (d === 0) throw new InputError(`(${hhmm(s[k])}) repeats ${previous}: one row per step`, at);
    if (d > step) throw new InputError(`(${hhmm(s[k])}) leaves a gap after ${previous}: the step is ${minutes(step)} (the first two rows), so ${hhmm(s[k - 1] + step)} is missing`, at);
    if (d < step) throw new InputError(`(${hhmm(s[k])}) is ${minutes(d)} after ${previous}, overlapping its step of ${minutes(step)} (the first two rows): rows must be evenly spaced`, at);
  }
  const end = s[s.length - 1] + step;
  if (end !== DAY_S) {
    throw new InputError(`the last step (${hhmm(s[s.length - 1])} + ${minutes(step)}) ends at ${end < DAY_S ? hhmm(end) : `${minutes(end - DAY_S)} past 24:00`}: the series must cover the day to 24:00`,
      rows[rows.length - 1].where('time'));
  }
  const stepH = step / 3600;
  return Array.from({ length: grid.periods }, (_, t) => {
    const from = t * grid.dtH, to = (t + 1) * grid.dtH;
    const first = Math.floor(from / stepH + 1e-9), last = Math.min(rows.length - 1, Math.ceil(to / stepH - 1e-9) - 1);
    if (first >= last) return rows[Math.min(first, rows.length - 1)].factor; // the period lies in one step: its value, exactly
    let sum = 0;
    for (let k = first; k <= last; k++) sum += rows[k].factor * (Math.min(to, (k + 1) * stepH) - Math.max(from, k * stepH));
    return sum / (to - from);
  });
}

/** "HH:MM", or "HH:MM:SS" when the seconds are not 0. */
function hhmm(seconds: number): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const text = `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}`;
  return seconds % 60 === 0 ? text : `${text}:${two(seconds % 60)}`;
}

function minutes(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}
