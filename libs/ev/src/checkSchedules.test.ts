import { describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { checkSchedules } from './checkSchedules';
import { Fleet } from './fleet';
import { sampleDefaultFleet, sampleSeed002Fleet } from './sampling';
import type { EvSchedules } from './schedules';
import { sessions } from './session';
import { DEFAULT_FLEET_PARAMS, SEED002_FLEET_PARAMS, ev } from './testing/fixtures';
import { randomFeasibleSchedules } from './testing/randomSchedules';

const grid = { periods: 24, dtH: 1 };

/** One EV parked 22:00-02:00 (periods 22, 23, 0, 1): 60 kWh, 30 kWh at arrival, 7 kW each way, 42 kWh target. */
const fleet = Fleet.fromSpecs([ev({ id: 'v', arrivalH: 22, departureH: 26, socArrival: 0.5, socTarget: 0.7, v2g: true, pDischargeMaxKw: 7 })]);

function schedule(chargeKw: number[], dischargeKw = [0, 0, 0, 0], start = 22): EvSchedules {
  return { periods: 24, start: Int32Array.of(start), offset: Int32Array.of(0, chargeKw.length), chargeKw: Float64Array.from(chargeKw), dischargeKw: Float64Array.from(dischargeKw) };
}

function messages(s: EvSchedules, f = fleet): string[] {
  return checkSchedules(f, grid, s).violations.map((v) => v.message);
}

describe('checkSchedules, the independent feasibility proof', () => {
  it('accepts a feasible schedule across midnight (30 -> 23 -> 30 -> 37 -> 42 kWh)', () => {
    const r = checkSchedules(fleet, grid, schedule([0, 7, 7, 5], [7, 0, 0, 0]));
    expect(r).toMatchObject({ ok: true, scheduledEvs: 1, violationCount: 0 });
  });

  it('flags each broken rule with the EV and period', () => {
    expect(messages(schedule([7.5, 7, 7, 0]))).toEqual(['EV v: period 22: charges 7.5 kW, above its 7 kW limit']);
    expect(messages(schedule([3, 7, 7, 0], [3, 0, 0, 0]))).toEqual(['EV v: period 22: charges (3 kW) and discharges (3 kW) at once']);
    expect(messages(schedule([0, 0, 0, 7], [7, 7, 7, 0]))).toEqual([
      'EV v: period 0: stored energy 9 kWh falls below socMin (12 kWh)',
      'EV v: leaves with 16 kWh, short of its 42 kWh target',
    ]);
    expect(messages(schedule([0, 0, 7, 7]))).toEqual([]);
    expect(messages(schedule([7, 0, 0, 0]))).toEqual(['EV v: leaves with 37 kWh, short of its 42 kWh target']);
    expect(messages(schedule([7, 7, 7, 0], [0, 0, 0, 8]))).toEqual(['EV v: period 1: discharges 8 kW, above its 7 kW limit']);
    const full = Fleet.fromSpecs([ev({ id: 'f', arrivalH: 22, departureH: 26, socArrival: 0.9, socTarget: 0.9 })]);
    expect(messages(schedule([7, 0, 0, 0]), full)).toEqual([22, 23, 0, 1].map((t) => `EV f: period ${t}: stored energy 61 kWh rises above socMax (60 kWh)`));
    expect(messages(schedule([0, 0, 0, 0], [1, 0, 0, 0]), full)).toEqual([
      'EV f: period 22: discharges 1 kW, above its 0 kW limit',
      'EV f: leaves with 53 kWh, short of its 54 kWh target',
    ]);
  });

  it('refuses a schedule on the wrong periods', () => {
    expect(messages(schedule([7, 7, 0, 0], [0, 0, 0, 0], 21))[0]).toMatch(/covers 4 periods from period 21, but the EV is plugged in for 4 from period 22/);
    expect(messages(schedule([7, 7, 0]))[0]).toMatch(/covers 3 periods/);
  });

  it('accepts leaving out an EV that cannot reach its target, refuses leaving out one that can', () => {
    const none: EvSchedules = { periods: 24, start: Int32Array.of(-1), offset: Int32Array.of(0, 0), chargeKw: new Float64Array(0), dischargeKw: new Float64Array(0) };
    expect(messages(none)).toEqual(['EV v: left without a schedule although it can reach 42 kWh (up to 58 kWh)']);
    const hopeless = Fleet.fromSpecs([ev({ id: 'h', arrivalH: 22, departureH: 23, socArrival: 0.2 })]);
    expect(checkSchedules(hopeless, grid, none)).toMatchObject({ ok: true, leftOutEvs: 1 });
  });
});

describe('the test generator of random feasible schedules', () => {
  it('produces schedules the checker accepts, for sampled fleets on hourly and 15-minute grids', () => {
    for (const f of [sampleDefaultFleet({ ...DEFAULT_FLEET_PARAMS, count: 500 }, createRng(5)), sampleSeed002Fleet(SEED002_FLEET_PARAMS, createRng(5))]) {
      for (const g of [grid, { periods: 96, dtH: 0.25 }]) {
        const s = sessions(f, g);
        const r = checkSchedules(f, g, randomFeasibleSchedules(f, g, 11, (i) => s.problem[i] === 0));
        expect(r.violations).toEqual([]);
        expect(r.scheduledEvs + r.leftOutEvs).toBe(f.size);
      }
    }
  });
});
