import { describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { checkSchedules } from './checkSchedules';
import { Fleet } from './fleet';
import { sampleDefaultFleet } from './sampling';
import { evScheduleByPeriod, netKwByPeriod } from './schedules';
import { uncoordinatedProfile } from './uncoordinated';
import { DEFAULT_FLEET_PARAMS, ev } from './testing/fixtures';

const hourly = { periods: 24, dtH: 1 };

describe('uncoordinated charging: full power on arrival until the target', () => {
  it('charges 7 then 5 kW for a 12 kWh need from 18:00, grid side divided by eta', () => {
    const fleet = Fleet.fromSpecs([ev({ socArrival: 0.7, bus: 5 })]);
    const u = uncoordinatedProfile(fleet, hourly);
    const expected = new Float64Array(24);
    expected[18] = 7;
    expected[19] = 5;
    expect(u.batteryKw).toEqual(expected);
    expect(u.gridKw[18]).toBeCloseTo(7 / 0.95, 12);
    expect(u.gridKw[19]).toBeCloseTo(5 / 0.95, 12);
    expect(u.gridKwByBus.get(5)).toEqual(u.gridKw);
  });

  it('wraps past midnight and charges the exact remainder in the last period (15-minute grid)', () => {
    // Arrives 22:40 -> plugged from 22:45; 20 kWh at 7 kW = 2 h 51 min 26 s.
    const fleet = Fleet.fromSpecs([ev({ arrivalH: 22 + 2 / 3, departureH: 30, socArrival: 0.9 - 20 / 60 })]);
    const u = uncoordinatedProfile(fleet, { periods: 96, dtH: 0.25 });
    const { chargeKw } = evScheduleByPeriod(u.schedules, 0);
    const on = [...chargeKw.keys()].filter((t) => chargeKw[t] > 0);
    // 22:45..23:45 is periods 91..95, then 00:00.. is 0..; 11 full quarters = 19.25 kWh, then 0.75 kWh.
    expect(on).toEqual([0, 1, 2, 3, 4, 5, 6, 91, 92, 93, 94, 95]);
    expect(chargeKw[5]).toBe(7);
    expect(chargeKw[6]).toBeCloseTo(0.75 / 0.25, 12);
    expect(chargeKw.reduce((a, b) => a + b, 0) * 0.25).toBeCloseTo(20, 12);
  });

  it('reports an EV that cannot reach its target (it charges its whole stay) and a dropped one', () => {
    const fleet = Fleet.fromSpecs([
      ev({ id: 'short', arrivalH: 5, departureH: 7, socArrival: 0.2 }),
      ev({ id: 'gone', arrivalH: 8.5, departureH: 9.2 }),
    ]);
    const u = uncoordinatedProfile(fleet, hourly);
    expect(u.shortOfTarget.map((p) => p.id)).toEqual(['short']);
    expect(u.dropped.map((p) => p.id)).toEqual(['gone']);
    expect(u.batteryKw[5]).toBe(7);
    expect(u.batteryKw[6]).toBe(7);
    expect(u.batteryKw.reduce((a, b) => a + b, 0)).toBe(14);
  });

  it('gives the default fleet a schedule the independent checker accepts, failing only the EVs reported short', () => {
    const fleet = sampleDefaultFleet(DEFAULT_FLEET_PARAMS, createRng(20251123));
    for (const grid of [hourly, { periods: 96, dtH: 0.25 }]) {
      const u = uncoordinatedProfile(fleet, grid);
      const check = checkSchedules(fleet, grid, u.schedules);
      const failing = new Set(check.violations.map((v) => v.id));
      expect(failing).toEqual(new Set(u.shortOfTarget.map((p) => p.id)));
      expect(check.violationCount).toBe(u.shortOfTarget.length);
      const net = netKwByPeriod(u.schedules);
      for (let t = 0; t < grid.periods; t++) expect(net[t]).toBeCloseTo(u.batteryKw[t], 9);
    }
  });
});
