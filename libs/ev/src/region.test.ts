import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Fleet } from './fleet';
import { aggregateEnvelope, checkEvFeasibility, evRegion } from './region';
import { ev } from './testing/fixtures';
import { randomFeasibleSchedule } from './testing/randomSchedules';
import type { EvSpec } from './types';

const hourly = { periods: 24, dtH: 1 };

describe('one EV region', () => {
  it('lists its plugged periods across midnight and the closed-form box', () => {
    const r = evRegion(ev({ arrivalH: 22, departureH: 26, socArrival: 0.5, socTarget: 0.7, v2g: true, pDischargeMaxKw: 7 }), hourly);
    expect(Array.from(r.periods)).toEqual([22, 23, 0, 1]);
    // 30 kWh at arrival, 42 kWh target, [12, 60] kWh, 7 kW each way.
    expect(Array.from(r.eMaxKwh)).toEqual([30, 37, 44, 51, 58]);
    // Lower: max(12, 30 - 7j, 42 - 7(4 - j)).
    expect(Array.from(r.eMinKwh)).toEqual([30, 23, 28, 35, 42]);
    expect([r.pMinKw, r.pMaxKw, r.problem]).toEqual([-7, 7, null]);
  });

  it('explains why an EV cannot be scheduled, or says nothing', () => {
    expect(checkEvFeasibility(ev(), hourly)).toBeNull();
    expect(checkEvFeasibility(ev({ id: '7', arrivalH: 5, departureH: 7, socArrival: 0.2 }), hourly))
      .toBe('EV 7 cannot reach 90% SOC by 07:00: needs 42 kWh, can charge 14 kWh');
  });
});

/**
 * Brute force: every trajectory whose steps are whole kWh (all data are whole kWh and dt = 1 h, so
 * the extremes are reached by such trajectories), and the min/max of the energy gained since 00:00
 * at each boundary of the periodic day.
 */
function bruteForceCumulative(e: EvSpec, a: number, L: number): { lo: number[]; hi: number[] } | null {
  const eArr = Math.round(e.socArrival * e.capacityKwh), eMin = Math.round(e.socMin * e.capacityKwh);
  const eMax = Math.round(e.socMax * e.capacityKwh), eDep = Math.max(Math.round(e.socTarget * e.capacityKwh), eMin);
  const C = e.pChargeMaxKw, D = e.v2g ? e.pDischargeMaxKw : 0;
  const lo = new Array<number>(25).fill(Infinity), hi = new Array<number>(25).fill(-Infinity);
  const steps = new Array<number>(L);
  let any = false;
  const visit = (j: number, g: number): void => {
    if (j === L) {
      if (g < eDep) return;
      any = true;
      let x = 0;
      for (let k = 0; k <= 24; k++) {
        lo[k] = Math.min(lo[k], x);
        hi[k] = Math.max(hi[k], x);
        const sj = (((k - a) % 24) + 24) % 24;
        if (k < 24 && sj < L) x += steps[sj];
      }
      return;
    }
    for (let step = -D; step <= C; step++) {
      const next = g + step;
      if (next < eMin || next > eMax) continue;
      steps[j] = step;
      visit(j + 1, next);
    }
  };
  visit(0, eArr);
  return any ? { lo, hi } : null;
}

const wholeKwhEv = fc.record({
  capacity: fc.integer({ min: 6, max: 14 }),
  floor: fc.integer({ min: 0, max: 3 }),
  arrival: fc.integer({ min: 0, max: 14 }),
  target: fc.integer({ min: 0, max: 14 }),
  ceilGap: fc.integer({ min: 0, max: 2 }),
  c: fc.integer({ min: 1, max: 3 }),
  d: fc.integer({ min: 0, max: 2 }),
  start: fc.oneof(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 19, max: 23 })),
  length: fc.integer({ min: 1, max: 5 }),
}).map((r) => {
  const cap = r.capacity, ceil = cap - r.ceilGap, floor = Math.min(r.floor, ceil);
  const arrival = floor + (r.arrival % (ceil - floor + 1)), target = r.target % (ceil + 1);
  return {
    spec: ev({
      capacityKwh: cap, socMin: floor / cap, socMax: ceil / cap, socArrival: arrival / cap, socTarget: target / cap,
      pChargeMaxKw: r.c, pDischargeMaxKw: r.d, v2g: r.d > 0, arrivalH: r.start, departureH: r.start + r.length,
    }),
    start: r.start, length: r.length,
  };
});

describe('aggregate envelope', () => {
  it('bounds each EV exactly: equal to the brute-force extremes of every whole-kWh trajectory (wrapping and V2G)', () => {
    fc.assert(fc.property(wholeKwhEv, ({ spec, start, length }) => {
      const env = aggregateEnvelope(Fleet.fromSpecs([spec]), hourly);
      const brute = bruteForceCumulative(spec, start, length);
      if (!brute) {
        expect(env.excluded).toHaveLength(1);
        return;
      }
      expect(env.excluded).toHaveLength(0);
      for (let k = 0; k <= 24; k++) {
        expect(env.eMinKwh[k]).toBeCloseTo(brute.lo[k], 9);
        expect(env.eMaxKwh[k]).toBeCloseTo(brute.hi[k], 9);
      }
    }), { numRuns: 300 });
  });

  it('holds every sum of feasible per-EV schedules (outer approximation), on hourly and 15-minute grids', () => {
    const fleetArb = fc.array(wholeKwhEv.map((e) => e.spec), { minLength: 1, maxLength: 6 });
    fc.assert(fc.property(fleetArb, fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.boolean(), (specs, seed, quarter) => {
      const fleet = Fleet.fromSpecs(specs.map((s, i) => ({ ...s, id: String(i) })));
      const grid = quarter ? { periods: 96, dtH: 0.25 } : hourly;
      const env = aggregateEnvelope(fleet, grid);
      const netKw = new Float64Array(grid.periods);
      for (let i = 0; i < fleet.size; i++) {
        if (env.excluded.some((p) => p.index === i)) continue;
        const sched = randomFeasibleSchedule(fleet, i, grid, seed + i);
        sched.forEach((p) => (netKw[p.period] += p.chargeKw - p.dischargeKw));
      }
      let e = 0;
      for (let t = 0; t <= grid.periods; t++) {
        expect(e).toBeGreaterThanOrEqual(env.eMinKwh[t] - 1e-9);
        expect(e).toBeLessThanOrEqual(env.eMaxKwh[t] + 1e-9);
        if (t === grid.periods) break;
        expect(netKw[t]).toBeGreaterThanOrEqual(env.pMinKw[t] - 1e-9);
        expect(netKw[t]).toBeLessThanOrEqual(env.pMaxKw[t] + 1e-9);
        e += netKw[t] * grid.dtH;
      }
    }), { numRuns: 200 });
  });

  it('sums two EVs by hand: power limits per period and energy bounds at boundaries', () => {
    const fleet = Fleet.fromSpecs([
      ev({ id: 'home', arrivalH: 22, departureH: 26, socArrival: 0.5, socTarget: 0.7, v2g: true, pDischargeMaxKw: 7 }),
      ev({ id: 'work', arrivalH: 1, departureH: 3, socArrival: 0.8, socTarget: 0.9, eta: 0.9 }),
    ]);
    const env = aggregateEnvelope(fleet, hourly);
    expect([env.pMaxKw[22], env.pMinKw[22], env.pMaxKw[1], env.pMinKw[1], env.pMaxKw[2], env.pMaxKw[5]]).toEqual([7, -7, 14, -7, 7, 0]);
    expect(env.pChargeMaxGridKw[1]).toBeCloseTo(7 / 0.95 + 7 / 0.9, 12);
    expect(env.pDischargeMaxGridKw[1]).toBeCloseTo(7 * 0.95, 12);
    // 'work': 48 kWh, needs 6, room 12, periods 1-2: gained 0 until 01:00, [0, 7] at 02:00, [6, 12] from 03:00.
    // 'home' wraps (a = 22, L = 4, midnight is session boundary 2, Gmin = 30 23 28 35 42, Gmax = 30 37 44 51 58):
    //   01:00: [max(35 - 44, -7), min(51 - 28, 7)] = [-7, 7]; 02:00 to 22:00: [max(42 - 44, -14), min(58 - 28, 14)] = [-2, 14];
    //   23:00 (m = 1): hi = 37 - max(28, 37 - 7) + min(58 - 30, 14) = 21, lo = 23 - 30 + max(42 - min(44, 23 + 7), -14) = 5;
    //   24:00: [12, 28], its whole stay's gain.
    const expected: [number, number, number][] = [[0, 0, 0], [1, -7, 7], [2, -2, 21], [3, 4, 26], [22, 4, 26], [23, 11, 33], [24, 18, 40]];
    for (const [k, lo, hi] of expected) expect([k, env.eMinKwh[k], env.eMaxKwh[k]]).toEqual([k, lo, hi]);
  });
});
