import { afterAll, describe, expect, it } from 'vitest';
import { InfeasibleModelError, shutdownSolver, solve, type ModelBuilder } from '@zonal/solver';
import { buildArea, buildAreaObjectives, outcomeOf, type AreaData, type AreaSchedule, type Directions, type EvSession } from './area-model';
import { DEVIATION_TOL_KW, repair, solveAndRepair } from './repair';
import { weighted, type Normalisation } from './scalarise';

afterAll(() => shutdownSolver());
const solveFn = (m: ModelBuilder) => solve(m);
const opts = { deviationPenaltyYuanPerKwh: 1000, maxResolves: 5 };

function ev(over: Partial<EvSession>): EvSession {
  return { index: 0, id: '1', periods: Int32Array.from([0, 1, 2]), eArrivalKwh: 30, eFloorKwh: 12, eCeilKwh: 60, eTargetKwh: 30, chargeMaxKw: 7, dischargeMaxKw: 7, eta: 0.9, ...over };
}

function area(over: Partial<AreaData>): AreaData {
  const T = over.grid?.periods ?? 3;
  return {
    grid: { periods: T, dtH: 1 }, baseKw: new Float64Array(T).fill(100), priceYuanPerKwh: new Float64Array(T).fill(1), evs: [],
    bess: { capacityKwh: 20, pMaxKw: 0, eta: 0.9, eMinKwh: 2, eMaxKwh: 18, eStartKwh: 10 }, degradationYuanPerKwh: 0.05, peakTieBreakYuanPerKw: 0,
    ...over,
  };
}

/** A feasible LP-like schedule in which EV 1 charges and discharges 5 kW at once in period 0. */
function burning(data: AreaData): AreaSchedule {
  return {
    evChargeKw: [Float64Array.of(5, 5, 5), Float64Array.of(0, 5, 5)], evDischargeKw: [Float64Array.of(5, 0, 0), Float64Array.of(0, 0, 0)],
    bessChargeKw: new Float64Array(data.grid.periods), bessDischargeKw: new Float64Array(data.grid.periods),
  };
}

/**
 * The repair MILP's optimum by brute force over its binaries: every charge-only / discharge-only
 * pattern of every battery-period, each an LP (fixed profile, least degradation).
 */
async function bruteForceRepair(data: AreaData, netKw: Float64Array): Promise<number> {
  const cells: Array<(d: Directions, v: number) => void> = [];
  data.evs.forEach((e, n) => e.periods.forEach((_, k) => cells.push((d, v) => (d.ev[n][k] = v))));
  let best = Infinity;
  for (let mask = 0; mask < 1 << cells.length; mask++) {
    const directions: Directions = { ev: data.evs.map((e) => new Int8Array(e.periods.length)), bess: new Int8Array(data.grid.periods) };
    cells.forEach((set, j) => set(directions, mask & (1 << j) ? 1 : -1));
    const a = buildArea(data, `brute${mask}`, { directions });
    a.net.forEach((p, t) => a.model.addConstraint('fixNet', [t], [p], [1], '=', netKw[t]));
    a.evDischarge.forEach((ds) => ds.forEach((d) => a.model.setObjectiveCoef(d, data.degradationYuanPerKwh * data.grid.dtH)));
    try {
      best = Math.min(best, (await solve(a.model)).objective);
    } catch (e) {
      if (!(e instanceof InfeasibleModelError)) throw e;
    }
  }
  return best;
}

describe('the repair after solving (SPEC §7.4)', () => {
  it('moves an EV\'s burn to a pair of EVs: same profile, no simultaneous charge/discharge, least degradation (brute force)', async () => {
    // Both EVs must end full (target = ceiling), so the 0.95 kWh the burn lost cannot be stored: it
    // must be lost again by one EV charging from the other, at a degradation cost.
    const full = { eArrivalKwh: 50, eTargetKwh: 60, chargeMaxKw: 20, dischargeMaxKw: 20 };
    const data = area({ evs: [ev(full), ev({ ...full, index: 1, id: '2' })] });
    const lp = outcomeOf(data, burning(data));
    expect(lp.simultaneous).toBe(1);
    // 5/0.9 − 5·0.9 = 1.0556 kW burned in period 0.
    expect(lp.netLoadKw[0] - 100).toBeCloseTo(5 / 0.9 - 4.5, 12);
    const fixed = await repair(data, lp.netLoadKw, opts, 'repair', solveFn);
    const out = outcomeOf(data, fixed.schedule);
    expect(fixed.maxDeviationKw).toBeLessThan(DEVIATION_TOL_KW);
    out.netLoadKw.forEach((p, t) => expect(p).toBeCloseTo(lp.netLoadKw[t], 6));
    expect(out.simultaneous).toBe(0);
    const brute = await bruteForceRepair(data, lp.netLoadKw);
    // Hand value: with every EV ending exactly full, charged X and discharged Y kWh obey X − Y = 20 and
    // X/0.9 − 0.9·Y = the profile's EV energy (5/0.9 − 4.5 + 4 · 5/0.9), so Y = 5 kWh: 0.25 yuan.
    const evKwh = 5 / 0.9 - 4.5 + (4 * 5) / 0.9;
    const dischargedKwh = (evKwh - 20 / 0.9) / (1 / 0.9 - 0.9);
    expect(dischargedKwh).toBeCloseTo(5, 9);
    expect(brute).toBeCloseTo(0.05 * dischargedKwh, 6);
    // HiGHS stops within its default relative MIP gap of 1e-4.
    expect(Math.abs(fixed.sol.objective - brute)).toBeLessThanOrEqual(1e-4 * brute + 1e-9);
    expect(out.degradationYuan).toBeCloseTo(fixed.sol.objective, 6);
  });

  it('cannot move a lone battery\'s burn: it reports the least deviation (hand value)', async () => {
    // BESS alone, burning 5 kW each way in period 0: the grid sees 5/0.9 − 4.5 = 1.0556 kW. Exclusive, it
    // can only store that (0.95 kWh) and give it back in period 1 (0.855 kW on the grid), or stay idle
    // (1.0556 kW off in period 0): the least deviation is 0.95 × 0.9 = 0.855 kW.
    const data = area({ grid: { periods: 2, dtH: 1 }, baseKw: Float64Array.of(100, 100), priceYuanPerKwh: Float64Array.of(1, 1), bess: { capacityKwh: 20, pMaxKw: 10, eta: 0.9, eMinKwh: 2, eMaxKwh: 18, eStartKwh: 10 } });
    const s: AreaSchedule = { evChargeKw: [], evDischargeKw: [], bessChargeKw: Float64Array.of(5, 0), bessDischargeKw: Float64Array.of(5, 0) };
    const lp = outcomeOf(data, s);
    const fixed = await repair(data, lp.netLoadKw, opts, 'lone', solveFn);
    expect(fixed.maxDeviationKw).toBeCloseTo(0.95 * 0.9, 6);
    expect(outcomeOf(data, fixed.schedule).simultaneous).toBe(0);
  });

  it('makes a lone burner exclusive (or locks it) and solves again until the profile can be made', async () => {
    // A full BESS under a valley (50 kW then 100 kW): the LP raises the valley by burning in period 0
    // (F3 = 100 − 50 − (10/0.9 − 9) = 47.89 kW); no exclusive schedule can, so F3 = 50 after one re-solve.
    const data = area({ grid: { periods: 2, dtH: 1 }, baseKw: Float64Array.of(50, 100), priceYuanPerKwh: Float64Array.of(1, 1), bess: { capacityKwh: 20, pMaxKw: 10, eta: 0.9, eMinKwh: 2, eMaxKwh: 18, eStartKwh: 18 } });
    const norm: Normalisation = { ideal: [0, 0, 0], nadir: [1, 1, 1], table: [], minRange: 1e-9 };
    const build = (directions: Directions) => (name: string) => buildAreaObjectives(data, name, 'pwl', 8, { directions });
    const first = await weighted(build({ ev: [], bess: new Int8Array(2) }), [0, 0, 1], norm, 'relaxed', solveFn);
    expect(first.weightedObjective).toBeCloseTo(50 - (10 / 0.9 - 9), 6);
    for (const binaries of [true, false]) {
      const run = await solveAndRepair(data, (d, n) => weighted(build(d), [0, 0, 1], norm, n, solveFn), opts, 'valley', solveFn, binaries);
      expect(run.resolves).toBe(1);
      expect(run.burnsSeen).toBe(1);
      expect(run.fixed.maxDeviationKw).toBeLessThan(DEVIATION_TOL_KW);
      const out = outcomeOf(data, run.fixed.schedule);
      expect(out.simultaneous).toBe(0);
      expect(out.peakValleyKw).toBeCloseTo(50, 6);
      expect(run.lp.weightedObjective).toBeCloseTo(50, 6);
    }
  });
});
