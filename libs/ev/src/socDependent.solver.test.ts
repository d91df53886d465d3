import { afterAll, describe, expect, it } from 'vitest';
import { InfeasibleModelError, ModelBuilder, shutdownSolver, solve } from '@zonal/solver';
import { socDependentLpRows, socDependentMilpRows, type EnergyStepRow, type SocDependentLimit } from './socDependent';

/**
 * LP = MILP (SPEC §6): the profit case of seed 000 §4 for one EV (its 80 EVs are identical): 120 kWh,
 * 60 kWh at 20:00, at least 24 kWh, 100 kWh by 08:00, eta 0.95, SPEC §7.3's half-hourly prices, the
 * aggregator buying and selling at them. The LP form with the SOC-dependent rows and the region-binary
 * MILP must reach the same optimum at 0.5 h steps.
 */
const SEED000: SocDependentLimit = { capacityKwh: 120, breakpointKwh: 100, pBelowKw: 160, pAboveKw: 40 };
const HALF_HOUR_PRICES = [1.12, 1.30, 0.95, 1.18, 0.72, 0.60, 0.78, 0.55, 0.40, 0.31, 0.36, 0.28, 0.33, 0.27, 0.35, 0.30, 0.38, 0.33, 0.45, 0.52, 0.70, 0.85, 1.05, 1.25];
const ETA = 0.95;

async function profit(form: 'lp' | 'milp', dtH: number, startKwh: number): Promise<{ yuan: number; peakKwh: number }> {
  const T = Math.round(12 / dtH);
  const price = (t: number) => HALF_HOUR_PRICES[Math.floor((t * dtH) / 0.5)];
  const m = new ModelBuilder(`socdep_${form}`);
  m.setSense('maximize');
  const e = m.addVars('E', [T + 1], ([k]) => (k === 0 ? { lb: startKwh, ub: startKwh } : k === T ? { lb: 100, ub: 120 } : { lb: 24, ub: 120 }));
  const c = m.addVars('c', [T], { ub: 160 }), d = m.addVars('d', [T], { ub: 160 });
  const milp = form === 'milp' ? socDependentMilpRows(SEED000, dtH, 480) : null;
  const rows: EnergyStepRow[] = milp ? milp.rows : socDependentLpRows(SEED000, dtH).rows;
  const z1 = milp ? m.addVars('z1', [T], { ub: 1, integer: true }) : null;
  const z2 = milp?.usesZ2 ? m.addVars('z2', [T], { ub: 1, integer: true }) : null;
  for (let t = 0; t < T; t++) {
    // Battery side: E[t+1] = E[t] + (c - d) dt; the grid pays c/eta and gets d*eta.
    m.addConstraint('soc', [t], [e.at(t + 1), e.at(t), c.at(t), d.at(t)], [1, -1, -dtH, dtH], '=', 0);
    m.setObjectiveCoef(c.at(t), (-price(t) * dtH) / ETA);
    m.setObjectiveCoef(d.at(t), price(t) * dtH * ETA);
    rows.forEach((r, k) => {
      const cols = [e.at(t), e.at(t + 1)], coefs = [r.coefE, r.coefENext];
      if (z1 && r.coefZ1) { cols.push(z1.at(t)); coefs.push(r.coefZ1); }
      if (z2 && r.coefZ2) { cols.push(z2.at(t)); coefs.push(r.coefZ2); }
      m.addConstraint('limit', [t, k], cols, coefs, '<=', r.rhsKwh);
    });
  }
  const sol = await solve(m, { timeLimitS: 60 });
  return { yuan: sol.objective, peakKwh: Math.max(...sol.values(e)) };
}

describe('SOC-dependent limit: LP form = region-binary MILP (HiGHS through @zonal/solver)', () => {
  afterAll(async () => {
    await shutdownSolver();
  });

  it('agrees on the profit case at 0.5 h and at 1 h steps', async () => {
    for (const dt of [0.5, 1]) {
      const [lp, milp] = [await profit('lp', dt, 60), await profit('milp', dt, 60)];
      expect(Math.abs(lp.yuan - milp.yuan)).toBeLessThan(1e-6 * (1 + Math.abs(milp.yuan)));
      // The optimum stores energy above the 100 kWh breakpoint, so the SOC-dependent rows matter.
      expect(milp.peakKwh).toBeGreaterThan(100 + 1e-6);
    }
  });

  it('parts at 0.25 h: from 115 kWh the LP has no next energy at all, the MILP schedules', async () => {
    await expect(profit('lp', 0.25, 115)).rejects.toBeInstanceOf(InfeasibleModelError);
    expect(Number.isFinite((await profit('milp', 0.25, 115)).yuan)).toBe(true);
  });
});
