import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario, parseScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { solveCentralised, type CentralisedResult } from './centralised';
import { evaluateSchedules } from './evaluate';
import { buildSimSetup } from './harness';
import type { NegotiationSetup } from './setup';

afterAll(() => shutdownSolver());

const small = loadScenario('small-test');
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** The centralised objective without the zones' peak tie-break (a zone term the DSO's costs leave out). */
function tieBreakYuan(setup: NegotiationSetup, c: CentralisedResult): number {
  return setup.zones.reduce((a, z, k) => a + z.bid.peakTieBreakYuanPerKw * Math.max(...Array.from(z.bid.baseNetLoadKw, (b, t) => b + c.zoneEvKw[k][t])), 0);
}

describe('evaluateSchedules with the centralised zone schedules fixed', () => {
  it('in one LP (no loss correction) costs exactly what the centralised optimum does, less degradation and tie-break', async () => {
    // The centralised objective is f_DSO(dispatch) + g(zones' EV terms), coupled only through the
    // zones' grid power. At its optimum the dispatch part minimises f_DSO with that power fixed,
    // which is the evaluation's problem when both solve the same LP: the identity is exact.
    const s = structuredClone(small);
    s.network.lossCorrection.maxRounds = 0;
    const setup = await buildSimSetup(parseScenario(s));
    const c = await solveCentralised(setup);
    const e = await evaluateSchedules(setup, c.zoneEvKw, c.degradationYuan);
    expect([c.dispatch.rounds, e.dispatch.rounds]).toEqual([1, 1]);
    expect(rel(e.dispatch.objective, c.dispatch.objective - c.degradationYuan - tieBreakYuan(setup, c))).toBeLessThan(1e-9);
    expect([c.dispatch.costs.penaltyYuan, e.dispatch.costs.penaltyYuan]).toEqual([0, 0]);
    expect(rel(e.totalCostYuan, c.totalCostYuan)).toBeLessThan(1e-9);
    expect(e.degradationYuan).toBe(c.degradationYuan);
  });

  describe('with loss correction (the small-test scenario as shipped)', async () => {
    const setup = await buildSimSetup(small);
    const c = await solveCentralised(setup);
    const e = await evaluateSchedules(setup, c.zoneEvKw, c.degradationYuan);

    it('costs what the centralised solve does, to the successive-LP loss estimate', () => {
      // Not an identity any more: each round's losses are the AC losses at the previous round's
      // point, and the evaluation reaches the fixed schedule by another path than the centralised
      // solve, so their last LPs carry slightly different losses (both within |V_LP − V_AC| ≤ 1e-5 pu).
      // Measured: 0 on small-test (both paths meet), 1.2e-5 on the default scenario (test/default-scenario).
      expect(rel(e.totalCostYuan, c.totalCostYuan)).toBeLessThan(1e-4);
      expect(e.dispatch.acCheck.converged).toBe(true);
      expect(e.dispatch.acCheck.maxAbsVDiffPu).toBeLessThanOrEqual(small.network.lossCorrection.tolPu);
      e.dispatch.flexKw.forEach((x, k) => expect(Array.from(x)).toEqual(Array.from(c.zoneEvKw[k])));
    });

    it('prices each tie line\'s trade at most at the eq 11 cap, leaving the DSO a non-negative rent', () => {
      const { inputs, net } = setup;
      const dt = inputs.grid.dtH;
      expect(e.trades.map((tr) => [tr.from, tr.to])).toEqual(setup.tieLines.map((tl) => [tl.from, tl.to]));
      for (const tr of e.trades) {
        // IEEE-33 lists every in-service branch parent → child, so the flow is stored at `to`.
        // Σ_t cap_t·|p_t|·dt with cap_t = price_t·(1 + loss_t/|p_t|) (seed 001 eq 11): price·(|p| + loss).
        const pos = net.feeder.buses.findIndex((b) => b.id === tr.to);
        let capYuan = 0, absKwh = 0, netKwh = 0;
        for (let t = 0; t < inputs.grid.periods; t++) {
          const pKw = e.dispatch.acBranchPKw[t][pos];
          capYuan += inputs.priceYuanPerKwh[t] * (Math.abs(pKw) + e.dispatch.acBranchLossKw[t][pos]) * dt;
          absKwh += Math.abs(pKw) * dt;
          netKwh += pKw * dt;
        }
        expect(Math.abs(tr.energyKwh - netKwh)).toBeLessThan(1e-6 * absKwh);
        expect(tr.valueYuan).toBeGreaterThan(0);
        expect(tr.valueYuan).toBeLessThanOrEqual(capYuan * (1 + 1e-12));
        expect(tr.congestionRentYuan).toBeGreaterThanOrEqual(0);
        expect(Math.abs(tr.avgPriceYuanPerKwh * absKwh - tr.valueYuan)).toBeLessThan(1e-9 * tr.valueYuan);
        // The multipliers behind the price, period by period: the price is min(multiplier, cap), and they add up to the value and the rent.
        let value = 0, rent = 0;
        for (const p of tr.periods) {
          expect(p.priceYuanPerKwh).toBeCloseTo(Math.min(p.multiplierYuanPerKwh ?? p.capYuanPerKwh, p.capYuanPerKwh), 12);
          expect(p.pKw).toBeCloseTo(e.dispatch.acBranchPKw[p.period][pos], 9);
          value += p.priceYuanPerKwh * Math.abs(p.pKw) * dt;
          rent += Math.max(0, (p.multiplierYuanPerKwh ?? p.priceYuanPerKwh) - p.priceYuanPerKwh) * Math.abs(p.pKw) * dt;
        }
        expect(value).toBeCloseTo(tr.valueYuan, 6);
        expect(rent).toBeCloseTo(tr.congestionRentYuan, 6);
      }
    });
  });
});
