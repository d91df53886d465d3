import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { Fleet, type EvSpec } from '@zonal/ev';
import { LpExporter, shutdownSolver, solveLpFile } from '@zonal/solver';
import { solveLevelPair, type MarketPlan, type MarketPrices } from './market-lp';
import { defaultCasePath } from '../cases';
import { drawMarketSamples, marketSamplesFromFleets } from './samples';
import { NEVER } from './willingness';

afterAll(() => shutdownSolver());
const grid = { periods: 24, dtH: 1 };

function ev(over: Partial<EvSpec>): EvSpec {
  return {
    id: 'a', arrivalH: 7, departureH: 23, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 1,
    socMin: 0.2, socMax: 1, socArrival: 0.5, socTarget: 0.9, v2g: true, ...over,
  };
}

/** Flat 0.4 yuan/kWh tariff, DBDR 08–12 then CBDR 13–17, so one day-long stay sees both without wrapping. */
const prices = (over: Partial<MarketPrices> = {}): MarketPrices => ({
  tariffYuanPerKwh: new Float64Array(24).fill(0.4), dbdrPeriods: [8, 9, 10, 11], cbdrPeriods: [13, 14, 15, 16],
  valleyEnergyYuanPerKwh: 0.5, peakEnergyYuanPerKwh: 0.8, capacityYuanPerKwPerH: 0.2, peakRegulationCostYuanPerKwh: 1,
  peakTieBreakYuanPerKw: 0, ...over,
});
const pair = (cbdr: number, dbdr: number) => ({ cbdr, dbdr, cbdrYuanPerKwh: 0.15, dbdrYuanPerKwh: 0.3 });

function noChargeWhileDischarging(plan: MarketPlan): void {
  for (const g of Object.values(plan.groups)) {
    g.chargeKw.forEach((c, t) => expect(Math.min(c, g.dischargeKw[t])).toBeLessThan(1e-7));
  }
}

describe('ancillary level LP against hand-solved cases', () => {
  // One V2G EV, 07:00–23:00, 30 kWh on arrival, 54 kWh (90%) at departure, 12 kWh floor, 7 kW each way,
  // eta 1. Uncoordinated it charges 7, 7, 7, 3 kW at 07–11 (its baseline; 17 kWh of it in 08–12).
  //  DBDR alone: each kWh of peak regulation earns 0.8 + 0.2 capacity - 0.3 incentive = 0.7. It charges
  //    7 kWh at 07 (0.4, bought to be sold at 0.7), discharges 25 kWh in 08–12 (down to the floor) and
  //    recharges 42 kWh afterwards: regulation 17 + 25 = 42 kWh; 0.7 x 42 - 0.4 x (7 + 42) = 9.8.
  //  CBDR alone (charge-only): fill 28 kWh (4 h x 7 kW) in 13–17 at 0.5 + 0.2 - 0.15 - 0.4 = 0.15: 4.2.
  //  Both: 28 of the 42 kWh recharge go into the CBDR window: 29.4 - 2.8 + 0.15 x 28 - 0.4 x 14 = 25.2,
  //    more than the two alone together (14.0): the discharge makes room for paid valley filling.
  const ms = marketSamplesFromFleets([Fleet.fromSpecs([ev({})])], [[0]], [[0]], grid);

  it('DBDR alone: 9.8 yuan', async () => {
    const plan = await solveLevelPair(ms, pair(-1, 0), prices(), undefined);
    expect(plan.objective).toBeCloseTo(9.8, 6);
    expect(plan.books.totalYuan).toBeCloseTo(9.8, 6);
    expect(plan.peakRegulationKw.reduce((a, x) => a + x, 0)).toBeCloseTo(42, 6);
    noChargeWhileDischarging(plan);
  });

  it('CBDR alone: 4.2 yuan, charge-only', async () => {
    const plan = await solveLevelPair(ms, pair(0, -1), prices(), undefined);
    expect(plan.objective).toBeCloseTo(4.2, 6);
    expect(Object.keys(plan.groups)).toEqual(['C']);
    expect(plan.groups.C!.dischargeKw.every((d) => d === 0)).toBe(true);
  });

  it('both: 25.2 yuan, with every row of the books by hand', async () => {
    const plan = await solveLevelPair(ms, pair(0, 0), prices(), undefined);
    expect(plan.objective).toBeCloseTo(25.2, 6);
    const b = plan.books;
    expect(b.energyRevenueYuan).toBeCloseTo(0.8 * 42 + 0.5 * 28, 6);
    expect(b.capacityRevenueYuan).toBeCloseTo(0.2 * 70, 6);
    expect(b.subsidyYuan).toBeCloseTo(0.3 * 42 + 0.15 * 28, 6);
    expect(b.purchaseYuan).toBeCloseTo(0.4 * 49, 6);
    expect(b.peakRegulationCostYuan).toBeCloseTo(0, 9);
    expect(b.totalYuan).toBeCloseTo(25.2, 6);
    noChargeWhileDischarging(plan);
  });
});

describe('ancillary offer under Monte Carlo spread', () => {
  // Four samples of four identical charge-only EVs, of which 4, 3, 2 and 4 respond: every period's
  // capability ratios are (4, 3, 2, 4) / 3.25. With capacity 0.3 and penalty 1 yuan, the best offer
  // for a planned R is the newsvendor quantile: P(r < q) <= 0.3 <= P(r <= q), so q = 3 / 3.25.
  const responders = [4, 3, 2, 4];
  const fleets = responders.map((_, s) => Fleet.fromSpecs([0, 1, 2, 3].map((i) => ev({ id: `${s}.${i}`, v2g: false }))));
  const cbdr = responders.map((m) => [0, 1, 2, 3].map((i) => (i < m ? 0 : NEVER)));
  const ms = marketSamplesFromFleets(fleets, cbdr, responders.map(() => [NEVER, NEVER, NEVER, NEVER]), grid);
  const p = prices({ capacityYuanPerKwPerH: 0.3 });

  it('the sample-average LP written out offers the newsvendor quantile and prices the expected shortfall', async () => {
    const plan = await solveLevelPair(ms, pair(0, -1), p, undefined, 'sample-rows');
    const ratios = responders.map((m) => m / 3.25);
    let planned = 0;
    for (const t of p.cbdrPeriods) {
      const r = plan.valleyRegulationKw[t];
      planned += r;
      if (r > 1e-6) expect(plan.valleyOfferKw[t] / r).toBeCloseTo(3 / 3.25, 6);
    }
    expect(planned).toBeGreaterThan(0);
    const expectedShortfall = ratios.reduce((a, r) => a + Math.max(0, 3 / 3.25 - r), 0) / 4 * planned;
    expect(plan.books.peakRegulationCostYuan).toBeCloseTo(expectedShortfall, 6);
    expect(plan.books.peakRegulationCostYuan).toBeGreaterThan(0);
  });

  it('the newsvendor reduction gives the same optimum, offer and books as the written-out LP', async () => {
    const long = await solveLevelPair(ms, pair(0, -1), p, undefined, 'sample-rows');
    const short = await solveLevelPair(ms, pair(0, -1), p, undefined);
    expect(short.objective).toBeCloseTo(long.objective, 7);
    for (const k of Object.keys(long.books) as (keyof typeof long.books)[]) expect(short.books[k]).toBeCloseTo(long.books[k], 6);
  });

  it('the same on sampled seed-001 fleets with V2G, both markets and their own willingness draws', async () => {
    const shares = [0, 0.3, 0.6, 0.9];
    const params = JSON.parse(readFileSync(defaultCasePath('ancillary')!, 'utf8')).fleet;
    const sampled = drawMarketSamples({ ...params, count: 40 }, 12, grid, shares, createRng(7));
    const tou = prices({ tariffYuanPerKwh: Float64Array.from({ length: 24 }, (_, h) => (h < 8 ? 0.35 : h < 12 || (h >= 17 && h < 22) ? 1.12 : 0.68)), cbdrPeriods: [0, 1, 2, 3, 4, 5], dbdrPeriods: [17, 18, 19, 20] });
    const levels = { cbdr: 2, dbdr: 3, cbdrYuanPerKwh: 0.2, dbdrYuanPerKwh: 0.3 };
    const long = await solveLevelPair(sampled, levels, tou, undefined, 'sample-rows');
    const short = await solveLevelPair(sampled, levels, tou, undefined);
    expect(long.books.peakRegulationCostYuan).toBeGreaterThan(0);
    expect(short.objective).toBeCloseTo(long.objective, 6);
  });

  it('the exported LP (either form) re-solved by GLPK and by CBC gives the same optimum', async () => {
    for (const form of ['newsvendor', 'sample-rows'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'zonal-anc-'));
      const exporter = new LpExporter(dir, 'ancillary');
      const plan = await solveLevelPair(ms, pair(0, -1), p, exporter, form);
      for (const solver of ['glpsol', 'cbc'] as const) {
        const ext = solveLpFile(exporter.files[0], solver);
        expect(ext.status, ext.output).toBe('optimal');
        expect(ext.objective!).toBeCloseTo(plan.objective, 5);
      }
    }
  });
});
