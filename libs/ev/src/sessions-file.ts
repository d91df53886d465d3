import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { csvCell, csvRecords, InputError, parseClockText, type ClockText } from '@zonal/core';
import { Fleet } from './fleet';
import type { EvSpec } from './types';

/**
 * A zone's EVs as charging sessions, one per CSV row or JSON object (as a charge-point back end exports
 * them), read into `EvSpec`s for `Fleet.fromSpecs`. Energies are stored in the battery and powers are
 * battery side, as everywhere in this lib (types.ts).
 *
 * | column           | unit                  | when absent or empty                  | meaning                                                   |
 * |------------------|-----------------------|---------------------------------------|-----------------------------------------------------------|
 * | id               | text                  | required                              | session (EV) id, unique in the file                       |
 * | bus              | integer               | required                              | feeder bus id of the charge point                         |
 * | arrival          | clock time            | required                              | plug-in: decimal hours (17.6), "17:36", "17:36:00", or a local date-time "2026-12-05T17:36:00" (no "Z" or offset) |
 * | departure        | clock time            | required                              | plug-out, written like arrival; a clock time at or before the arrival is the next day (+24 h), as is a decimal of 24 or more; date-times count their dates. Stay < 24 h |
 * | arrivalKwh       | kWh                   | required                              | stored energy at arrival                                  |
 * | targetKwh        | kWh                   | required                              | stored energy to hold at departure                        |
 * | capacityKwh      | kWh                   | required                              | battery capacity                                          |
 * | chargeKw         | kW                    | required                              | charging limit, battery side                              |
 * | dischargeKw      | kW                    | defaults.dischargeKw, else 0          | discharging limit, battery side (used only with v2g)      |
 * | eta              | (0, 1]                | defaults.eta, else required           | charge and discharge efficiency (SPEC §2)                 |
 * | v2g              | true/false/1/0/yes/no | defaults.v2g, else false              | V2G-enrolled                                              |
 * | minKwh           | kWh                   | defaults.minSoc x capacity, else 0    | lowest allowed stored energy                              |
 * | maxKwh           | kWh                   | defaults.maxSoc x capacity, else capacity | highest allowed stored energy                         |
 * | socBreakpointKwh | kWh                   | no SOC-dependent limit (both or neither) | stored energy above which charging is limited to pChargeAboveKw (seed 000 §4, SPEC §6) |
 * | pChargeAboveKw   | kW                    | no SOC-dependent limit (both or neither) | charging limit above the breakpoint, <= chargeKw        |
 *
 * Example (ev-1 leaves the next morning; garage 3 has no energy limits, so 0..77 kWh, and a SOC-dependent limit):
 *   id,bus,arrival,departure,arrivalKwh,targetKwh,capacityKwh,chargeKw,dischargeKw,eta,v2g,minKwh,maxKwh,socBreakpointKwh,pChargeAboveKw
 *   ev-1,7,17:36,07:15,18,54,60,7,0,0.95,false,12,60,,
 *   ev-2,18,2026-12-05T08:50:00,2026-12-05T17:30:00,30,54,60,7,7,0.95,true,12,60,,
 *   "garage, 3",25,21.5,6.25,40.5,70,77,11,0,0.92,no,,,62,5.5
 *
 * Time zone: every time is the local clock of the scenario's day (period t covers [t*dt, (t+1)*dt) from
 * local 00:00, SPEC §2), the clock the zone's tariff blocks are written in. A date-time carrying "Z" or an
 * offset ("2026-12-05T17:36:00+08:00") is refused with a message saying so, not converted: the file does
 * not say which local clock the scenario keeps. Convert such an export to local times first (or use the
 * ACN-Data reader, acn-data.ts, whose sessions name their own time zone). A date-time's date counts
 * only for the stay (departure minus arrival); the stay is placed on the periodic day by its clock times.
 *
 * CSV: UTF-8 (a BOM is accepted), comma-separated, LF or CRLF, RFC 4180 quoting ("a ""b"", c"); the
 * header names the columns in any order and an unknown column is refused. JSON: an array of objects
 * with the same keys, or { "sessions": [...] }; numbers as numbers, times as numbers or strings.
 * Errors are InputErrors whose `where` is the file, the row (CSV line counting the header as line 1;
 * JSON `sessions[index]`) and the column.
 */

/** Stand-ins for absent columns, per file (the zone file's defaults). */
export interface SessionDefaults {
  eta?: number;
  /** Fraction of capacity used when minKwh is absent. */
  minSoc?: number;
  /** Fraction of capacity used when maxKwh is absent. */
  maxSoc?: number;
  dischargeKw?: number;
  v2g?: boolean;
}

const COLUMNS = [
  'id', 'bus', 'arrival', 'departure', 'arrivalKwh', 'targetKwh', 'capacityKwh', 'chargeKw', 'dischargeKw', 'eta', 'v2g',
  'minKwh', 'maxKwh', 'socBreakpointKwh', 'pChargeAboveKw',
] as const;
type Column = (typeof COLUMNS)[number];
const isColumn = (name: string): name is Column => (COLUMNS as readonly string[]).includes(name);

export function parseSessionsCsv(text: string, source: string, defaults: SessionDefaults = {}): EvSpec[] {
  const records = csvRecords(text, source);
  if (records.length === 0) throw new InputError('is empty: expected a header line naming the columns, then one line per session', source);
  const [header, ...body] = records;
  const names = header.cells.map((c) => c.trim());
  names.forEach((name, k) => {
    const where = `${source} line ${header.line}, column ${name || k + 1}`;
    if (!isColumn(name)) throw new InputError(`is not a session column; the columns are ${COLUMNS.join(', ')}`, where);
    if (names.indexOf(name) !== k) throw new InputError('appears twice in the header', where);
  });
  for (const column of requiredColumns(defaults)) {
    if (!names.includes(column)) throw new InputError('is missing from the header', `${source} line ${header.line}, column ${column}`);
  }
  const rows = body.map(({ line, cells }): SessionRow => {
    if (cells.length !== names.length) {
      throw new InputError(`has ${cells.length} cells, the header ${names.length}`, `${source} line ${line}`, 'quote a cell that holds a comma: "a, b"');
    }
    return {
      at: `line ${line}`,
      get: (column) => {
        const k = names.indexOf(column);
        return k < 0 || cells[k].trim() === '' ? undefined : cells[k];
      },
      where: (column) => `${source} line ${line}${column ? `, column ${column}` : ''}`,
    };
  });
  return toSpecs(rows, defaults);
}

export function parseSessionsJson(raw: unknown, source: string, defaults: SessionDefaults = {}): EvSpec[] {
  const shape = 'must hold an array of sessions or { "sessions": [...] }';
  let list: unknown;
  if (Array.isArray(raw)) list = raw;
  else if (isRecord(raw)) {
    for (const key of Object.keys(raw)) {
      if (key === 'sessions') continue;
      const acn = key === '_items' ? 'this looks like an ACN-Data export: name it in the zone file as "sessions": { "format": "acn-data", "file": … }' : undefined;
      throw new InputError(`has an unknown key "${key}": it ${shape}`, source, acn);
    }
    list = raw.sessions;
  }
  if (!Array.isArray(list)) throw new InputError(shape, source);
  const rows = list.map((session: unknown, k): SessionRow => {
    const at = `sessions[${k}]`;
    if (!isRecord(session)) throw new InputError(`must be an object of session fields, got ${show(session)}`, `${source} ${at}`);
    for (const key of Object.keys(session)) {
      if (!isColumn(key)) throw new InputError(`is not a session field; the fields are ${COLUMNS.join(', ')}`, `${source} ${at}, field ${key}`);
    }
    return {
      at,
      get: (column) => {
        const v = session[column];
        return v === null || (typeof v === 'string' && v.trim() === '') ? undefined : v;
      },
      where: (column) => `${source} ${at}${column ? `, field ${column}` : ''}`,
    };
  });
  return toSpecs(rows, defaults);
}

/** A .csv or .json session file; `where` in errors starts with `path` as given. */
export function readSessionsFile(path: string, defaults: SessionDefaults = {}): EvSpec[] {
  const ext = extname(path).toLowerCase();
  if (ext !== '.csv' && ext !== '.json') throw new InputError(`must be a .csv or .json session file, got "${ext}"`, path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot be read: ${(e as Error).message}`, path);
  }
  if (ext === '.csv') return parseSessionsCsv(text, path, defaults);
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new InputError(`is not valid JSON: ${(e as Error).message}`, path);
  }
  return parseSessionsJson(raw, path, defaults);
}

/**
 * The CSV that `parseSessionsCsv` reads back to the same specs: times as decimal hours and every number
 * via String(n), so only the SOCs can move, by at most one rounding of kWh / capacity (the file holds
 * kWh); the text itself round-trips exactly. The curve columns appear only if some EV has a curve.
 */
export function writeSessionsCsv(specs: readonly EvSpec[]): string {
  const withCurves = specs.some((ev) => ev.socDependent !== undefined);
  const columns = COLUMNS.filter((c) => withCurves || (c !== 'socBreakpointKwh' && c !== 'pChargeAboveKw'));
  const lines = specs.map((ev) => {
    const bad = (message: string): never => { throw new InputError(`cannot be written as a session: ${message}`, `EV ${ev.id}`); };
    if (ev.bus === undefined) bad('it has no bus');
    const stayH = ev.departureH - ev.arrivalH;
    if (!(ev.arrivalH >= 0 && ev.arrivalH < 24 && stayH > 0 && stayH < 24)) {
      bad(`arrivalH ${ev.arrivalH} and departureH ${ev.departureH}: the file needs arrivalH in [0, 24) and a stay of (0, 24) h`);
    }
    const kwh = (soc: number): string => String(soc * ev.capacityKwh);
    const cells: Record<Column, string> = {
      id: csvCell(ev.id), bus: String(ev.bus), arrival: String(ev.arrivalH), departure: String(ev.departureH),
      arrivalKwh: kwh(ev.socArrival), targetKwh: kwh(ev.socTarget), capacityKwh: String(ev.capacityKwh),
      chargeKw: String(ev.pChargeMaxKw), dischargeKw: String(ev.pDischargeMaxKw), eta: String(ev.eta), v2g: String(ev.v2g),
      minKwh: kwh(ev.socMin), maxKwh: kwh(ev.socMax),
      socBreakpointKwh: ev.socDependent ? String(ev.socDependent.breakpointKwh) : '',
      pChargeAboveKw: ev.socDependent ? String(ev.socDependent.pAboveKw) : '',
    };
    return columns.map((c) => cells[c]).join(',');
  });
  return [columns.join(','), ...lines].map((line) => `${line}\n`).join('');
}

/** One session as read, CSV record or JSON object, with where its fields are. */
interface SessionRow {
  /** "line 7" or "sessions[3]". */
  at: string;
  /** The raw value; undefined when absent or empty. */
  get(column: Column): unknown;
  /** e.g. "sessions.csv line 7, column arrivalKwh". */
  where(column?: Column): string;
}

type Fail = (message: string) => never;

function requiredColumns(d: SessionDefaults): Column[] {
  const always: Column[] = ['id', 'bus', 'arrival', 'departure', 'arrivalKwh', 'targetKwh', 'capacityKwh', 'chargeKw'];
  return d.eta === undefined ? [...always, 'eta'] : always;
}

function toSpecs(rows: readonly SessionRow[], defaults: SessionDefaults): EvSpec[] {
  checkDefaults(defaults);
  const firstAt = new Map<string, string>();
  return rows.map((row) => {
    const spec = toSpec(row, defaults);
    const other = firstAt.get(spec.id);
    if (other !== undefined) throw new InputError(`"${spec.id}" is already the id of ${other}`, row.where('id'));
    firstAt.set(spec.id, row.at);
    // The fleet's own rules as a last net, so that nothing physically impossible passes; the checks
    // in toSpec come first because they can name the column.
    try {
      Fleet.fromSpecs([spec]);
    } catch (e) {
      if (e instanceof InputError) throw new InputError(e.message, row.where(), e.hint);
      throw e;
    }
    return spec;
  });
}

function checkDefaults(d: SessionDefaults): void {
  const bad = (field: string, message: string): never => { throw new InputError(message, `session defaults.${field}`); };
  if (d.eta !== undefined && !(d.eta > 0 && d.eta <= 1)) bad('eta', `must be in (0, 1], got ${d.eta}`);
  for (const field of ['minSoc', 'maxSoc'] as const) {
    const v = d[field];
    if (v !== undefined && !(v >= 0 && v <= 1)) bad(field, `must be in [0, 1], got ${v}`);
  }
  if ((d.minSoc ?? 0) > (d.maxSoc ?? 1)) bad('minSoc', `(${d.minSoc}) exceeds maxSoc (${d.maxSoc ?? 1})`);
  if (d.dischargeKw !== undefined && !(d.dischargeKw >= 0 && d.dischargeKw < Infinity)) bad('dischargeKw', `must be a power >= 0 kW, got ${d.dischargeKw}`);
  if (d.v2g !== undefined && typeof d.v2g !== 'boolean') bad('v2g', `must be true or false, got ${String(d.v2g)}`);
}

function toSpec(row: SessionRow, d: SessionDefaults): EvSpec {
  const bad = (column: Column, message: string): never => { throw new InputError(message, row.where(column)); };
  const given = (column: Column): boolean => row.get(column) !== undefined;
  function field<T>(column: Column, parse: (v: unknown, fail: Fail) => T, fallback?: T): T {
    const v = row.get(column);
    if (v !== undefined) return parse(v, (message) => bad(column, message));
    return fallback ?? bad(column, 'has no value');
  }
  const amount = (column: Column, unit: 'kWh' | 'kW', fallback?: number): number => {
    const v = field(column, parseNumber(unit), fallback);
    if (v < 0) bad(column, `must be >= 0 ${unit}, got ${v}`);
    return v;
  };

  const id = field('id', parseId);
  const bus = field('bus', parseBus);
  const { arrivalH, departureH } = stay(field('arrival', parseClockText), field('departure', parseClockText), bad);
  const capacityKwh = amount('capacityKwh', 'kWh');
  if (capacityKwh === 0) bad('capacityKwh', 'must be > 0 kWh, got 0');
  const kwh: Record<'arrivalKwh' | 'targetKwh' | 'capacityKwh' | 'minKwh' | 'maxKwh', number> = {
    arrivalKwh: amount('arrivalKwh', 'kWh'),
    targetKwh: amount('targetKwh', 'kWh'),
    capacityKwh,
    minKwh: amount('minKwh', 'kWh', (d.minSoc ?? 0) * capacityKwh),
    maxKwh: amount('maxKwh', 'kWh', (d.maxSoc ?? 1) * capacityKwh),
  };
  // Where minKwh or maxKwh comes from the defaults, the message says so and blames the row's own column.
  const origin = (c: keyof typeof kwh): string => {
    if (given(c) || (c !== 'minKwh' && c !== 'maxKwh')) return '';
    const soc = c === 'minKwh' ? d.minSoc : d.maxSoc;
    return soc === undefined ? ', as none is given' : `, ${c === 'minKwh' ? 'minSoc' : 'maxSoc'} ${soc} of the defaults`;
  };
  const atMost = (a: keyof typeof kwh, b: keyof typeof kwh): void => {
    if (kwh[a] > kwh[b]) bad(given(a) ? a : b, `${a} (${kwh[a]} kWh${origin(a)}) exceeds ${b} (${kwh[b]} kWh${origin(b)})`);
  };
  atMost('arrivalKwh', 'capacityKwh');
  atMost('maxKwh', 'capacityKwh');
  atMost('minKwh', 'maxKwh');
  atMost('minKwh', 'arrivalKwh');
  atMost('arrivalKwh', 'maxKwh');
  atMost('targetKwh', 'maxKwh');

  const chargeKw = amount('chargeKw', 'kW');
  const dischargeKw = amount('dischargeKw', 'kW', d.dischargeKw ?? 0);
  const eta = field('eta', parseNumber(''), d.eta);
  if (!(eta > 0 && eta <= 1)) bad('eta', `must be in (0, 1], got ${eta}`);
  const v2g = field('v2g', parseBoolean, d.v2g ?? false);

  const spec: EvSpec = {
    id, bus, arrivalH, departureH, capacityKwh, pChargeMaxKw: chargeKw, pDischargeMaxKw: dischargeKw, eta,
    socMin: kwh.minKwh / capacityKwh, socMax: kwh.maxKwh / capacityKwh,
    socArrival: kwh.arrivalKwh / capacityKwh, socTarget: kwh.targetKwh / capacityKwh, v2g,
  };
  if (given('socBreakpointKwh') || given('pChargeAboveKw')) {
    for (const c of ['socBreakpointKwh', 'pChargeAboveKw'] as const) {
      if (!given(c)) bad(c, 'has no value: a SOC-dependent limit needs both socBreakpointKwh and pChargeAboveKw');
    }
    const breakpointKwh = amount('socBreakpointKwh', 'kWh'), pAboveKw = amount('pChargeAboveKw', 'kW');
    if (!(breakpointKwh > 0 && breakpointKwh < capacityKwh)) bad('socBreakpointKwh', `must be in (0, capacityKwh = ${capacityKwh}) kWh, got ${breakpointKwh}`);
    if (pAboveKw > chargeKw) bad('pChargeAboveKw', `(${pAboveKw} kW) exceeds chargeKw (${chargeKw} kW)`);
    spec.socDependent = { breakpointKwh, pAboveKw };
  }
  return spec;
}

/** Arrival and departure on one axis: departure after arrival by less than 24 h. */
function stay(arrival: ClockText, departure: ClockText, bad: (column: Column, message: string) => never): { arrivalH: number; departureH: number } {
  const kind = (t: ClockText): string => (t.day === null ? 'a clock time' : 'a date-time');
  if ((arrival.day === null) !== (departure.day === null)) bad('departure', `is ${kind(departure)} but arrival is ${kind(arrival)}: write both alike`);
  if (!(arrival.h < 24)) bad('arrival', `must be a clock hour below 24, got ${arrival.text}`);
  let departureH: number;
  if (arrival.day !== null && departure.day !== null) {
    departureH = (departure.day - arrival.day) * 24 + departure.h;
    if (!(departureH > arrival.h)) bad('departure', `(${departure.text}) is not after the arrival (${arrival.text})`);
  } else {
    if (!(departure.h < 48)) bad('departure', `must be a clock hour below 48 (a next-day hour + 24), got ${departure.text}`);
    departureH = departure.h > arrival.h ? departure.h : departure.h + 24;
  }
  if (departureH - arrival.h >= 24) bad('departure', `(${departure.text}) is ${departureH - arrival.h} h after the arrival (${arrival.text}): a stay must be shorter than 24 h`);
  return { arrivalH: arrival.h, departureH };
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function parseNumber(unit: string): (v: unknown, fail: Fail) => number {
  return (v, fail) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && DECIMAL.test(v.trim()) ? Number(v) : Number.NaN;
    return Number.isFinite(n) ? n : fail(`must be a number${unit ? ` in ${unit}` : ''}, got ${show(v)}`);
  };
}

function parseBus(v: unknown, fail: Fail): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : fail(`must be a bus id (an integer >= 0), got ${show(v)}`);
}

function parseId(v: unknown, fail: Fail): string {
  return typeof v === 'string' ? v : fail(`must be text, got ${show(v)}`);
}

function parseBoolean(v: unknown, fail: Fail): boolean {
  if (typeof v === 'boolean') return v;
  const word = typeof v === 'string' ? v.trim().toLowerCase() : '';
  if (['true', '1', 'yes'].includes(word)) return true;
  if (['false', '0', 'no'].includes(word)) return false;
  return fail(`must be true or false (or 1/0, yes/no), got ${show(v)}`);
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : String(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
