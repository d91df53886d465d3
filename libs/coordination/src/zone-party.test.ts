import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '@zonal/core';
import { loadZoneParty } from './zone-party';

/** A two-bus zone file whose sessions are one day of an ACN-Data export beside it. */
const DIR = fileURLToPath(new URL('../test/fixtures/acn-zone/', import.meta.url));

/** The fixture zone file with `sessions` changed, written with its ACN file into a directory of its own. */
function zoneWith(sessions: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'zonal-acn-zone-'));
  const zone = JSON.parse(readFileSync(join(DIR, 'zone-1.json'), 'utf8'));
  copyFileSync(join(DIR, 'acn-sessions.json'), join(dir, 'acn-sessions.json'));
  writeFileSync(join(dir, 'zone-1.json'), JSON.stringify({ ...zone, sessions: { ...zone.sessions, ...sessions } }));
  return join(dir, 'zone-1.json');
}

describe('a zone file with ACN-Data sessions', () => {
  it('loads the day\'s sessions from the file beside it, at the mapped buses, with the zone\'s session defaults', () => {
    const party = loadZoneParty(join(DIR, 'zone-1.json'));
    const { fleet } = party.problem;
    expect(fleet.id).toEqual(['2_39_78_362_2018-04-25 15:08:04.400812', '2_39_79_380_2018-04-25 16:30:00.118203', '2_39_79_380_2018-04-26 02:00:00.552311']);
    expect(Array.from(fleet.bus)).toEqual([7, 9, 9]);
    expect(Array.from(fleet.socMin)).toEqual([0.2, 0.2, 0.2]);
    expect(party.problem.eta).toBe(0.95);
    expect(party.excluded).toEqual([]);
  });

  it('refuses a station without a bus by the ACN file, session and field', () => {
    const path = zoneWith({ busByStation: { '2-39-78-362': 7 } });
    let error: unknown;
    try {
      loadZoneParty(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).where).toBe(join(path, '..', 'acn-sessions.json _items[1], field stationID'));
  });

  it('refuses, through the zone file\'s schema, a bus outside the zone and an option out of range', () => {
    expect(() => loadZoneParty(zoneWith({ bus: 3 }))).toThrow(/sessions\.bus: bus 3 is not one of the zone's buses \(7, 9\)/);
    expect(() => loadZoneParty(zoneWith({ targetSoc: 1.2 }))).toThrow(/sessions\.targetSoc: Too big/);
  });
});
