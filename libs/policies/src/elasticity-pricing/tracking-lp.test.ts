import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evRegion, type EvSpec } from '@zonal/ev';
import { LpExporter, shutdownSolver, solveLpFile } from '@zonal/solver';
import { solveTracking, type TrackingInput } from './tracking-lp';
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
