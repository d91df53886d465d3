import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aggregateEnvelope, evRegion, Fleet, type EvSpec } from '@zonal/ev';
import { LpExporter, shutdownSolver, solveLpFile } from '@zonal/solver';
import { solveStage, solveTracking, type TrackingInput, type ZoneObjective } from './tracking-lp';
import type { DirectUser, PricedUser } from './users';

afterAll(() => shutdownSolver());
const E = [[-0.21, 0.04, 0.07], [0.02, -0.16, 0.06], [0.01, 0.01, -0.11]];
const grid = { periods: 4, dtH: 1, startH: 0 };

function priced(over: Partial<PricedUser>): PricedUser {
  return {
    index: 0, id: 'u', type: 3, periods: Int32Array.from([0, 1]), priceClass: Int8Array.from([0, 2]), pMaxKw: 7, eta: 1,
    needKwh: 10, shares: [0.5, 0, 0.5], ...over,
  };
}

function input(over: Partial<TrackingInput>): TrackingInput {
  return {
    name: 'track', grid, targetKw: Float64Array.from([0, 10, 0, 0]), fixedKw: new Float64Array(4), priced: [], direct: [],
    pricing: { kind: 'variable', matrix: E, min: -0.5, max: 0.5, weight: 0.01 }, v2gDischargeWeightPerKwh: 0.2, peakTieBreakYuanPerKw: 0,
    ...over,
  };
}

describe('L1 target-tracking LP against hand-solved cases', () => {
  it('one-class user, x fixed: 7 kWh over two valley hours against a 5 kW target costs 3 kWh of deviation', async () => {
    const u = priced({ type: 1, priceClass: Int8Array.from([2, 2]), needKwh: 7, shares: [0, 0, 1] });
    const r = await solveTracking({
      ...input({ targetKw: Float64Array.from([5, 5, 0, 0]), priced: [u], pricing: { kind: 'fixed', matrix: E, x: [0, 0, 0], weight: 0.01 } }),
    }, undefined);
    expect(r.objective).toBeCloseTo(3, 6);
    expect(r.deviationKwh).toBeCloseTo(3, 6);
  });

  it('pricing: a user parked one peak and one valley hour, the target all in the valley', async () => {
    // E_p(x) = 5 + 5 (-0.11 x_p + 0.015 x_o + 0.09 x_v): each term lowers the deviation 2 E_p by far more than
    // the 0.01 price weight, so x = (+0.5, -0.5, -0.5), E_p = 4.4625, deviation 8.925, objective 8.925 + 0.015.
    const r = await solveTracking({ ...input({}), priced: [priced({})] }, undefined);
    expect(r.x[0]).toBeCloseTo(0.5, 9);
    expect(r.x[1]).toBeCloseTo(-0.5, 9);
    expect(r.x[2]).toBeCloseTo(-0.5, 9);
    expect(r.pricedChargeKw[0][0]).toBeCloseTo(4.4625, 9);
    expect(r.objective).toBeCloseTo(8.94, 9);
  });

  it('no fixed price change (a grid of 27) beats the pricing optimum, which equals the fixed-x LP at its own x', async () => {
    const users = [priced({}), priced({ index: 1, id: 'w', periods: Int32Array.from([1, 2, 3]), priceClass: Int8Array.from([2, 1, 1]), needKwh: 6, shares: [0, 2 / 3, 1 / 3] })];
    const target = Float64Array.from([2, 8, 3, 1]);
    const best = await solveTracking({ ...input({}), targetKw: target, priced: users }, undefined);
    const steps = [-0.5, 0, 0.5];
    for (const xp of steps) for (const xo of steps) for (const xv of steps) {
      const r = await solveTracking({ ...input({}), targetKw: target, priced: users, pricing: { kind: 'fixed', matrix: E, x: [xp, xo, xv], weight: 0.01 } }, undefined);
      expect(r.objective).toBeGreaterThanOrEqual(best.objective - 1e-7);
    }
    const again = await solveTracking({ ...input({}), targetKw: target, priced: users, pricing: { kind: 'fixed', matrix: E, x: best.x, weight: 0.01 } }, undefined);
    expect(again.objective).toBeCloseTo(best.objective, 6);
  });

  it('a V2G user fills a valley from a peak without charging and discharging at once; GLPK and CBC agree', async () => {
    const spec: EvSpec = {
      id: 'v', arrivalH: 0, departureH: 4, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 0.95,
      socMin: 0.2, socMax: 1, socArrival: 0.5, socTarget: 0.5, v2g: true,
    };
    const direct: DirectUser[] = [{ index: 0, id: 'v', type: 1, region: evRegion(spec, grid), eta: 0.95 }];
    const dir = mkdtempSync(join(tmpdir(), 'zonal-ep-'));
    const exporter = new LpExporter(dir, 'elasticity-pricing');
    // Base load 10, 0, 10, 0 against a flat 5 kW target: discharge into the two peaks, recharge in the troughs.
    const r = await solveTracking({
      ...input({}), targetKw: new Float64Array(4).fill(5), fixedKw: Float64Array.from([10, 0, 10, 0]), direct,
      pricing: { kind: 'fixed', matrix: E, x: [0, 0, 0], weight: 0.01 },
    }, exporter);
    r.directChargeKw[0].forEach((c, j) => expect(Math.min(c, r.directDischargeKw[0][j])).toBeLessThan(1e-9));
    expect(r.deviationKwh).toBeLessThan(20); // doing nothing deviates 20 kWh
    for (const solver of ['glpsol', 'cbc'] as const) {
      const ext = solveLpFile(exporter.files[0], solver);
      expect(ext.status, ext.output).toBe('optimal');
      expect(ext.objective!).toBeCloseTo(r.objective, 6);
    }
  });
});

describe('the negotiation objective (zone cost + one-sided excess over PZ, SPEC §7.1) against hand-solved cases', () => {
  // One valley user, 7 kWh over hours 0–1 at up to 7 kW; the zone's base load is 0; price 0.3 then 0.5.
  const u = priced({ type: 1, priceClass: Int8Array.from([2, 2]), needKwh: 7, shares: [0, 0, 1] });
  const spec: EvSpec = {
    id: 'u', arrivalH: 0, departureH: 2, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 1,
    socMin: 0.2, socMax: 1, socArrival: 0.5, socTarget: 0.5 + 7 / 60, v2g: false,
  };
  const zone = {
    zoneId: 1, grid, baseNetLoadKw: new Float64Array(4), envelope: aggregateEnvelope(Fleet.fromSpecs([spec]), grid), envelopeGroups: [], eta: 1,
    degradationYuanPerKwh: 0.05, peakTieBreakYuanPerKw: 0,
  };
  const objective = (over: Partial<ZoneObjective>): ZoneObjective => ({
    kind: 'zone', zone, targetKw: Float64Array.from([3, 10, 10, 10]), excessPenaltyYuanPerKwh: 1.68,
    pricesYuanPerKwh: Float64Array.from([0.3, 0.5, 1, 1]), fixedEvKw: new Float64Array(4), ...over,
  });
  const stage = (o: ZoneObjective) => solveStage({
    name: 'zone', grid, fixedKw: new Float64Array(4), priced: [u], direct: [], pricing: { kind: 'fixed', matrix: E, x: [0, 0, 0], weight: 0.01 },
    peakTieBreakYuanPerKw: 0, objective: o,
  }, undefined);

  it('PZ 3 kW in the cheap hour: 3 kWh there and 4 in the dear one (0.9 + 2.0 = 2.9 yuan), since 0.3 + 1.68 > 0.5', async () => {
    const r = await stage(objective({}));
    expect(r.pricedChargeKw[0][0]).toBeCloseTo(3, 9);
    expect(r.pricedChargeKw[0][1]).toBeCloseTo(4, 9);
    expect(r.objective).toBeCloseTo(2.9, 9);
    expect(r.excessKwh).toBeCloseTo(0, 9);
  });

  it('the penalty is one-sided and priced: at w_cg 0.1 all 7 kWh go to the cheap hour (2.1 + 0.1 × 4 = 2.5 yuan); under PZ nothing is paid back', async () => {
    const cheap = await stage(objective({ excessPenaltyYuanPerKwh: 0.1 }));
    expect(cheap.pricedChargeKw[0][0]).toBeCloseTo(7, 9);
    expect(cheap.objective).toBeCloseTo(2.5, 9);
    expect(cheap.excessKwh).toBeCloseTo(4, 9);
    // A PZ far above the load: the cost alone, as if there were no target (an L1 target would pay for the room).
    const free = await stage(objective({ targetKw: new Float64Array(4).fill(100) }));
    expect(free.objective).toBeCloseTo(2.1, 9);
  });

  it('fixed EV power from earlier stages counts toward P_zone: 2 kW already drawn in hour 0 leaves 1 kW under PZ there', async () => {
    const r = await solveStage({
      name: 'zone', grid, fixedKw: Float64Array.from([2, 0, 0, 0]), priced: [u], direct: [], pricing: { kind: 'fixed', matrix: E, x: [0, 0, 0], weight: 0.01 },
      peakTieBreakYuanPerKw: 0, objective: objective({ fixedEvKw: Float64Array.from([2, 0, 0, 0]) }),
    }, undefined);
    expect(r.pricedChargeKw[0][0]).toBeCloseTo(1, 9);
    expect(r.objective).toBeCloseTo(0.3 * 3 + 0.5 * 6, 9); // the earlier 2 kWh are on the zone's bill too
  });
});
