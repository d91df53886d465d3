import { describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { checkSchedules, pluggedPeriods } from './checkSchedules';
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

describe('checkSchedules and the SOC-dependent limit (seed 000 §4, SPEC §6)', () => {
  /** 60 kWh, 7 kW each way below 48 kWh, 3.5 kW charging (and, by the same ratio, discharging) above. */
  const curved = (id: string, socArrival: number, v2g = false): Fleet => Fleet.fromSpecs([ev({
    id, arrivalH: 22, departureH: 26, socArrival, socTarget: 0.9, v2g, pDischargeMaxKw: v2g ? 7 : 0,
    socDependent: { breakpointKwh: 48, pAboveKw: 3.5 },
  })]);

  it('accepts a schedule that follows the curve, switching limit mid-period (42 -> 48.5 -> 52 -> 54 -> 54 kWh)', () => {
    // 6/7 h at 7 kW to the breakpoint, then 1/7 h at 3.5 kW: 6.5 kWh in the first hour.
    expect(messages(schedule([6.5, 3.5, 2, 0]), curved('c', 0.7))).toEqual([]);
  });

  it('flags charging at pChargeMax above the breakpoint, naming the EV, the period and the numbers', () => {
    expect(messages(schedule([7, 0, 0, 0]), curved('c', 0.85))).toEqual([
      'EV c: period 22: charges 7 kW from 51 to 58 kWh, above the 54.5 kWh its SOC-dependent limit allows (7 kW below 48 kWh, 3.5 kW above)',
    ]);
    expect(messages(schedule([7, 3, 2, 0]), curved('c', 0.7))[0]).toMatch(/^EV c: period 22: charges 7 kW from 42 to 49 kWh, above the 48\.5\d* kWh/);
  });

  it('cuts discharging above the breakpoint by the same ratio (3.5 kW of 7)', () => {
    expect(messages(schedule([0, 3.5, 3.5, 3.5], [4, 0, 0, 0]), curved('d', 0.85, true))).toEqual([]);
    expect(messages(schedule([0, 3.5, 3.5, 3.5], [7, 0, 0, 0]), curved('d', 0.85, true))).toEqual([
      'EV d: period 22: discharges 7 kW from 51 to 44 kWh, below the 47 kWh its SOC-dependent limit allows (7 kW below 48 kWh, 3.5 kW above)',
    ]);
  });

  it('agrees with the SPEC rows where they are exact: 120 kWh, 160/40 kW at 100 kWh, dt 0.5 h, 90 -> at most 75 + 20 + 22.5 = 117.5 kWh', () => {
    const spec = Fleet.fromSpecs([ev({
      id: 's', arrivalH: 0, departureH: 1, capacityKwh: 120, pChargeMaxKw: 160, socArrival: 0.75, socTarget: 0.75,
      socDependent: { breakpointKwh: 100, pAboveKw: 40 },
    })]);
    const halfHourly = (chargeKw: number[]): string[] => checkSchedules(spec, { periods: 48, dtH: 0.5 }, {
      periods: 48, start: Int32Array.of(0), offset: Int32Array.of(0, 2), chargeKw: Float64Array.from(chargeKw), dischargeKw: new Float64Array(2),
    }).violations.map((v) => v.message);
    expect(halfHourly([55, 5])).toEqual([]);
    expect(halfHourly([55.2, 0])[0]).toMatch(/^EV s: period 0: charges 55.2 kW from 90 to 117.6 kWh, above the 117.5 kWh/);
  });

  it('accepts leaving out an EV that only the curve keeps from its target', () => {
    const none: EvSchedules = { periods: 24, start: Int32Array.of(-1), offset: Int32Array.of(0, 0), chargeKw: new Float64Array(0), dischargeKw: new Float64Array(0) };
    // 18 kWh + 9 h x 7 kW would reach 54 kWh; at 1 kW above 30 kWh it reaches about 37.
    const slow = Fleet.fromSpecs([ev({ id: 'slow', socDependent: { breakpointKwh: 30, pAboveKw: 1 } })]);
    expect(checkSchedules(slow, grid, none)).toMatchObject({ ok: true, leftOutEvs: 1 });
    const fast = Fleet.fromSpecs([ev({ id: 'fast', socDependent: { breakpointKwh: 50, pAboveKw: 1 } })]);
    expect(messages(none, fast)).toEqual([expect.stringMatching(/^EV fast: left without a schedule although it can reach 54 kWh/)]);
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

describe('pluggedPeriods: each period tested on its own, in time order from arrival', () => {
  /** The straightforward way: every period's hours since arrival, kept if the period fits, sorted. */
  function reference(fleet: Fleet, i: number, grid: { periods: number; dtH: number; startH?: number }): number[] {
    const wrapDay = (h: number): number => {
      let m = h % 24;
      if (m < 0) m += 24;
      return m >= 24 - 1e-9 ? 0 : m;
    };
    const { periods, dtH } = grid, startH = grid.startH ?? 0;
    const stayH = fleet.departureH[i] - fleet.arrivalH[i];
    if (Math.abs(periods * dtH - 24) >= 1e-9 && Math.floor((wrapDay(fleet.arrivalH[i] - startH) + stayH) / dtH + 1e-9) > periods) return [];
    const inside: { t: number; h: number }[] = [];
    for (let t = 0; t < periods; t++) {
      const h = wrapDay(startH + t * dtH - fleet.arrivalH[i]);
      if (h + dtH <= stayH + 1e-9) inside.push({ t, h });
    }
    return inside.sort((a, b) => a.h - b.h).map((p) => p.t);
  }

  it('matches the sort of every period on random stays, whole and fractional, over periodic days and shorter horizons', () => {
    const rng = createRng(17);
    const specs = Array.from({ length: 3000 }, (_, i) => {
      const arrivalH = rng.next() < 0.5 ? Math.floor(rng.next() * 96) / 4 : (rng.next() - 0.25) * 30;
      return ev({ id: String(i), arrivalH, departureH: arrivalH + (rng.next() < 0.1 ? rng.next() * 0.6 : rng.next() * 23.9) });
    });
    const fleet = Fleet.fromSpecs(specs);
    for (const grid of [{ periods: 24, dtH: 1 }, { periods: 96, dtH: 0.25 }, { periods: 24, dtH: 0.5, startH: 20 }, { periods: 7, dtH: 1.5, startH: 3.25 }]) {
      const since = new Float64Array(grid.periods), out = new Int32Array(grid.periods);
      for (let i = 0; i < fleet.size; i++) {
        const count = pluggedPeriods(fleet, i, grid, since, out);
        expect(Array.from(out.subarray(0, count))).toEqual(reference(fleet, i, grid));
      }
    }
  });
});
