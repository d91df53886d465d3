import { afterAll, describe, expect, it } from 'vitest';
import { runDispatch, type BuiltDispatch } from '@zonal/dispatch';
import { evRegion, Fleet } from '@zonal/ev';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { addZoneTerms, buildSimSetup, solveCentralised, type SimSetup } from '../src';

afterAll(() => shutdownSolver());

/**
 * The true per-EV optimum of the feeder, written independently of the envelope code: the DSO's
 * dispatch (same network model: each zone's EV power spread over its buses by the same shares) with,
 * per zone, one battery-side charge, discharge and energy column per EV and plugged period inside
 * the EV's own power–energy region (seed 003, `evRegion`: exact for one EV), their grid-side sum
 * linked to the zone's flexible load, and each zone's declared terms (V2G degradation, the peak
 * tie-break on its net load). Only the harness, which holds every zone's EVs, can write it.
 */
function addPerEvZones(built: BuiltDispatch, sim: SimSetup): void {
  const m = built.model;
  const { periods: T, dtH: dt } = sim.inputs.grid;
  sim.parties.forEach((party, k) => {
    const { fleet, eta, degradationYuanPerKwh, peakTieBreakYuanPerKw, baseNetLoadKw } = party.problem;
    const link: Array<{ cols: number[]; coefs: number[] }> = Array.from({ length: T }, () => ({ cols: [], coefs: [] }));
    Fleet.toSpecs(fleet).forEach((spec, i) => {
      const r = evRegion(spec, sim.inputs.grid);
      if (r.problem) return;
      let energy = -1;
      r.periods.forEach((t, j) => {
        const c = m.addVar(`pc${k}`, [i, t], { lb: 0, ub: r.pMaxKw });
        const d = m.addVar(`pd${k}`, [i, t], { lb: 0, ub: -r.pMinKw });
        const e = m.addVar(`pe${k}`, [i, t], { lb: r.eMinKwh[j + 1], ub: r.eMaxKwh[j + 1] });
        if (energy < 0) m.addConstraint(`ps${k}`, [i, t], [e, c, d], [1, -dt, dt], '=', fleet.socArrival[i] * fleet.capacityKwh[i]);
        else m.addConstraint(`ps${k}`, [i, t], [e, energy, c, d], [1, -1, -dt, dt], '=', 0);
        energy = e;
        link[t].cols.push(c, d);
        link[t].coefs.push(-1 / eta, eta);
        m.setObjectiveCoef(d, degradationYuanPerKwh * dt);
      });
    });
    const flex = built.vars.flexKw[k];
    const peak = m.addVar(`pPeak${k}`, [], { lb: -1e7, ub: 1e7 });
    for (let t = 0; t < T; t++) {
      m.addConstraint(`pLink${k}`, [t], [flex.at(t), ...link[t].cols], [1, ...link[t].coefs], '=', 0);
      m.addConstraint(`pPeakDef${k}`, [t], [peak, flex.at(t)], [1, -1], '>=', baseNetLoadKw[t]);
    }
    m.setObjectiveCoef(peak, peakTieBreakYuanPerKw);
  });
}

describe('the harness\'s centralised solve against the per-EV optimum of the same scenario (default: 3000 EVs)', async () => {
  const sim = await buildSimSetup(loadScenario('default'));
  const flexible = sim.zones.map((z) => z.flexible);

  it('over exact (window-energy) envelope groups, the lossless dispatch equals the per-EV LP to 1e-7 relative', async () => {
    const groups = await runDispatch(sim.inputs, { flexible, maxLossRounds: 0, extend: (b) => sim.zones.forEach((z, k) => addZoneTerms(b, z, k)) });
    const perEv = await runDispatch(sim.inputs, { flexible, maxLossRounds: 0, solver: 'ipm', extend: (b) => addPerEvZones(b, sim) });
    expect(Math.abs(groups.objective - perEv.objective) / Math.abs(perEv.objective)).toBeLessThan(1e-7);
  });

  it('at the oracle\'s final loss estimate, the per-EV LP\'s optimum is the group LP\'s to 1e-6 relative (interior point)', async () => {
    // The successive LP's later rounds fix the branch currents; at one estimate (the AC flow of the
    // oracle's final point) the two models are the same LP but for the zones' flexibility.
    const oracle = await solveCentralised(sim);
    const atEstimate = { flexible, initialLossSqPu: oracle.dispatch.lossSqPu, maxLossRounds: 0 };
    const groups = await runDispatch(sim.inputs, { ...atEstimate, extend: (b) => sim.zones.forEach((z, k) => addZoneTerms(b, z, k)) });
    const perEv = await runDispatch(sim.inputs, { ...atEstimate, solver: 'ipm', extend: (b) => addPerEvZones(b, sim) });
    expect(Math.abs(groups.objective - perEv.objective) / Math.abs(perEv.objective)).toBeLessThan(1e-6);
    // And that estimate is the oracle's own: its final LP differs from this one by the last loss update only.
    expect(Math.abs(oracle.dispatch.objective - groups.objective) / Math.abs(groups.objective)).toBeLessThan(1e-4);
  });
});
