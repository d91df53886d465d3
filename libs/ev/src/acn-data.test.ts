import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '@zonal/core';
import { ACN_ASSUMPTIONS, parseAcnSessions, readAcnSessionsFile, type AcnSessionOptions } from './acn-data';

/** Five sessions written from the published ACN-Data format: four arrive on 2018-04-25 (Pacific), one on the 27th. */
const FIXTURE = fileURLToPath(new URL('../test/fixtures/acn-caltech-2018-04.json', import.meta.url));
const doc = (): { _items: Record<string, unknown>[] } => JSON.parse(readFileSync(FIXTURE, 'utf8'));
const OPTIONS: AcnSessionOptions = { date: '2018-04-25', busByStation: { '2-39-78-362': 7, 'CA-314': 9 }, bus: 12 };
const hours = (h: number, m: number, s = 0) => (h * 3600 + m * 60 + s) / 3600;

function errorOf(f: () => unknown): { where: string | undefined; message: string } {
  try {
    f();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { where: e.where, message: e.message.slice((e.where?.length ?? -2) + 2) };
  }
  throw new Error('expected an InputError');
}

describe('ACN-Data sessions: mapping', () => {
  it('keeps the day\'s arrivals on the site\'s clock and maps every field by the stated rules', () => {
    const specs = readAcnSessionsFile(FIXTURE, OPTIONS);
    expect(specs.map((s) => [s.id, s.bus])).toEqual([
      ['2_39_78_362_2018-04-25 15:08:04.400812', 7], // stationID mapped
      ['2_39_79_380_2018-04-25 16:30:00.118203', 9], // spaceID mapped
      ['2_39_79_380_2018-04-26 02:00:00.552311', 9], // 19:00 Pacific on the 25th, though the 26th in UTC
      ['2_39_91_437_2018-04-25 18:00:00.001004', 12], // unmapped station: the fallback bus
    ]);
    const [a, b, c, e] = specs;
    const eta = ACN_ASSUMPTIONS.eta;
    // a: no user input, so the need is kWhDelivered at the EVSE, eta x 7.932 kWh in the battery.
    expect(a).toMatchObject({ capacityKwh: 60, pChargeMaxKw: 6.6, pDischargeMaxKw: 0, eta, socMin: 0, socMax: 1, socTarget: 0.9, v2g: false });
    expect(a.arrivalH).toBeCloseTo(hours(8, 8, 4), 9);
    expect(a.departureH).toBeCloseTo(hours(17, 20, 10), 9);
    expect((a.socTarget - a.socArrival) * a.capacityKwh).toBeCloseTo(eta * 7.932, 9);
    // b: the latest user input (by modifiedAt, listed first) asks 14 kWh; the departure is still disconnectTime.
    expect(b.arrivalH).toBe(9.5);
    expect(b.departureH).toBeCloseTo(16.75, 9);
    expect((b.socTarget - b.socArrival) * b.capacityKwh).toBeCloseTo(eta * 14, 9);
    // c: 80 kWh requested is more than 60 kWh holds below 0.9: the battery grows to need / 0.9 and arrives empty.
    expect(c.arrivalH).toBe(19);
    expect(c.departureH).toBeCloseTo(31.5, 9);
    expect(c.capacityKwh).toBeCloseTo((eta * 80) / 0.9, 9);
    expect(c.socArrival).toBeCloseTo(0, 12);
    // e: plugged 31 h over two nights: cut to 24 h less a second.
    expect(e.arrivalH).toBe(11);
    expect(e.departureH).toBeCloseTo(35 - 1 / 3600, 9);
  });

  it('takes the requested departure, the delivered energy and every assumption from the options when asked', () => {
    const specs = readAcnSessionsFile(FIXTURE, { ...OPTIONS, departure: 'requested', energy: 'delivered', chargeKw: 7.2, capacityKwh: 75, targetSoc: 0.8 },
      { eta: 0.9, minSoc: 0.1, maxSoc: 0.95, dischargeKw: 5, v2g: true });
    const [a, b, c] = specs;
    expect(a).toMatchObject({ capacityKwh: 75, pChargeMaxKw: 7.2, pDischargeMaxKw: 5, eta: 0.9, socMin: 0.1, socMax: 0.95, socTarget: 0.8, v2g: true });
    expect(b.departureH).toBeCloseTo(16.5, 9); // the latest input's requestedDeparture, 23:30 GMT
    expect(a.departureH).toBeCloseTo(hours(17, 20, 10), 9); // no user input: disconnectTime
    expect((b.socTarget - b.socArrival) * b.capacityKwh).toBeCloseTo(0.9 * 10.5, 9);
    expect((c.socTarget - c.socArrival) * c.capacityKwh).toBeCloseTo(0.9 * 25.3, 9);
  });

  it('reads the times on another clock when timeZone is given, and keeps the real plugged duration across a DST change', () => {
    const shanghai = readAcnSessionsFile(FIXTURE, { ...OPTIONS, timeZone: 'Asia/Shanghai', date: '2018-04-26' });
    expect(shanghai.map((s) => s.arrivalH)).toEqual([hours(0, 30), 10, 2]); // 16:30, 02:00 and 18:00 GMT, +8 h
    const dst = {
      sessionID: 'dst', stationID: 's', connectionTime: 'Sun, 11 Mar 2018 08:30:00 GMT', disconnectTime: 'Sun, 11 Mar 2018 11:30:00 GMT',
      kWhDelivered: 5, timezone: 'America/Los_Angeles', userInputs: null,
    };
    const [s] = parseAcnSessions({ _items: [dst] }, 'dst.json', { bus: 3 });
    expect([s.arrivalH, s.departureH]).toEqual([0.5, 3.5]); // 00:30 PST to 04:30 PDT is 3 h plugged
  });

  it('accepts a bare array of sessions and a file of one date without "date"', () => {
    const oneDay = doc()._items.slice(4);
    expect(parseAcnSessions(oneDay, 'one.json', { bus: 2 }).map((s) => s.id)).toEqual(['2_39_78_362_2018-04-27 15:00:00.200003']);
  });
});

describe('ACN-Data sessions: errors name the file, the session and the field', () => {
  const itemError = (k: number, change: Record<string, unknown>, options: AcnSessionOptions = OPTIONS) => {
    const d = doc();
    d._items[k] = { ...d._items[k], ...change };
    return errorOf(() => parseAcnSessions(d, 'acn.json', options));
  };

  it.each<[string, number, Record<string, unknown>, string, string]>([
    ['a missing connectionTime', 1, { connectionTime: undefined }, 'connectionTime', 'has no value'],
    ['an ISO connectionTime', 1, { connectionTime: '2018-04-25T16:30:00Z' }, 'connectionTime',
      'must be an RFC 1123 date such as "Wed, 25 Apr 2018 11:08:04 GMT", got "2018-04-25T16:30:00Z"'],
    ['a date that does not exist', 1, { disconnectTime: 'Mon, 31 Apr 2018 23:45:00 GMT' }, 'disconnectTime',
      'must be an RFC 1123 date such as "Wed, 25 Apr 2018 11:08:04 GMT", got "Mon, 31 Apr 2018 23:45:00 GMT"'],
    ['a disconnection before the connection', 0, { disconnectTime: 'Wed, 25 Apr 2018 15:00:00 GMT' }, 'disconnectTime',
      '(Wed, 25 Apr 2018 15:00:00 GMT) is not after connectionTime (Wed, 25 Apr 2018 15:08:04 GMT)'],
    ['kWhDelivered as text', 3, { kWhDelivered: '18.25' }, 'kWhDelivered', 'must be an energy >= 0 kWh, got "18.25"'],
    ['a negative kWhDelivered', 4, { kWhDelivered: -1 }, 'kWhDelivered', 'must be an energy >= 0 kWh, got -1'],
    ['an unknown time zone', 0, { timezone: 'Pacific' }, 'timezone', '"Pacific" is not an IANA time zone (e.g. "America/Los_Angeles")'],
    ['no sessionID', 0, { sessionID: '' }, 'sessionID', 'must be text, got ""'],
    ['userInputs that are not a list', 0, { userInputs: { kWhRequested: 5 } }, 'userInputs', 'must be null or an array of user inputs, got [object Object]'],
    ['a user input without modifiedAt', 2, { userInputs: [{ kWhRequested: 30 }] }, 'userInputs[0].modifiedAt', 'has no value'],
    ['a negative kWhRequested', 2, { userInputs: [{ kWhRequested: -30, modifiedAt: 'Thu, 26 Apr 2018 02:01:12 GMT' }] }, 'userInputs[0].kWhRequested',
      'must be an energy >= 0 kWh, got -30'],
  ])('%s', (_, k, change, field, message) => {
    expect(itemError(k, change)).toEqual({ where: `acn.json _items[${k}], field ${field}`, message });
  });

  it('checks the requested departure only when it is used', () => {
    const late = { userInputs: [{ kWhRequested: 5, modifiedAt: 'Wed, 25 Apr 2018 17:00:00 GMT', requestedDeparture: 'Wed, 25 Apr 2018 12:00:00 GMT' }] };
    expect(() => itemError(1, late)).toThrow('expected an InputError');
    expect(itemError(1, late, { ...OPTIONS, departure: 'requested' })).toEqual({
      where: 'acn.json _items[1], field userInputs[0].requestedDeparture',
      message: '(Wed, 25 Apr 2018 12:00:00 GMT) is not after connectionTime (Wed, 25 Apr 2018 16:30:00 GMT)',
    });
  });

  it('names a station without a bus, and both sessions of a duplicate id', () => {
    expect(errorOf(() => readAcnSessionsFile(FIXTURE, { date: '2018-04-25', busByStation: { '2-39-78-362': 7, 'CA-314': 9 } }))).toEqual({
      where: `${FIXTURE} _items[3], field stationID`,
      message: 'station "2-39-91-437" (space "CA-148") has no bus: add it to busByStation, or give "bus" for the stations it leaves out',
    });
    expect(itemError(3, { sessionID: '2_39_78_362_2018-04-25 15:08:04.400812' })).toEqual({
      where: 'acn.json _items[3], field sessionID', message: '"2_39_78_362_2018-04-25 15:08:04.400812" is already the sessionID of _items[0]',
    });
  });

  it('asks for a date when the file spans several, and names a date it does not hold', () => {
    expect(errorOf(() => readAcnSessionsFile(FIXTURE, { bus: 1 }))).toEqual({
      where: FIXTURE, message: 'holds arrivals on 2 local dates (2018-04-25, 2018-04-27): give "date" to choose the day',
    });
    expect(errorOf(() => readAcnSessionsFile(FIXTURE, { bus: 1, date: '2018-04-26' }))).toEqual({
      where: FIXTURE, message: 'has no session arriving on 2018-04-26 (local time): its arrivals run from 2018-04-25 to 2018-04-27 (2 dates)',
    });
  });

  it('refuses a document of another shape, a session that is not an object, and bad options', () => {
    expect(errorOf(() => parseAcnSessions({ sessions: [] }, 'acn.json', OPTIONS)).message).toMatch(/^must be an ACN-Data sessions document: \{ "_items": \[\.\.\.\] \}/);
    expect(errorOf(() => parseAcnSessions({ _items: [3] }, 'acn.json', OPTIONS))).toEqual({ where: 'acn.json _items[0]', message: 'must be an object of ACN session fields, got 3' });
    expect(errorOf(() => parseAcnSessions(doc(), 'acn.json', { date: '2018-04-25' }))).toEqual({ where: 'acn-data option bus', message: 'is needed, or busByStation: every session needs a bus' });
    expect(errorOf(() => parseAcnSessions(doc(), 'acn.json', { ...OPTIONS, date: '25/04/2018' })).where).toBe('acn-data option date');
    expect(errorOf(() => parseAcnSessions(doc(), 'acn.json', { ...OPTIONS, timeZone: 'Mars/Olympus_Mons' })).where).toBe('acn-data option timeZone');
    expect(errorOf(() => parseAcnSessions(doc(), 'acn.json', { ...OPTIONS, targetSoc: 0.95 }, { maxSoc: 0.9 }))).toEqual({
      where: 'acn-data option targetSoc', message: '(0.95) must lie above minSoc (0) and at most maxSoc (0.9)',
    });
    expect(errorOf(() => readAcnSessionsFile('/nonexistent/acn.json', OPTIONS)).message).toMatch(/^cannot be read: ENOENT/);
  });
});
