import { readFileSync } from 'node:fs';
import { dateOfDay, dayOfDate, InputError } from '@zonal/core';
import { Fleet } from './fleet';
import type { SessionDefaults } from './sessions-file';
import type { EvSpec } from './types';
import { isTimeZone, parseHttpDate, wallClock } from './wall-clock';

/**
 * A zone's sessions from the JSON of the Caltech ACN-Data API (Lee, Li and Low, "ACN-Data: Analysis
 * and Applications of an Open EV Charging Dataset", e-Energy 2019; https://ev.caltech.edu/dataset):
 * `{ "_items": [session, …] }` as the API pages and the site's downloads give it (`_meta`, `_links`
 * ignored), or a bare array of sessions. Per session the reader uses:
 *
 * | ACN field                 | becomes                                                                  |
 * |---------------------------|--------------------------------------------------------------------------|
 * | `sessionID`               | the EV id (unique in the file)                                           |
 * | `connectionTime`          | arrival: the RFC 1123 instant ("Wed, 25 Apr 2018 11:08:04 GMT") read on the wall clock of `options.timeZone`, else of the session's own `timezone` (the site's clock, "America/Los_Angeles"): the scenario's day is that local day |
 * | `disconnectTime`          | departure = arrival + the real plugged duration (so a DST change moves no one); with `departure: "requested"`, the latest user input's `requestedDeparture` instead when it has one. A stay of 24 h or more is cut to 24 h − 1 s (the day is periodic, SPEC §2) |
 * | `kWhDelivered`            | the energy need when `energy: "delivered"`, or when no user input gives `kWhRequested` |
 * | `userInputs`              | null or an array; the latest (greatest `modifiedAt`) gives `kWhRequested` (the need when `energy: "requested"`, the default) and `requestedDeparture` |
 * | `stationID`, `spaceID`    | the bus: `busByStation[stationID]`, else `busByStation[spaceID]`, else `bus`; none of them refuses the session by station |
 * | `timezone`                | the clock the times are read on, unless `options.timeZone` is given      |
 * | anything else             | ignored (`doneChargingTime` is when ACN's own scheduler finished; Zonal schedules anew) |
 *
 * Assumptions, each overridable (ACN_ASSUMPTIONS; zone file `sessions` options and `sessionDefaults`):
 *  - ACN energies are metered at the EVSE, i.e. grid side: the battery-side need is `eta × kWh`, so a
 *    charge that meets the target draws exactly the metered (or requested) kWh from the grid.
 *  - The charger limit is `chargeKw` (6.6 kW, battery side): ACN's Level-2 EVSEs are 208 V × 32 A = 6.66 kW.
 *  - ACN gives no battery size: `capacityKwh` (60 kWh, SPEC §6's battery), raised to `need / (targetSoc −
 *    minSoc)` for a need that a 60 kWh battery could not hold between minSoc and the target.
 *  - ACN gives no state of charge: the EV leaves at `targetSoc` (0.9, SPEC §6) of capacity and arrives
 *    with that less the need (target − need).
 *  - eta, minSoc, maxSoc, dischargeKw and v2g come from the zone's `sessionDefaults`; eta else 0.95
 *    (SPEC §6), the others else 0, 1, 0 kW and false, as for Zonal's own session files.
 *
 * A file holds many days: the sessions kept are those arriving on `options.date` (a local date,
 * "2018-04-25"); without it the file must hold arrivals on one local date only. Every session in the
 * file is checked, not only the day's; the bus is looked up for the day's. Errors are InputErrors whose
 * `where` is the file, the session (`_items[index]`) and the field (`userInputs[1].kWhRequested`).
 */

export interface AcnSessionOptions {
  /** The local date ("2018-04-25") whose arrivals to keep. */
  date?: string;
  /** IANA time zone of the scenario's clock; default each session's own `timezone`. */
  timeZone?: string;
  /** The bus of every session that `busByStation` does not map. */
  bus?: number;
  /** Bus per ACN stationID or spaceID. */
  busByStation?: Record<string, number>;
  /** The energy need: the latest user input's kWhRequested when there is one ("requested"), or kWhDelivered. */
  energy?: 'requested' | 'delivered';
  /** The departure: disconnectTime ("disconnect"), or the latest user input's requestedDeparture when there is one. */
  departure?: 'disconnect' | 'requested';
  chargeKw?: number;
  capacityKwh?: number;
  targetSoc?: number;
}

/** What ACN-Data does not say, declared (see the header). */
export const ACN_ASSUMPTIONS = {
  /** kW, battery side: ACN's Level-2 EVSEs, 208 V × 32 A. */
  chargeKw: 6.6,
  /** kWh: SPEC §6's battery. */
  capacityKwh: 60,
  /** Fraction of capacity held at departure: SPEC §6's target. */
  targetSoc: 0.9,
  /** Charge and discharge efficiency when the zone's sessionDefaults give none: SPEC §6. */
  eta: 0.95,
} as const;

const HTTP_DATE = 'an RFC 1123 date such as "Wed, 25 Apr 2018 11:08:04 GMT"';

/** The sessions of an ACN-Data JSON document (already parsed) as EvSpecs; `source` names it in errors. */
export function parseAcnSessions(raw: unknown, source: string, options: AcnSessionOptions, defaults: SessionDefaults = {}): EvSpec[] {
  const o = checkedOptions(options, defaults);
  const list = Array.isArray(raw) ? raw : isRecord(raw) && Array.isArray(raw._items) ? raw._items : undefined;
  if (!list) throw new InputError('must be an ACN-Data sessions document: { "_items": [...] } as the API and the site\'s downloads give it, or an array of sessions', source);
  const sessions = list.map((item: unknown, k) => readSession(item, `${source} _items[${k}]`, o));
  const day = dayOfTheFile(sessions, o.date, source);
  const kept = sessions.filter((s) => s.arrival.day === day);
  const firstAt = new Map<string, string>();
  for (const s of sessions) {
    const other = firstAt.get(s.id);
    if (other !== undefined) throw new InputError(`"${s.id}" is already the sessionID of ${other}`, `${s.at}, field sessionID`);
    firstAt.set(s.id, s.at.slice(source.length + 1));
  }
  return kept.map((s) => {
    const spec = toSpec(s, o);
    try {
      Fleet.fromSpecs([spec]);
    } catch (e) {
      if (e instanceof InputError) throw new InputError(e.message, s.at, e.hint);
      throw e;
    }
    return spec;
  });
}

/** An ACN-Data .json file; `where` in errors starts with `path` as given. */
export function readAcnSessionsFile(path: string, options: AcnSessionOptions, defaults: SessionDefaults = {}): EvSpec[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot be read: ${(e as Error).message}`, path);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new InputError(`is not valid JSON: ${(e as Error).message}`, path);
  }
  return parseAcnSessions(raw, path, options, defaults);
}

type Options = Required<Omit<AcnSessionOptions, 'date' | 'timeZone' | 'bus' | 'busByStation'>> &
  Pick<AcnSessionOptions, 'timeZone' | 'bus' | 'busByStation'> & { date?: number; eta: number; minSoc: number; maxSoc: number; dischargeKw: number; v2g: boolean };

function checkedOptions(options: AcnSessionOptions, d: SessionDefaults): Options {
  const bad = (field: string, message: string): never => { throw new InputError(message, `acn-data option ${field}`); };
  const o: Options = {
    ...options,
    date: undefined,
    energy: options.energy ?? 'requested',
    departure: options.departure ?? 'disconnect',
    chargeKw: options.chargeKw ?? ACN_ASSUMPTIONS.chargeKw,
    capacityKwh: options.capacityKwh ?? ACN_ASSUMPTIONS.capacityKwh,
    targetSoc: options.targetSoc ?? ACN_ASSUMPTIONS.targetSoc,
    eta: d.eta ?? ACN_ASSUMPTIONS.eta,
    minSoc: d.minSoc ?? 0,
    maxSoc: d.maxSoc ?? 1,
    dischargeKw: d.dischargeKw ?? 0,
    v2g: d.v2g ?? false,
  };
  if (options.date !== undefined) o.date = dayOfDate(options.date) ?? bad('date', `must be a date "YYYY-MM-DD", got ${JSON.stringify(options.date)}`);
  if (options.timeZone !== undefined && !isTimeZone(options.timeZone)) bad('timeZone', `"${options.timeZone}" is not an IANA time zone (e.g. "America/Los_Angeles")`);
  if (o.bus === undefined && o.busByStation === undefined) bad('bus', 'is needed, or busByStation: every session needs a bus');
  if (!(o.chargeKw > 0 && o.chargeKw < Infinity)) bad('chargeKw', `must be a power > 0 kW, got ${o.chargeKw}`);
  if (!(o.capacityKwh > 0 && o.capacityKwh < Infinity)) bad('capacityKwh', `must be an energy > 0 kWh, got ${o.capacityKwh}`);
  if (!(o.eta > 0 && o.eta <= 1)) bad('eta', `must be in (0, 1], got ${o.eta}`);
  if (!(o.targetSoc > o.minSoc && o.targetSoc <= o.maxSoc)) bad('targetSoc', `(${o.targetSoc}) must lie above minSoc (${o.minSoc}) and at most maxSoc (${o.maxSoc})`);
  return o;
}

/** One ACN session, checked, with its times on the chosen clock. */
interface Session {
  at: string;
  id: string;
  stationID?: string;
  spaceID?: string;
  arrival: { day: number; h: number };
  stayH: number;
  /** kWh at the EVSE. */
  needKwh: number;
}

function readSession(item: unknown, at: string, o: Options): Session {
  const bad = (field: string, message: string): never => { throw new InputError(message, `${at}, field ${field}`); };
  if (!isRecord(item)) throw new InputError(`must be an object of ACN session fields, got ${show(item)}`, at);
  const text = (field: string): string => {
    const v = item[field];
    return typeof v === 'string' && v.trim() !== '' ? v : bad(field, v === undefined || v === null ? 'has no value' : `must be text, got ${show(v)}`);
  };
  const instant = (v: unknown, field: string): number =>
    (typeof v === 'string' ? parseHttpDate(v) : undefined) ?? bad(field, v === undefined || v === null ? 'has no value' : `must be ${HTTP_DATE}, got ${show(v)}`);
  const kwh = (v: unknown, field: string): number =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : bad(field, v === undefined || v === null ? 'has no value' : `must be an energy >= 0 kWh, got ${show(v)}`);

  const id = text('sessionID');
  const zone = o.timeZone ?? text('timezone');
  if (o.timeZone === undefined && !isTimeZone(zone)) bad('timezone', `"${zone}" is not an IANA time zone (e.g. "America/Los_Angeles")`);
  const connected = instant(item.connectionTime, 'connectionTime');
  const disconnected = instant(item.disconnectTime, 'disconnectTime');
  if (!(disconnected > connected)) bad('disconnectTime', `(${item.disconnectTime}) is not after connectionTime (${item.connectionTime})`);
  const delivered = kwh(item.kWhDelivered, 'kWhDelivered');

  const inputs = item.userInputs ?? null;
  if (inputs !== null && !Array.isArray(inputs)) bad('userInputs', `must be null or an array of user inputs, got ${show(inputs)}`);
  let latest: { input: Record<string, unknown>; field: string; at: number } | undefined;
  for (const [j, input] of ((inputs ?? []) as unknown[]).entries()) {
    const field = `userInputs[${j}]`;
    if (!isRecord(input)) return bad(field, `must be an object, got ${show(input)}`);
    const modified = instant(input.modifiedAt, `${field}.modifiedAt`);
    if (!latest || modified >= latest.at) latest = { input, field, at: modified };
  }
  const requested = (key: string): unknown => latest?.input[key] ?? undefined;

  let needKwh = delivered;
  if (o.energy === 'requested' && latest && requested('kWhRequested') !== undefined) {
    needKwh = kwh(requested('kWhRequested'), `${latest.field}.kWhRequested`);
  }
  let departs = disconnected;
  if (o.departure === 'requested' && latest && requested('requestedDeparture') !== undefined) {
    const field = `${latest.field}.requestedDeparture`;
    departs = instant(requested('requestedDeparture'), field);
    if (!(departs > connected)) bad(field, `(${requested('requestedDeparture')}) is not after connectionTime (${item.connectionTime})`);
  }
  const optional = (field: string): string | undefined => (typeof item[field] === 'string' ? (item[field] as string) : undefined);
  return {
    at, id, stationID: optional('stationID'), spaceID: optional('spaceID'),
    arrival: wallClock(connected, zone),
    stayH: Math.min((departs - connected) / 3_600_000, 24 - 1 / 3600),
    needKwh,
  };
}

/** The day whose arrivals the zone keeps: the option's, else the only one in the file. */
function dayOfTheFile(sessions: readonly Session[], date: number | undefined, source: string): number {
  const days = [...new Set(sessions.map((s) => s.arrival.day))].sort((a, b) => a - b);
  const span = days.length === 0 ? 'it holds no session' : `its arrivals run from ${dateOfDay(days[0])} to ${dateOfDay(days[days.length - 1])} (${days.length} dates)`;
  if (date !== undefined) {
    if (!days.includes(date)) throw new InputError(`has no session arriving on ${dateOfDay(date)} (local time): ${span}`, source);
    return date;
  }
  if (days.length === 1) return days[0];
  throw new InputError(
    days.length === 0 ? 'holds no session' : `holds arrivals on ${days.length} local dates (${days.slice(0, 3).map(dateOfDay).join(', ')}${days.length > 3 ? ', …' : ''}): give "date" to choose the day`,
    source,
  );
}

function toSpec(s: Session, o: Options): EvSpec {
  const bus = (s.stationID !== undefined ? o.busByStation?.[s.stationID] : undefined)
    ?? (s.spaceID !== undefined ? o.busByStation?.[s.spaceID] : undefined)
    ?? o.bus;
  if (bus === undefined) {
    throw new InputError(
      `station ${JSON.stringify(s.stationID ?? null)} (space ${JSON.stringify(s.spaceID ?? null)}) has no bus: add it to busByStation, or give "bus" for the stations it leaves out`,
      `${s.at}, field stationID`,
    );
  }
  const needKwh = o.eta * s.needKwh;
  const capacityKwh = Math.max(o.capacityKwh, needKwh / (o.targetSoc - o.minSoc));
  return {
    id: s.id, bus, arrivalH: s.arrival.h, departureH: s.arrival.h + s.stayH, capacityKwh,
    pChargeMaxKw: o.chargeKw, pDischargeMaxKw: o.dischargeKw, eta: o.eta,
    socMin: o.minSoc, socMax: o.maxSoc,
    socArrival: Math.max(o.minSoc, o.targetSoc - needKwh / capacityKwh), socTarget: o.targetSoc, v2g: o.v2g,
  };
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : String(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
