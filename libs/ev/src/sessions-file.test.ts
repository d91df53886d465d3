import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng, InputError } from '@zonal/core';
import { Fleet } from './fleet';
import { sampleDefaultFleet } from './sampling';
import { parseSessionsCsv, parseSessionsJson, readSessionsFile, writeSessionsCsv, type SessionDefaults } from './sessions-file';
import { DEFAULT_FLEET_PARAMS, IEEE33_LOADS_KW } from './testing/fixtures';
import type { EvSpec } from './types';

type Cells = Record<string, string>;

/** A 60 kWh, 7 kW charge-only session 17:36 -> 07:15 from 18 kWh to a 54 kWh target. */
const BASE: Cells = {
  id: 'a', bus: '7', arrival: '17:36', departure: '07:15', arrivalKwh: '18', targetKwh: '54', capacityKwh: '60',
  chargeKw: '7', dischargeKw: '0', eta: '0.95', v2g: 'false', minKwh: '12', maxKwh: '60',
};
const BASE_SPEC: EvSpec = {
  id: 'a', bus: 7, arrivalH: 17.6, departureH: 31.25, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 0, eta: 0.95,
  socMin: 0.2, socMax: 1, socArrival: 0.3, socTarget: 0.9, v2g: false,
};

const row = (overrides: Cells = {}): Cells => ({ ...BASE, ...overrides });

/** Header (line 1, the columns of every row) and one line per row; a cell absent from a row is left empty. */
function csvOf(rows: Cells[], columns = [...new Set(rows.length ? rows.flatMap(Object.keys) : Object.keys(BASE))]): string {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => r[c] ?? '').join(','))].join('\n') + '\n';
}

function errorOf(f: () => unknown): { where: string | undefined; message: string } {
  try {
    f();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { where: e.where, message: e.message.slice((e.where?.length ?? -2) + 2) };
  }
  throw new Error('expected an InputError');
}

const csvError = (text: string, defaults?: SessionDefaults) => errorOf(() => parseSessionsCsv(text, 'sessions.csv', defaults));
/** The error of a file whose line 2 is good and line 3 is the base row with `overrides`. */
const line3Error = (overrides: Cells) => csvError(csvOf([row(), row({ id: 'b', ...overrides })]));

describe('session files: reading', () => {
  it('reads the example of its own header comment', () => {
    const source = readFileSync(new URL('./sessions-file.ts', import.meta.url), 'utf8');
    const example = source.split('\n').filter((l) => l.startsWith(' *   ')).map((l) => l.slice(5)).join('\n');
    const specs = parseSessionsCsv(example, 'example.csv');
    expect(specs.map((s) => s.id)).toEqual(['ev-1', 'ev-2', 'garage, 3']);
    expect(specs[0]).toEqual({ ...BASE_SPEC, id: 'ev-1' });
    expect(specs[1]).toMatchObject({ arrivalH: 8 + 50 / 60, departureH: 17.5, v2g: true, pDischargeMaxKw: 7, socArrival: 0.5 });
    expect(specs[2]).toMatchObject({ arrivalH: 21.5, departureH: 30.25, socMin: 0, socMax: 1, v2g: false, socDependent: { breakpointKwh: 62, pAboveKw: 5.5 } });
  });

  it('gives identical specs from a CSV and the equivalent JSON (an array or { sessions })', () => {
    const csv = csvOf([row(), row({ id: 'b, "the van"', v2g: 'yes', dischargeKw: '7', arrival: '8.5', departure: '17.25' })]).replace('b, "the van"', '"b, ""the van"""');
    const json = [
      { id: 'a', bus: 7, arrival: '17:36', departure: '07:15', arrivalKwh: 18, targetKwh: 54, capacityKwh: 60, chargeKw: 7, dischargeKw: 0, eta: 0.95, v2g: false, minKwh: 12, maxKwh: 60 },
      { id: 'b, "the van"', bus: 7, arrival: 8.5, departure: 17.25, arrivalKwh: 18, targetKwh: 54, capacityKwh: 60, chargeKw: 7, dischargeKw: 7, eta: 0.95, v2g: true, minKwh: 12, maxKwh: 60 },
    ];
    const fromCsv = parseSessionsCsv(csv, 'sessions.csv');
    expect(fromCsv).toEqual([BASE_SPEC, { ...BASE_SPEC, id: 'b, "the van"', arrivalH: 8.5, departureH: 17.25, v2g: true, pDischargeMaxKw: 7 }]);
    expect(parseSessionsJson(json, 'sessions.json')).toEqual(fromCsv);
    expect(parseSessionsJson({ sessions: json }, 'sessions.json')).toEqual(fromCsv);
  });

  it('accepts a BOM, CRLF line endings, blank lines, any column order and a quoted line break', () => {
    const columns = Object.keys(BASE).reverse();
    const text = '\uFEFF' + csvOf([row(), row({ id: 'b' })], columns).replaceAll('\n', '\r\n') + '\r\n';
    expect(parseSessionsCsv(text, 'sessions.csv')).toEqual([BASE_SPEC, { ...BASE_SPEC, id: 'b' }]);
    const broken = csvOf([row({ id: '"two\nlines"' }), row({ id: 'b', arrivalKwh: 'x' })]);
    expect(csvError(broken)).toEqual({ where: 'sessions.csv line 4, column arrivalKwh', message: 'must be a number in kWh, got "x"' });
    expect(parseSessionsCsv(csvOf([row({ id: '"two\nlines"' })]), 'sessions.csv')[0].id).toBe('two\nlines');
    expect(parseSessionsCsv(csvOf([]), 'sessions.csv')).toEqual([]);
  });

  it('reads times as HH:MM, HH:MM:SS, decimal hours and ISO date-times, with next-day departures', () => {
    const stay = (arrival: string, departure: string) => {
      const [s] = parseSessionsCsv(csvOf([row({ arrival, departure, arrivalKwh: '54' })]), 'sessions.csv');
      return [s.arrivalH, s.departureH];
    };
    expect(stay('17:36', '23:00')).toEqual([17.6, 23]);
    expect(stay('17:36:00', '07:15:36')).toEqual([17.6, (7 * 3600 + 15 * 60 + 36) / 3600 + 24]);
    expect(stay('17.6', '7.25')).toEqual([17.6, 31.25]);
    expect(stay('17.6', '31.25')).toEqual([17.6, 31.25]);
    expect(stay('0:00', '23:59')).toEqual([0, 23 + 59 / 60]);
    expect(stay('2026-12-05T17:36:00', '2026-12-06T07:15:00')).toEqual([17.6, 31.25]);
    expect(stay('2026-12-31 22:00', '2027-01-01 06:00')).toEqual([22, 30]);
    expect(stay('2026-12-05T08:00:00', '2026-12-05T17:30:00')).toEqual([8, 17.5]);
  });

  it('applies the defaults, then the built-in fallbacks, for absent or empty cells', () => {
    const { eta: _e, minKwh: _n, maxKwh: _x, dischargeKw: _d, v2g: _v, ...rest } = BASE;
    const defaults: SessionDefaults = { eta: 0.9, minSoc: 0.1, maxSoc: 0.95, dischargeKw: 5, v2g: true };
    expect(parseSessionsCsv(csvOf([rest]), 'sessions.csv', defaults)).toEqual([
      { ...BASE_SPEC, eta: 0.9, socMin: 0.1, socMax: 0.95, pDischargeMaxKw: 5, v2g: true },
    ]);
    expect(parseSessionsCsv(csvOf([row({ minKwh: '', maxKwh: '', dischargeKw: '', v2g: '' })]), 'sessions.csv')).toEqual([
      { ...BASE_SPEC, socMin: 0, socMax: 1 },
    ]);
    expect(parseSessionsCsv(csvOf([row({ eta: '' })]), 'sessions.csv', { eta: 0.9 })[0].eta).toBe(0.9);
  });
});

describe('session files: errors name the file, the line and the column', () => {
  it.each<[string, Cells, string, string]>([
    ['not a number', { arrivalKwh: 'abc' }, 'arrivalKwh', 'must be a number in kWh, got "abc"'],
    ['not finite', { capacityKwh: '1e999' }, 'capacityKwh', 'must be a number in kWh, got "1e999"'],
    ['an empty required cell', { targetKwh: '' }, 'targetKwh', 'has no value'],
    ['a negative energy', { arrivalKwh: '-1' }, 'arrivalKwh', 'must be >= 0 kWh, got -1'],
    ['a negative power', { chargeKw: '-7' }, 'chargeKw', 'must be >= 0 kW, got -7'],
    ['a zero capacity', { capacityKwh: '0', arrivalKwh: '0', minKwh: '0', maxKwh: '0', targetKwh: '0' }, 'capacityKwh', 'must be > 0 kWh, got 0'],
    ['arrivalKwh above the capacity', { arrivalKwh: '61' }, 'arrivalKwh', 'arrivalKwh (61 kWh) exceeds capacityKwh (60 kWh)'],
    ['maxKwh above the capacity', { maxKwh: '61' }, 'maxKwh', 'maxKwh (61 kWh) exceeds capacityKwh (60 kWh)'],
    ['targetKwh above maxKwh', { maxKwh: '50' }, 'targetKwh', 'targetKwh (54 kWh) exceeds maxKwh (50 kWh)'],
    ['minKwh above arrivalKwh', { minKwh: '20' }, 'minKwh', 'minKwh (20 kWh) exceeds arrivalKwh (18 kWh)'],
    ['arrivalKwh above maxKwh', { arrivalKwh: '58', maxKwh: '56' }, 'arrivalKwh', 'arrivalKwh (58 kWh) exceeds maxKwh (56 kWh)'],
    ['eta out of range', { eta: '1.5' }, 'eta', 'must be in (0, 1], got 1.5'],
    ['a bus that is not an id', { bus: '2.5' }, 'bus', 'must be a bus id (an integer >= 0), got "2.5"'],
    ['a v2g that is not a yes or no', { v2g: 'maybe' }, 'v2g', 'must be true or false (or 1/0, yes/no), got "maybe"'],
    ['a time that is not one', { arrival: 'soon' }, 'arrival',
      'must be a time: decimal hours (17.6), "17:36", "17:36:00" or a local date-time "2026-12-05T17:36:00", got "soon"'],
    ['an hour past 23', { arrival: '25:00' }, 'arrival', '25:00 is not a time of day'],
    ['a decimal arrival past 24', { arrival: '24.5' }, 'arrival', 'must be a clock hour below 24, got 24.5'],
    ['a date that does not exist', { arrival: '2026-02-30T08:00', departure: '2026-02-30T17:00' }, 'arrival', '"2026-02-30T08:00" has no such date'],
    ['a UTC date-time (Z)', { arrival: '2026-12-05T17:36:00Z' }, 'arrival',
      '"2026-12-05T17:36:00Z" carries a UTC offset: times are the local clock of the scenario\'s day; write the local time without "Z" or "+hh:mm", as in "2026-12-05T17:36:00"'],
    ['a date-time with an offset', { departure: '2026-12-06 07:15+08:00' }, 'departure',
      '"2026-12-06 07:15+08:00" carries a UTC offset: times are the local clock of the scenario\'s day; write the local time without "Z" or "+hh:mm", as in "2026-12-05T17:36:00"'],
    ['a clock time with a date-time', { departure: '2026-12-06T07:15:00' }, 'departure', 'is a date-time but arrival is a clock time: write both alike'],
    ['a date-time departure before the arrival', { arrival: '2026-12-05T17:36', departure: '2026-12-05T07:15' }, 'departure',
      '(2026-12-05T07:15) is not after the arrival (2026-12-05T17:36)'],
    ['a stay of 24 h', { arrival: '17:36', departure: '17:36' }, 'departure', '(17:36) is 24 h after the arrival (17:36): a stay must be shorter than 24 h'],
    ['a stay of 25 h', { arrival: '5', departure: '30' }, 'departure', '(30) is 25 h after the arrival (5): a stay must be shorter than 24 h'],
    ['half a SOC-dependent limit', { socBreakpointKwh: '48' }, 'pChargeAboveKw', 'has no value: a SOC-dependent limit needs both socBreakpointKwh and pChargeAboveKw'],
    ['a breakpoint at the capacity', { socBreakpointKwh: '60', pChargeAboveKw: '3' }, 'socBreakpointKwh', 'must be in (0, capacityKwh = 60) kWh, got 60'],
    ['a limit above the charger', { socBreakpointKwh: '48', pChargeAboveKw: '8' }, 'pChargeAboveKw', '(8 kW) exceeds chargeKw (7 kW)'],
  ])('%s', (_, overrides, column, message) => {
    expect(line3Error(overrides)).toEqual({ where: `sessions.csv line 3, column ${column}`, message });
  });

  it('blames the row\'s own column when the other side of a rule comes from the defaults', () => {
    const { minKwh: _n, maxKwh: _x, ...rest } = BASE;
    expect(csvError(csvOf([rest]), { minSoc: 0.4 })).toEqual({
      where: 'sessions.csv line 2, column arrivalKwh', message: 'minKwh (24 kWh, minSoc 0.4 of the defaults) exceeds arrivalKwh (18 kWh)',
    });
    expect(csvError(csvOf([rest]), { maxSoc: 0.8 })).toEqual({
      where: 'sessions.csv line 2, column targetKwh', message: 'targetKwh (54 kWh) exceeds maxKwh (48 kWh, maxSoc 0.8 of the defaults)',
    });
    expect(errorOf(() => parseSessionsCsv(csvOf([row()]), 'sessions.csv', { eta: 2 }))).toEqual({ where: 'session defaults.eta', message: 'must be in (0, 1], got 2' });
  });

  it('names both lines of a duplicate id', () => {
    expect(csvError(csvOf([row(), row({ id: 'b' }), row()]))).toEqual({ where: 'sessions.csv line 4, column id', message: '"a" is already the id of line 2' });
  });

  it('refuses a bad header, a row of the wrong width, bad quoting and an empty file', () => {
    const { capacityKwh: _c, ...noCapacity } = BASE;
    expect(csvError(csvOf([noCapacity]))).toEqual({ where: 'sessions.csv line 1, column capacityKwh', message: 'is missing from the header' });
    const { eta: _e, ...noEta } = BASE;
    expect(csvError(csvOf([noEta]))).toEqual({ where: 'sessions.csv line 1, column eta', message: 'is missing from the header' });
    expect(csvError(csvOf([row({ colour: 'red' })]))).toMatchObject({ where: 'sessions.csv line 1, column colour', message: expect.stringMatching(/^is not a session column; the columns are id, bus, /) });
    expect(csvError(csvOf([row()], ['id', ...Object.keys(BASE)]))).toEqual({ where: 'sessions.csv line 1, column id', message: 'appears twice in the header' });
    const text = csvOf([row(), row({ id: 'b' })]);
    expect(csvError(text.replace(/\nb,/, '\nb,extra,'))).toEqual({ where: 'sessions.csv line 3', message: 'has 14 cells, the header 13' });
    expect(csvError(text.replace(/,60\n$/, '\n'))).toEqual({ where: 'sessions.csv line 3', message: 'has 12 cells, the header 13' });
    expect(csvError(text.replace(/\nb,/, '\n"b,'))).toEqual({ where: 'sessions.csv line 3', message: 'a quoted cell is not closed' });
    expect(csvError(text.replace(/\nb,/, '\n"b"x,'))).toEqual({ where: 'sessions.csv line 3', message: 'text after the closing quote of a cell' });
    expect(csvError(text.replace(/\nb,/, '\nb"x,'))).toMatchObject({ where: 'sessions.csv line 3', message: expect.stringMatching(/^a quote inside an unquoted cell/) });
    for (const empty of ['', '\uFEFF', '\r\n\n']) {
      expect(csvError(empty)).toEqual({ where: 'sessions.csv', message: 'is empty: expected a header line naming the columns, then one line per session' });
    }
  });

  it('passes every row through the fleet\'s own rules as a last net', () => {
    expect(line3Error({ chargeKw: '0', socBreakpointKwh: '48', pChargeAboveKw: '0' })).toEqual({
      where: 'sessions.csv line 3', message: 'EV b: a SOC-dependent limit needs pChargeMaxKw > 0, got 0',
    });
  });

  it('names the JSON index and field', () => {
    const good = { id: 'a', bus: 7, arrival: 17.6, departure: 7.25, arrivalKwh: 18, targetKwh: 54, capacityKwh: 60, chargeKw: 7, eta: 0.95 };
    const json = (second: object) => errorOf(() => parseSessionsJson([good, { ...good, id: 'b', ...second }], 'sessions.json'));
    expect(json({ arrivalKwh: 'abc' })).toEqual({ where: 'sessions.json sessions[1], field arrivalKwh', message: 'must be a number in kWh, got "abc"' });
    expect(json({ arrivalKwh: null })).toEqual({ where: 'sessions.json sessions[1], field arrivalKwh', message: 'has no value' });
    expect(json({ colour: 'red' })).toMatchObject({ where: 'sessions.json sessions[1], field colour' });
    expect(json({ id: 'a' })).toEqual({ where: 'sessions.json sessions[1], field id', message: '"a" is already the id of sessions[0]' });
    expect(json({ id: 7 })).toEqual({ where: 'sessions.json sessions[1], field id', message: 'must be text, got 7' });
    expect(errorOf(() => parseSessionsJson([good, 3], 'sessions.json'))).toEqual({ where: 'sessions.json sessions[1]', message: 'must be an object of session fields, got 3' });
    expect(errorOf(() => parseSessionsJson({ evs: [] }, 'sessions.json'))).toMatchObject({ where: 'sessions.json', message: expect.stringMatching(/^has an unknown key "evs"/) });
    const acn = (() => { try { parseSessionsJson({ _items: [] }, 'acn.json'); } catch (e) { return e as InputError; } })();
    expect(acn?.hint).toMatch(/ACN-Data export: name it in the zone file as "sessions": \{ "format": "acn-data"/);
    expect(errorOf(() => parseSessionsJson('x', 'sessions.json'))).toEqual({ where: 'sessions.json', message: 'must hold an array of sessions or { "sessions": [...] }' });
  });
});

describe('session files: writing and files on disk', () => {
  it('round-trips a sampled fleet: the text exactly, the specs exactly but for one rounding of kWh / capacity in the SOCs', () => {
    const busLoads = IEEE33_LOADS_KW.map((pKw, k) => ({ bus: k + 1, pKw }));
    const specs = Fleet.toSpecs(sampleDefaultFleet({ ...DEFAULT_FLEET_PARAMS, count: 500, busLoads }, createRng(7)));
    specs[3].socDependent = { breakpointKwh: 48.3, pAboveKw: 3.7 };
    const csv = writeSessionsCsv(specs);
    const back = parseSessionsCsv(csv, 'sessions.csv');
    expect(writeSessionsCsv(back)).toBe(csv);
    const socs = ['socMin', 'socMax', 'socArrival', 'socTarget'] as const;
    back.forEach((b, i) => {
      const a = specs[i];
      for (const f of socs) expect(Math.abs(b[f] - a[f]), `EV ${a.id} ${f}`).toBeLessThanOrEqual(2 * Number.EPSILON * a[f]);
      expect({ ...b, socMin: 0, socMax: 0, socArrival: 0, socTarget: 0 }).toEqual({ ...a, socMin: 0, socMax: 0, socArrival: 0, socTarget: 0 });
    });
  });

  it('refuses to write what it could not read back', () => {
    const spec: EvSpec = { ...BASE_SPEC, id: 'x' };
    expect(errorOf(() => writeSessionsCsv([{ ...spec, bus: undefined }]))).toEqual({ where: 'EV x', message: 'cannot be written as a session: it has no bus' });
    expect(errorOf(() => writeSessionsCsv([{ ...spec, arrivalH: 25, departureH: 30 }])).message).toMatch(/arrivalH 25 and departureH 30/);
  });

  it('reads .csv and .json files and names the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zonal-sessions-'));
    const csvPath = join(dir, 'zone1.csv'), jsonPath = join(dir, 'zone1.json'), txtPath = join(dir, 'zone1.txt');
    writeFileSync(csvPath, csvOf([row()]));
    writeFileSync(jsonPath, JSON.stringify({ sessions: [{ ...BASE, v2g: false }] }));
    writeFileSync(txtPath, '');
    expect(readSessionsFile(csvPath)).toEqual([BASE_SPEC]);
    expect(readSessionsFile(jsonPath)).toEqual([BASE_SPEC]);
    expect(errorOf(() => readSessionsFile(txtPath))).toEqual({ where: txtPath, message: 'must be a .csv or .json session file, got ".txt"' });
    expect(errorOf(() => readSessionsFile(join(dir, 'none.csv'))).message).toMatch(/^cannot be read: ENOENT/);
    writeFileSync(jsonPath, '{');
    expect(errorOf(() => readSessionsFile(jsonPath))).toMatchObject({ where: jsonPath, message: expect.stringMatching(/^is not valid JSON/) });
    writeFileSync(csvPath, csvOf([row(), row({ id: 'b', eta: '0' })]));
    expect(errorOf(() => readSessionsFile(csvPath))).toEqual({ where: `${csvPath} line 3, column eta`, message: 'must be in (0, 1], got 0' });
  });
});
