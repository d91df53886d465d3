import { afterAll, describe, expect, it } from 'vitest';
import loadHighs from 'highs';
import { InputError } from '@zonal/core';
import { checkSchedules, disaggregate, Fleet, netKwByPeriod, uncoordinatedProfile, type EvSchedules, type EvSpec, type TimeGrid } from '@zonal/ev';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { solveCentralised } from './centralised';
import { batteryKwOfGridKw, deliverZone, deliverZoneSchedules, feasibleEvCount, type ZoneDelivery } from './deliver';
import { buildSimSetup } from './harness';

afterAll(() => shutdownSolver());

const highs = await loadHighs();
const sum = (xs: ArrayLike<number>): number => Array.from(xs).reduce((a, b) => a + b, 0);
const positivePart = (xs: ArrayLike<number>): number => sum(Array.from(xs, (x) => Math.max(0, x)));

/** Plugged day periods of EV `i` as its schedule holds them (checkSchedules proves them against the EV's window). */
function periodsOf(s: EvSchedules, i: number): number[] {
  return Array.from({ length: s.offset[i + 1] - s.offset[i] }, (_, j) => (s.start[i] + j) % s.periods);
}

/**
 * Reference: the least total deviation sum_t |request[t] − Σ_i (c − d)[t]| · dt over every set of
 * per-EV schedules that keeps each EV within its power limits, its [socMin, socMax] energy and its
 * departure target, as an LP solved by HiGHS (independent of the max-flow code). It lets an EV charge
 * and discharge at once, so it is a lower bound on what any feasible set of schedules can do.
 */
function minimumDeviationKwh(fleet: Fleet, grid: TimeGrid, requestKw: ArrayLike<number>, s: EvSchedules): number {
  const dt = grid.dtH, rows: string[] = [], bounds: string[] = [], perPeriod: string[][] = Array.from({ length: grid.periods }, () => []);
  for (let i = 0; i < fleet.size; i++) {
    const periods = periodsOf(s, i), cap = fleet.capacityKwh[i];
    if (!periods.length) continue;
    const eArr = fleet.socArrival[i] * cap, eDep = Math.max(fleet.socTarget[i], fleet.socMin[i]) * cap;
    periods.forEach((t, k) => {
      const [c, d, e] = [`c_${i}_${k}`, `d_${i}_${k}`, `e_${i}_${k}`];
      bounds.push(`0 <= ${c} <= ${fleet.pChargeMaxKw[i]}`, `0 <= ${d} <= ${fleet.v2g[i] ? fleet.pDischargeMaxKw[i] : 0}`,
        `${k === periods.length - 1 ? eDep : fleet.socMin[i] * cap} <= ${e} <= ${fleet.socMax[i] * cap}`);
      rows.push(k === 0 ? `s_${i}_${k}: ${e} - ${dt} ${c} + ${dt} ${d} = ${eArr}` : `s_${i}_${k}: ${e} - e_${i}_${k - 1} - ${dt} ${c} + ${dt} ${d} = 0`);
      perPeriod[t].push(`+ ${c} - ${d}`);
    });
  }
  for (let t = 0; t < grid.periods; t++) rows.push(`p_${t}: ${perPeriod[t].join(' ')} + u_${t} - o_${t} = ${requestKw[t]}`);
  const objective = Array.from({ length: grid.periods }, (_, t) => `+ ${dt} u_${t} + ${dt} o_${t}`).join(' ');
  const r = highs.solve(`Minimize\n obj: ${objective}\nSubject To\n ${rows.join('\n ')}\nBounds\n ${bounds.join('\n ')}\nEnd\n`, { output_flag: false });
  if (r.Status !== 'Optimal') throw new Error(`reference LP: ${r.Status}`);
  return r.ObjectiveValue;
}

/** Grid-side EV power per period, EV by EV: c/eta drawn, d·eta returned (SPEC §2). */
function gridKwByHand(fleet: Fleet, s: EvSchedules): Float64Array {
  const out = new Float64Array(s.periods);
  for (let i = 0; i < fleet.size; i++) {
    periodsOf(s, i).forEach((t, k) => { out[t] += s.chargeKw[s.offset[i] + k] / fleet.eta[i] - s.dischargeKw[s.offset[i] + k] * fleet.eta[i]; });
  }
  return out;
}

function expectDeliveredExactly(d: ZoneDelivery): void {
  expect(d.evsFeasible).toBe(d.evsScheduled);
  expect(d.exact).toBe(true);
  const scaleKwh = 1e-9 * (1 + d.requestedChargeKwh);
  expect(d.shortfallKwh).toBeLessThan(scaleKwh);
  expect(d.overKwh).toBeLessThan(scaleKwh);
  expect(d.gridShortfallKwh).toBeLessThan(scaleKwh);
  expect(d.gridOverKwh).toBeLessThan(scaleKwh);
}

describe('batteryKwOfGridKw: the envelope model\'s grid = c/eta − d·eta, read without simultaneous c and d', () => {
  it('charging: battery = grid·eta; discharging: battery = grid/eta (hand values, eta 0.95)', () => {
    expect(batteryKwOfGridKw(10, 0.95)).toBeCloseTo(9.5, 12);
    expect(batteryKwOfGridKw(-9.5, 0.95)).toBeCloseTo(-10, 12);
    expect(batteryKwOfGridKw(0, 0.95)).toBe(0);
    // Back through the model's definition: c = 9.5, d = 0 draws 10; c = 0, d = 10 returns 9.5.
    expect(9.5 / 0.95).toBeCloseTo(10, 12);
    expect(-10 * 0.95).toBeCloseTo(-9.5, 12);
  });
});

describe('deliverZoneSchedules on small-test', async () => {
  const scenario = loadScenario('small-test');
  const setup = await buildSimSetup(scenario);
  const grid = setup.inputs.grid;
  // The harness's view: each zone's own EVs are its party's, never the DSO's.
  const fleetOf = (k: number) => setup.parties[k].problem.fleet;
  const central = await solveCentralised(setup);
  const deliveries = deliverZoneSchedules(setup, central.zoneEvKw);

  describe('the centralised schedules', () => {
    it('give every zone\'s EVs feasible schedules (checkSchedules again here), and every EV is scheduled or reported', () => {
      expect(deliveries.map((d) => d.zoneId)).toEqual(setup.zones.map((z) => z.id));
      deliveries.forEach((d, k) => {
        const fleet = fleetOf(k);
        const check = checkSchedules(fleet, grid, d.schedules);
        expect(check.violations, `zone ${d.zoneId}`).toEqual([]);
        expect(check.scheduledEvs).toBe(d.evsScheduled);
        expect(d.evsFeasible).toBe(d.evsScheduled);
        expect(d.evsScheduled + d.evsLeftOut).toBe(fleet.size);
        expect(check.leftOutEvs).toBe(d.evsLeftOut);
        expect(d.evsScheduled).toBe(setup.zones[k].envelope.evCount);
      });
      expect(sum(deliveries.map((d) => d.evs))).toBe(scenario.evFleet.count);
    });

    it('ask the EVs for the battery side of each agreed grid value: charge·eta when positive, discharge/eta when negative', () => {
      deliveries.forEach((d, k) => {
        const eta = setup.zones[k].bid.eta;
        central.zoneEvKw[k].forEach((g, t) => {
          expect(d.agreedGridKw[t]).toBe(g);
          // Back through the envelope model's grid = c/eta − d·eta with one of c, d zero.
          const b = d.requestedBatteryKw[t];
          expect(b >= 0 ? b / eta : b * eta).toBeCloseTo(g, 9);
          expect(Math.sign(b)).toBe(Math.sign(g));
        });
      });
    });

    it('report the tracking the schedules deliver (summed again here) and the disaggregation\'s own shortfall', () => {
      deliveries.forEach((d, k) => {
        const fleet = fleetOf(k), dt = grid.dtH;
        const deliveredKw = netKwByPeriod(d.schedules);
        const gapKw = Array.from(d.requestedBatteryKw, (r, t) => r - deliveredKw[t]);
        gapKw.forEach((g, t) => expect(d.shortfallKw[t]).toBeCloseTo(g, 9));
        expect(d.shortfallKwh).toBeCloseTo(positivePart(gapKw) * dt, 6);
        expect(d.overKwh).toBeCloseTo(positivePart(gapKw.map((g) => -g)) * dt, 6);
        expect(d.requestedChargeKwh).toBeCloseTo(positivePart(d.requestedBatteryKw) * dt, 9);
        const own = disaggregate(fleet, grid, d.requestedBatteryKw);
        expect([d.shortfallKwh, d.overKwh]).toEqual([own.underKwh, own.overKwh]);
        const gridKw = gridKwByHand(fleet, d.schedules);
        gridKw.forEach((g, t) => expect(d.deliveredGridKw[t]).toBeCloseTo(g, 9));
        expect(d.gridShortfallKwh).toBeCloseTo(positivePart(Array.from(d.agreedGridKw, (a, t) => a - gridKw[t])) * dt, 6);
        expect(d.gridOverKwh).toBeCloseTo(positivePart(Array.from(d.agreedGridKw, (a, t) => gridKw[t] - a)) * dt, 6);
      });
    });

    it('track as closely as any set of feasible per-EV schedules can (an LP over every EV, by HiGHS)', () => {
      // The aggregate envelope is an outer approximation (SPEC §6), so the agreed schedules can be
      // undeliverable; what is missed must be the least any disaggregation can miss.
      deliveries.forEach((d, k) => {
        const leastKwh = minimumDeviationKwh(fleetOf(k), grid, d.requestedBatteryKw, d.schedules);
        expect(d.shortfallKwh + d.overKwh, `zone ${d.zoneId}`).toBeCloseTo(leastKwh, 5);
      });
    });
  });

  it('deliver a zone aggregate built as the sum of feasible per-EV schedules (uncoordinated charging) exactly', () => {
    const profiles = setup.parties.map((party) => uncoordinatedProfile(party.problem.fleet, grid));
    profiles.forEach((p, k) => expect(checkSchedules(fleetOf(k), grid, p.schedules).violations).toEqual([]));
    const exact = deliverZoneSchedules(setup, profiles.map((p) => p.gridKw));
    exact.forEach((d, k) => {
      expectDeliveredExactly(d);
      expect(d.evsScheduled).toBe(setup.zones[k].envelope.evCount);
      expect(d.requestedChargeKwh).toBeCloseTo(sum(profiles[k].batteryKw) * grid.dtH, 6);
    });
  });

  it('counts EVs whose schedule was broken after the fact as infeasible, one by one', () => {
    const d = deliveries[0], fleet = fleetOf(0);
    const broken: EvSchedules = { ...d.schedules, chargeKw: d.schedules.chargeKw.slice(), dischargeKw: d.schedules.dischargeKw.slice() };
    const [first, second] = Array.from({ length: fleet.size }, (_, i) => i).filter((i) => broken.offset[i + 1] - broken.offset[i] >= 2);
    expect(feasibleEvCount(fleet, grid, broken)).toBe(d.evsScheduled);
    // Several violations on each of two EVs: over the charger limit twice; 100 kW of discharge.
    broken.chargeKw[broken.offset[first]] = fleet.pChargeMaxKw[first] + 1;
    broken.chargeKw[broken.offset[first] + 1] = fleet.pChargeMaxKw[first] + 1;
    broken.chargeKw[broken.offset[second]] = 0;
    broken.dischargeKw[broken.offset[second]] = 100;
    expect(checkSchedules(fleet, grid, broken).violationCount).toBeGreaterThan(2);
    expect(checkSchedules(fleet, grid, broken).ok).toBe(false);
    expect(feasibleEvCount(fleet, grid, broken)).toBe(d.evsScheduled - 2);
  });

  it('names the zone and field of bad input', () => {
    const good = central.zoneEvKw;
    expect(() => deliverZoneSchedules(setup, good.slice(1))).toThrow(new InputError(`has schedules for ${good.length - 1} zones; the setup has ${good.length}`, 'zoneEvKw'));
    const short = good.map((kw, k) => (k === 1 ? kw.slice(1) : kw));
    expect(() => deliverZoneSchedules(setup, short)).toThrow(/zoneEvKw\[1\] \(zone 2\).*has 23 values; the grid has 24 periods/);
    const nan = good.map((kw, k) => (k === 2 ? Float64Array.from(kw, (v, t) => (t === 5 ? NaN : v)) : kw));
    expect(() => deliverZoneSchedules(setup, nan)).toThrow(InputError);
    expect(() => deliverZoneSchedules(setup, nan)).toThrow(/zone 3.*period 5 is NaN/);
  });
});

describe('deliverZone: hand fleet with V2G', () => {
  const hourly: TimeGrid = { periods: 24, dtH: 1 };
  const spec = (o: Partial<EvSpec> & Pick<EvSpec, 'id' | 'arrivalH' | 'departureH' | 'socArrival'>): EvSpec => ({
    capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 0.95, socMin: 0.2, socMax: 1, socTarget: 0.9, v2g: false, ...o,
  });
  // V (V2G): 48 kWh at 17:00, gives 7 kWh at 17:00 and 18:00 (34 kWh), needs 54 by 07:00: 7, 7, 6 at 01-03.
  // W: 30 kWh at 22:00, needs 54 by 06:00: 7, 7, 7, 3 at 22-01. No period mixes charge and discharge.
  const fleet = Fleet.fromSpecs([
    spec({ id: 'V', arrivalH: 17, departureH: 31, socArrival: 0.8, v2g: true }),
    spec({ id: 'W', arrivalH: 22, departureH: 30, socArrival: 0.5 }),
  ]);
  const batteryKw = new Float64Array(24);
  const set = (t: number, kw: number) => { batteryKw[t] += kw; };
  [[17, -7], [18, -7], [1, 7], [2, 7], [3, 6], [22, 7], [23, 7], [0, 7], [1, 3]].forEach(([t, kw]) => set(t, kw));
  const gridKw = batteryKw.map((b) => (b >= 0 ? b / 0.95 : b * 0.95));

  it('delivers the grid-side sum of feasible per-EV schedules exactly, discharge included', () => {
    const d = deliverZone(7, fleet, hourly, 0.95, gridKw);
    expectDeliveredExactly(d);
    expect(d.evsScheduled).toBe(2);
    Array.from(d.deliveredBatteryKw).forEach((kw, t) => expect(kw).toBeCloseTo(batteryKw[t], 9));
    Array.from(d.deliveredGridKw).forEach((kw, t) => expect(kw).toBeCloseTo(gridKw[t], 9));
    expect(d.requestedChargeKwh).toBeCloseTo(7 + 7 + 6 + 7 + 7 + 7 + 3, 9);
  });

  it('reports what it cannot deliver: 21 kW asked at 23:00 of two 7 kW chargers is 7 kWh short, and nothing over', () => {
    // W's 7 kWh of 00:00 asked at 23:00 instead: at most 14 kW there, so at least 7 kWh short; the
    // needs left (W 10, V 13 kWh) are exactly what 01-03 ask (10, 7, 6), so 7 kWh is also enough.
    const asked = gridKw.slice();
    asked[23] = 21 / 0.95;
    asked[0] = 0;
    const d = deliverZone(7, fleet, hourly, 0.95, asked);
    expect(d.evsFeasible).toBe(2);
    expect(d.exact).toBe(false);
    expect(d.shortfallKw[23]).toBeCloseTo(7, 9);
    expect(d.shortfallKwh).toBeCloseTo(7, 9);
    expect(d.overKwh).toBeCloseTo(0, 9);
    expect(d.gridShortfallKwh).toBeCloseTo(7 / 0.95, 9);
    expect(minimumDeviationKwh(fleet, hourly, d.requestedBatteryKw, d.schedules)).toBeCloseTo(7, 9);
  });
});
