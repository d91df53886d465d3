import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '@zonal/core';
import { loadScenario, parseScenario } from './load';
import { parseProfileCsv, readProfileCsv } from './profile-file';
import { withProfileFiles } from './profile-refs';
import { profileAtPeriods } from './time';

const fixture = (name: string) => fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));
const HOURLY = { periods: 24, dtH: 1 }, QUARTER = { periods: 96, dtH: 0.25 };
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
/** A series of `values` at a step of `stepMin` minutes from 00:00. */
const series = (values: readonly (number | string)[], stepMin: number) => `time,value\n${values.map((v, k) => `${hhmm(k * stepMin)},${v}`).join('\n')}\n`;

function errorOf(f: () => unknown): { where: string | undefined; message: string } {
  try {
    f();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { where: e.where, message: e.message.slice((e.where?.length ?? -2) + 2) };
  }
  throw new Error('expected an InputError');
}

describe('profile time series: resampling', () => {
  it('averages a finer series over each period (energy-preserving) and holds a coarser one', () => {
    const fiveMin = Array.from({ length: 288 }, (_, k) => (k % 12) / 100); // 0.00 … 0.11 within every hour
    const hourly = parseProfileCsv(series(fiveMin, 5), 'p.csv', HOURLY);
    hourly.forEach((v) => expect(v).toBeCloseTo(0.055, 12));
    const byHour = Array.from({ length: 24 }, (_, h) => h / 24);
    expect(parseProfileCsv(series(byHour, 60), 'p.csv', QUARTER)).toEqual(byHour.flatMap((v) => [v, v, v, v]));
    expect(parseProfileCsv(series(byHour, 60), 'p.csv', HOURLY)).toEqual(byHour);
  });

  it('weights a step by its overlap when the periods do not line up with the steps', () => {
    const halfHourly = Array.from({ length: 48 }, (_, k) => (k % 2 === 0 ? 0.2 : 0.8));
    const p = parseProfileCsv(series(halfHourly, 30), 'p.csv', { periods: 32, dtH: 0.75 }); // 45-minute periods
    expect(p[0]).toBeCloseTo((0.2 * 30 + 0.8 * 15) / 45, 12);
    expect(p[1]).toBeCloseTo((0.8 * 15 + 0.2 * 30) / 45, 12);
    const energy = (values: readonly number[], dtH: number) => values.reduce((a, v) => a + v * dtH, 0);
    expect(energy(p, 0.75)).toBeCloseTo(energy(halfHourly, 0.5), 12);
  });

  it('reads its fixtures: 15-minute PV, hourly load in kW over baseKw, one day of a two-day wind series', () => {
    const pv = readProfileCsv(fixture('pv-15min.csv'), HOURLY);
    const pvText = readFileSync(fixture('pv-15min.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
    expect(pv[12]).toBeCloseTo((pvText[48] + pvText[49] + pvText[50] + pvText[51]) / 4, 12);
    expect(pv.slice(0, 6)).toEqual([0, 0, 0, 0, 0, 0]);
    const load = readProfileCsv(fixture('load-hourly-kw.csv'), HOURLY, { baseKw: 3715 });
    expect(load[12]).toBe(1);
    expect(load[0]).toBeCloseTo(0.62, 12);
    const wind20 = readProfileCsv(fixture('wind-30min-2days.csv'), HOURLY, { day: Date.UTC(2026, 5, 20) / 86_400_000 });
    const wind21 = readProfileCsv(fixture('wind-30min-2days.csv'), HOURLY, { day: Date.UTC(2026, 5, 21) / 86_400_000 });
    wind20.forEach((v, t) => expect(wind21[t] - v).toBeCloseTo(0.2, 12));
  });
});

describe('profile time series: errors name the file, the line and the column', () => {
  const quarter = (values: (number | string)[]) => series(values, 15);
  const good = Array<number | string>(96).fill(0.5);
  const lines = (text: string) => text.split('\n');
  /** The good 15-minute series with line `n` (1 = header) replaced. */
  const withLine = (n: number, line: string) => { const l = lines(quarter(good)); l[n - 1] = line; return l.join('\n'); };
  const at = (f: string, text: string, options = {}) => errorOf(() => parseProfileCsv(text, f, HOURLY, options));

  it.each<[string, string, string, string]>([
    ['a value that is not a number', withLine(5, '00:45,high'), 'p.csv line 5, column value', 'must be a number, got "high"'],
    ['a factor above 1', withLine(5, '00:45,1.5'), 'p.csv line 5, column value', 'must be a factor in [0, 1], got 1.5 (a series in kW needs "baseKw" to divide it by)'],
    ['a negative factor', withLine(5, '00:45,-0.1'), 'p.csv line 5, column value', 'must be a factor in [0, 1], got -0.1 (a series in kW needs "baseKw" to divide it by)'],
    ['a time that is not one', withLine(5, 'noon,0.5'), 'p.csv line 5, column time',
      'must be a time: decimal hours (17.6), "17:36", "17:36:00" or a local date-time "2026-12-05T17:36:00", got "noon"'],
    ['a UTC time', withLine(2, '2026-06-21T00:00:00Z,0.5'), 'p.csv line 2, column time',
      '"2026-06-21T00:00:00Z" carries a UTC offset: times are the local clock of the scenario\'s day; write the local time without "Z" or "+hh:mm", as in "2026-12-05T17:36:00"'],
    ['a decimal hour of 24', withLine(97, '24,0.5'), 'p.csv line 97, column time', 'must be a time of day before 24:00, got 24'],
    ['a series that starts late', lines(quarter(good)).filter((_, k) => k !== 1).join('\n'), 'p.csv line 2, column time',
      'the series starts at 00:15: it must start at 00:00, the start of the scenario\'s day'],
    ['a gap', lines(quarter(good)).filter((_, k) => k !== 40).join('\n'), 'p.csv line 41, column time',
      '(10:00) leaves a gap after the previous row\'s 09:30: the step is 15 min (the first two rows), so 09:45 is missing'],
    ['an overlap', withLine(10, '01:50,0.5'), 'p.csv line 10, column time',
      '(01:50) is 5 min after the previous row\'s 01:45, overlapping its step of 15 min (the first two rows): rows must be evenly spaced'],
    ['a repeated time', withLine(10, '01:45,0.5'), 'p.csv line 10, column time', '(01:45) repeats the previous row\'s 01:45: one row per step'],
    ['rows out of order', withLine(10, '01:00,0.5'), 'p.csv line 10, column time', '(01:00) is before the previous row\'s 01:45: rows must be in time order'],
    ['a day not covered', lines(quarter(good)).slice(0, 90).join('\n'), 'p.csv line 90, column time',
      'the last step (22:00 + 15 min) ends at 22:15: the series must cover the day to 24:00'],
    ['a step that does not divide the day', series(Array(206).fill(0.5), 7), 'p.csv line 207, column time',
      'the last step (23:55 + 7 min) ends at 2 min past 24:00: the series must cover the day to 24:00'],
    ['another header', 'time,kw\n00:00,1\n', 'p.csv line 1', 'must be "time,value" (a profile time series), got "time,kw"'],
    ['a row of the wrong width', withLine(7, '01:15,0.5,x'), 'p.csv line 7', 'has 3 cells, the header 2'],
    ['clock times and date-times mixed', withLine(8, '2026-06-21T01:30,0.5'), 'p.csv line 8, column time', 'is a date-time but line 2 is a clock time: write every time alike'],
    ['a header alone', 'time,value\n', 'p.csv', 'holds no row after its header'],
    ['an empty file', '', 'p.csv', 'is empty: expected the header "time,value", then one row per step of the day'],
  ])('%s', (_, text, where, message) => {
    expect(at('p.csv', text)).toEqual({ where, message });
  });

  it('says how a kW value fails against baseKw, and which dates a series of date-times holds', () => {
    expect(at('p.csv', withLine(5, '00:45,5000'), { baseKw: 4000 })).toEqual({ where: 'p.csv line 5, column value', message: '5000 kW / baseKw 4000 = 1.25 must be a factor in [0, 1]' });
    const wind = fixture('wind-30min-2days.csv');
    expect(errorOf(() => readProfileCsv(wind, HOURLY))).toEqual({ where: wind, message: 'holds 2 dates (2026-06-20, 2026-06-21): give "date" to choose the day' });
    expect(errorOf(() => readProfileCsv(wind, HOURLY, { day: Date.UTC(2026, 5, 22) / 86_400_000 }))).toEqual({ where: wind, message: 'has no row on 2026-06-22: its rows run from 2026-06-20 to 2026-06-21' });
    expect(errorOf(() => readProfileCsv(fixture('pv-15min.csv'), HOURLY, { day: 0 }))).toMatchObject({ message: '"date" is 1970-01-01 but the times carry no date: give clock times without "date", or date-times' });
  });
});

describe('profile files in scenario and DSO files', () => {
  it('reads them relative to the file that names them, after extends, into one factor per period', () => {
    const s = loadScenario(fixture('profiles-scenario.json'));
    expect(s.name).toBe('profiles-from-files');
    expect(s.profiles.load).toEqual(readProfileCsv(fixture('load-hourly-kw.csv'), HOURLY, { baseKw: 3715 }));
    expect(s.profiles.pv).toEqual(readProfileCsv(fixture('pv-15min.csv'), HOURLY));
    expect(s.profiles.wind).toHaveLength(24);
    // The child sets 96 periods: its parent's files are resampled to them, and its own wind file (beside it) replaces the parent's whole.
    const q = loadScenario(fixture('nested/quarter-hourly.json'));
    expect(q.profiles.pv).toEqual(readProfileCsv(fixture('pv-15min.csv'), QUARTER));
    expect(q.profiles.load).toHaveLength(96);
    expect(q.profiles.wind).toEqual(Array(96).fill(0.25));
    expect(profileAtPeriods(q.profiles.pv, QUARTER)).toEqual(Float64Array.from(q.profiles.pv));
  });

  it('refuses bad file fields by path, and a profile of neither 24 values nor one per period', () => {
    const raw = { ...JSON.parse(readFileSync(fixture('profiles-scenario.json'), 'utf8')), time: HOURLY };
    const dso = (profiles: object) => errorOf(() => withProfileFiles({ ...raw, profiles }, fixture('dso.json')));
    expect(dso({ load: { file: 'load-hourly-kw.csv', baseKw: 0 } })).toEqual({ where: fixture('dso.json'), message: 'profiles.load.baseKw: must be a power > 0 kW, got 0' });
    expect(dso({ pv: { file: 'pv-15min.csv', scale: 2 } })).toEqual({ where: fixture('dso.json'), message: 'profiles.pv.scale: is not a profile file field; they are file, baseKw, date' });
    expect(dso({ wind: { file: 'wind-30min-2days.csv', date: '21/06/2026' } })).toEqual({ where: fixture('dso.json'), message: 'profiles.wind.date: must be a date "YYYY-MM-DD", got "21/06/2026"' });
    expect(dso({ pv: 'missing.csv' })).toMatchObject({ where: fixture('missing.csv'), message: expect.stringMatching(/^cannot be read: ENOENT/) });
    const read = withProfileFiles({ ...raw, profiles: { load: Array(24).fill(0.5), pv: 'pv-15min.csv' } }, fixture('dso.json')) as { profiles: { pv: number[] } };
    expect(read.profiles.pv).toEqual(readProfileCsv(fixture('pv-15min.csv'), HOURLY));
    const base = loadScenario('default');
    expect(() => parseScenario({ ...base, profiles: { ...base.profiles, pv: Array(48).fill(0.5) } }, 'x.json'))
      .toThrow('x.json: profiles.pv: has 48 values: give 24 hourly factors or one per period (time.periods = 24)');
    expect(() => parseScenario({ ...base, profiles: { ...base.profiles, pv: 'pv.csv' } }, 'x.json'))
      .toThrow('x.json: profiles.pv: must be 24 hourly factors or one factor per period (a CSV time series file is read when a scenario or DSO file is loaded from disk)');
  });
});
