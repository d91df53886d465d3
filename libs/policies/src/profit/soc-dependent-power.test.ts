import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { LpExporter, ModelBuilder, shutdownSolver, solve } from '@zonal/solver';
import { defaultCasePath } from '../cases';
import { profit, profitModel, solveProfit, type PowerModel, type ProfitCase } from './profit';
import { addSocDependentLp, lpExactFromDtH } from './soc-dependent-power';
import { dpProfit, reachAveraged, reachDetailed } from './testing';

afterAll(() => shutdownSolver());

type Case = ProfitCase;
const shippedPath = defaultCasePath('profit')!;
const shipped = (): Case => parseWithSchema(profit.caseSchema, readJsonFile(shippedPath), shippedPath);
const ctx = () => ({ exporter: new LpExporter(undefined), rng: createRng(1) });

/** The same night cut into `dtH` steps, each shipped half-hour price held over its steps. */
function withStep(c: Case, dtH: number, prices = c.pricesYuanPerKwh): Case {
  const per = 0.5 / dtH;
  const periods = Math.round(c.time.periods * c.time.dtH / dtH);
  const stepPrices = Array.from({ length: periods }, (_, t) => prices[Math.min(prices.length - 1, Math.floor(t / per))]);
  return { ...c, time: { ...c.time, periods, dtH }, pricesYuanPerKwh: stepPrices, peakTieBreakYuanPerKw: 0 };
}

async function optimum(c: Case, model: PowerModel): Promise<number> {
  return (await solve(profitModel(c, model), model === 'detailed-milp' ? { mipRelGap: 0 } : {})).objective;
}

function randomPrices(seed: number, n: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Math.round(rng.next() * 150) / 100);
}

// Prices under which a fast top-up above the threshold pays: cheap, one dearer half hour, cheap.
const topUpPrices = Array.from({ length: 24 }, (_, t) => (t === 22 ? 0.6 : 0.1));

describe('SOC-dependent charging power (SPEC §6)', () => {
  it('is exact as an LP from 0.5 h steps for seed 000 (120 kWh, 160/40 kW, threshold 100 kWh)', () => {
    expect(lpExactFromDtH({ capacityKwh: 120, thresholdKwh: 100, pBelowKw: 160, pAboveKw: 40 })).toBe(0.5);
  });

  it('LP = region-binary MILP at 0.5 h steps: shipped, top-up and random prices', async () => {
    const cases = [withStep(shipped(), 0.5), withStep(shipped(), 0.5, topUpPrices), ...[1, 2, 3, 4].map((s) => withStep(shipped(), 0.5, randomPrices(s, 24)))];
    for (const c of cases) {
      const lp = await optimum(c, 'detailed-lp'), milp = await optimum(c, 'detailed-milp');
      expect(Math.abs(lp - milp), `prices ${c.pricesYuanPerKwh.join(' ')}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(milp)));
    }
  });

  it('LP = MILP = the box alone at 1 h steps: from 24 kWh one hour reaches 120 kWh, so the limit never binds', async () => {
    const c: Case = { ...shipped(), time: { startH: 20, periods: 12, dtH: 1 }, pricesYuanPerKwh: randomPrices(9, 12), peakTieBreakYuanPerKw: 0 };
    // The averaged model at the 160 kW bound is the energy box and the power bound alone.
    const box = await optimum({ ...c, averagedPowerKw: c.detailedPower.pBelowKw }, 'averaged');
    expect(await optimum(c, 'detailed-lp')).toBeCloseTo(box, 6);
    expect(await optimum(c, 'detailed-milp')).toBeCloseTo(box, 6);
  });

  it('the LP is wrong below 0.5 h steps; the MILP matches the simulated physics (dynamic programming)', async () => {
    // Cheap for 11 h, then 5 yuan/kWh: sell down to the 100 kWh target from a full battery. At
    // 0.25 h the LP's discharge line forbids any energy above 115 kWh before the end (from 115 it
    // demands E+ >= 120), so it sells less than the battery can.
    const prices = Array.from({ length: 48 }, (_, t) => (t < 44 ? 0.1 : 5));
    const c: Case = { ...shipped(), time: { startH: 20, periods: 48, dtH: 0.25 }, pricesYuanPerKwh: prices, peakTieBreakYuanPerKw: 0 };
    const lp = await optimum(c, 'detailed-lp'), milp = await optimum(c, 'detailed-milp');
    expect(lp).toBeLessThan(milp - 1);
    expect(milp).toBeCloseTo(dpProfit(c, reachDetailed, 0.5), 4);
    const e = (await solveProfit(c, 'detailed-milp', ctx())).schedule.energyKwh;
    expect(Math.max(...e.slice(0, 47))).toBeGreaterThan(115);
  });

  it('LP optima at 0.5 h steps equal dynamic programming over the simulated physics, both power models', async () => {
    // The DP is a lower bound (energies on a 0.25 kWh grid); the optima's energies are grid points
    // here (vertices such as 24, 101 = 95 + 0.25·24, 100, 120 kWh), so the two agree to rounding.
    const cases = [withStep(shipped(), 0.5), ...[5, 6].map((s) => withStep(shipped(), 0.5, randomPrices(s, 24)))];
    for (const c of cases) {
      for (const [model, reach] of [['detailed-lp', reachDetailed], ['averaged', reachAveraged]] as const) {
        const lp = await optimum(c, model), dp = dpProfit(c, reach, 0.25);
        expect(Math.abs(lp - dp), `${model}, prices ${c.pricesYuanPerKwh.join(' ')}`).toBeLessThan(1e-9 * Math.abs(lp));
      }
    }
  });

  it('adds only rows on the energy columns: a two-boundary model shows each reachable edge by hand', async () => {
    // At 0.5 h from E: up to min(E + 80, 95 + 0.25E, 120), down to max(E - 80, 4E - 380).
    const edge = async (e0: number, sense: 'maximize' | 'minimize') => {
      const m = new ModelBuilder('edge');
      const energy = m.addVars('E', [2], ([k]) => (k === 0 ? { lb: e0, ub: e0 } : { lb: 0, ub: 120 }));
      addSocDependentLp(m, { capacityKwh: 120, thresholdKwh: 100, pBelowKw: 160, pAboveKw: 40 }, energy, 0.5);
      m.setObjectiveCoef(energy.at(1), 1);
      m.setSense(sense);
      return (await solve(m)).objective;
    };
    expect(await edge(90, 'maximize')).toBeCloseTo(117.5, 9);
    expect(await edge(90, 'minimize')).toBeCloseTo(10, 9); // 0.5 h at 160 kW
    expect(await edge(110, 'maximize')).toBeCloseTo(120, 9); // 0.25 h at 40 kW fills it
    expect(await edge(110, 'minimize')).toBeCloseTo(60, 9); // 0.25 h at 40 kW to 100, then 0.25 h at 160 kW
    expect(await edge(24, 'maximize')).toBeCloseTo(101, 9); // 0.475 h at 160 kW, 0.025 h at 40 kW
  });
});
