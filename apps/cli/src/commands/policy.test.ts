import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadZoneParty } from '@zonal/coordination';
import { expectCleanError, onlyJsonLine, zonal } from '../testing/cli';

const tmp = () => mkdtempSync(join(tmpdir(), 'zonal-policy-cli-'));

describe('zonal policy <name> --zone-file', () => {
  it('writes the multi-objective case as zone 3 with its sessions CSV beside it, and the file loads as a zone', () => {
    const dir = tmp(), out = join(dir, 'zone-3.json');
    const r = zonal('policy', 'multi-objective', '--zone-file', out, '--zone-id', '3', '--buses', '9,10,11,12', '--json');
    expect([r.code, r.stderr]).toEqual([0, '']);
    const o = onlyJsonLine(r.stdout);
    expect(o).toMatchObject({
      policy: 'multi-objective', seed: 20251123, zoneId: 3, buses: [9, 10, 11, 12], time: { periods: 24, dtH: 1 },
      evs: 50, storage: ['bess'], params: { respondMode: 'response' }, sessionsFile: join(dir, 'zone-3-sessions.csv'),
    });
    expect(existsSync(join(dir, 'zone-3-sessions.csv'))).toBe(true);
    const party = loadZoneParty(out);
    expect(party.problem.fleet.size).toBe(50);
    expect(party.problem.resources?.storage[0]).toMatchObject({ energyKwh: 200, powerKw: 100 });
  });

  it('maps the profit night onto the DSO\'s day (--time-periods, default 24) and refuses a grid its SOC-dependent rows do not fit', () => {
    const dir = tmp();
    const r = zonal('policy', 'profit', '--zone-file', join(dir, 'profit.json'), '--zone-id', '2', '--buses', '7,8');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/24 periods of 1 h/);
    expect(r.stdout).toMatch(/note: the case's night \(24 periods of 0\.5 h from 20:00\)/);
    expect(existsSync(join(dir, 'profit-sessions.csv'))).toBe(true);
    expect(loadZoneParty(join(dir, 'profit.json')).problem.fleet.size).toBe(80);
    expectCleanError(zonal('policy', 'profit', '--zone-file', join(dir, 'p96.json'), '--zone-id', '2', '--buses', '7', '--time-periods', '96'),
      /--time-periods: 96 periods are steps of 0\.25 h: EV 1's SOC-dependent charging limit is an exact LP only for steps of at least 0\.5 h/);
    expect(existsSync(join(dir, 'p96.json'))).toBe(false);
  });

  it('refuses bad flags by name, exit 2, no stack trace', () => {
    const out = join(tmp(), 'zone.json');
    const write = (...flags: string[]) => zonal('policy', 'direct-control', '--zone-file', out, ...flags);
    expectCleanError(write('--buses', '9'), /--zone-id: is required with --zone-file/);
    expectCleanError(write('--zone-id', '0', '--buses', '9'), /--zone-id: must be a whole number >= 1, got "0"/);
    expectCleanError(write('--zone-id', '3'), /--buses: is required with --zone-file/);
    expectCleanError(write('--zone-id', '3', '--buses', '9,x'), /--buses: must be a comma-separated list of bus ids/);
    expectCleanError(write('--zone-id', '3', '--buses', '9,9'), /--buses: lists bus 9 twice/);
    expectCleanError(write('--zone-id', '3', '--buses', '9', '--time-periods', '2.5'), /--time-periods: must be a whole number >= 1, got "2\.5"/);
    expectCleanError(write('--zone-id', '3', '--buses', '9', '--export-lp', tmp()), /--export-lp: is not used with --zone-file/);
    expectCleanError(zonal('policy', 'direct-control', '--zone-file', join(tmp(), 'zone.csv'), '--zone-id', '3', '--buses', '9'), /--zone-file: must name the zone file to write, ending in \.json/);
    expectCleanError(zonal('policy', 'direct-control', '--buses', '9'), /--buses: is used only with --zone-file/);
    expect(existsSync(out)).toBe(false);
  });
});
