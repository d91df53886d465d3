import { describe, expect, it } from 'vitest';
import { Fleet } from './fleet';
import { createRng } from '@zonal/core';
import { problems, sessions, storedMaxKwh, storedMinKwh, subsetSessions } from './session';
import { sampleDefaultFleet } from './sampling';
import { DEFAULT_FLEET_PARAMS } from './testing/fixtures';
import { ev } from './testing/fixtures';

describe('EVs left out are reported with a reason (SPEC §9)', () => {
  it('words the SPEC example exactly: needs 38 kWh, can charge 31 kWh by 07:15', () => {
    // 16 periods of 15 min x 7.75 kW = 31 kWh; 0.9 x 60 - 16 = 38 kWh.
    const fleet = Fleet.fromSpecs([ev({ id: '1234', arrivalH: 3.25, departureH: 7.3, socArrival: 16 / 60, pChargeMaxKw: 7.75 })]);
    const [p] = problems(fleet, sessions(fleet, { periods: 96, dtH: 0.25 }));
    expect(p).toEqual({ index: 0, id: '1234', kind: 'target-unreachable', message: 'EV 1234 cannot reach 90% SOC by 07:15: needs 38 kWh, can charge 31 kWh' });
  });

  it('adds decimals when the rounded numbers would look equal', () => {
    const fleet = Fleet.fromSpecs([ev({ id: 'x', arrivalH: 3, departureH: 4, socArrival: 0.2, socTarget: 0.3167, pChargeMaxKw: 7 })]);
    expect(problems(fleet, sessions(fleet, { periods: 24, dtH: 1 }))[0].message).toBe(
      'EV x cannot reach 31.7% SOC by 04:00: needs 7.002 kWh, can charge 7 kWh');
  });

  it('reports a stay with no whole period and one outside a horizon, and keeps the rest', () => {
    const fleet = Fleet.fromSpecs([ev({ id: 's', arrivalH: 8.5, departureH: 9.7 }), ev({ id: 'ok' }), ev({ id: 'o', arrivalH: 19.5, departureH: 30 })]);
    expect(problems(fleet, sessions(fleet, { periods: 24, dtH: 1 })).map((p) => p.message)).toEqual([
      'EV s is parked 08:30–09:42, which holds no whole 60-minute period: dropped',
    ]);
    const night = Fleet.fromSpecs([ev({ id: 's', arrivalH: 21 + 1 / 6, departureH: 21.6 }), ev({ id: 'ok', arrivalH: 20, departureH: 32 }), ev({ id: 'o', arrivalH: 19.5, departureH: 30 })]);
    expect(problems(night, sessions(night, { periods: 24, dtH: 0.5, startH: 20 })).map((p) => p.message)).toEqual([
      'EV s is parked 21:10–21:36, which holds no whole 30-minute period: dropped',
      'EV o is parked 19:30–06:00, beyond the 12 h horizon from 20:00: dropped',
    ]);
  });
});

describe('closed-form energy boundaries (seed 003 §3.2)', () => {
  it('gives the hand values of a V2G EV: 60 kWh, 30 kWh at arrival, 7 kW each way, target 54 kWh in 13 h', () => {
    const fleet = Fleet.fromSpecs([ev({ v2g: true, pDischargeMaxKw: 7, socArrival: 0.5 })]);
    const s = sessions(fleet, { periods: 24, dtH: 1 });
    expect(s.length[0]).toBe(13);
    // Upper: 30 + 7j capped at 60. Lower: max(12, 30 - 7j, 54 - 7(13 - j)).
    expect([0, 1, 4, 5, 13].map((j) => storedMaxKwh(s, 0, j))).toEqual([30, 37, 58, 60, 60]);
    expect([0, 1, 2, 3, 7, 8, 9, 10, 13].map((j) => storedMinKwh(s, 0, j))).toEqual([30, 23, 16, 12, 12, 19, 26, 33, 54]);
  });
});

describe('sessions of a subset and of a rotated day', () => {
  const fleet = sampleDefaultFleet({ ...DEFAULT_FLEET_PARAMS, count: 500 }, createRng(9));
  const grid = { periods: 96, dtH: 0.25 };

  it('subsetSessions gives what sessions gives for that subset of the fleet', () => {
    const indices = Int32Array.from({ length: 120 }, (_, k) => (k * 37) % fleet.size);
    expect(subsetSessions(sessions(fleet, grid), indices)).toEqual(sessions(Fleet.subset(fleet, indices), grid));
  });

  it('shiftPeriods gives what sessions gives for the fleet with its stays moved back by those periods', () => {
    const shift = Int32Array.from({ length: fleet.size }, (_, i) => (i * 13) % grid.periods);
    const moved = Fleet.subset(fleet, Array.from({ length: fleet.size }, (_, i) => i));
    for (let i = 0; i < fleet.size; i++) {
      moved.arrivalH[i] -= shift[i] * grid.dtH;
      moved.departureH[i] -= shift[i] * grid.dtH;
    }
    expect(sessions(fleet, grid, shift)).toEqual(sessions(moved, grid));
  });
});
