import { afterAll, describe, expect, it } from 'vitest';
import { runDispatch } from '@zonal/dispatch';
import { loadScenario, parseScenario, tariffAtPeriods, timeGrid } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { expectFeasibleOutcome, gap } from '../../test/outcome';
import { addEnvelopeLink, solveCentralised } from '../centralised';
import { inProcessZoneClients } from '../in-process';
import { negotiate } from '../negotiate';
import { buildSimSetup } from '../harness';

afterAll(() => shutdownSolver());

describe('the target-penalty method (seed 001 eq 9–10) with in-process zones (small-test scenario)', async () => {
  const base = loadScenario('small-test');
  const scenario = parseScenario({ ...structuredClone(base), negotiation: { ...base.negotiation, method: 'target-penalty' } });
  const setup = await buildSimSetup(scenario);
  const central = await solveCentralised(setup);
  const n = await negotiate(setup, inProcessZoneClients(setup));
  // The DSO's dispatch over the announced envelopes, solved here on its own: the zones' PZ is its net load.
  const dso = await runDispatch(setup.inputs, {
    flexible: setup.zones.map((z) => z.flexible),
    extend: (built) => setup.zones.forEach((z, k) => addEnvelopeLink(built, z, k)),
  });
  const T = scenario.time.periods;

  it('runs one round and reports it converged, with the residual to the DSO\'s dispatch', () => {
    expect(n.method).toBe('target-penalty');
    expect([n.rounds.length, n.converged, n.roundLimitHit]).toEqual([1, true, false]);
    const r = n.rounds[0];
    expect(r).toMatchObject({ round: 1, method: 'target-penalty', rho: 0, dualResidualKw: 0, relCostChange: null, converged: true });
    let sq = 0;
    setup.zones.forEach((_z, k) => { for (let t = 0; t < T; t++) sq += (n.zoneEvKw[k][t] - dso.flexKw[k][t]) ** 2; });
    expect(r.primalResidualKw).toBeCloseTo(Math.sqrt(sq / (T * setup.zones.length)), 6);
    expect(r.totalCostYuan).toBeCloseTo(n.answers.reduce((a, x) => a + x!.costYuan, 0), 9);
  });

  it('sends each zone PZ ≥ its net load in the min-cost dispatch (eq 9), and no zone exceeds it (w_cg is above every tariff price)', () => {
    const tariffMax = Math.max(...tariffAtPeriods(scenario.tariff.blocks, timeGrid(scenario)).map((b) => b.priceYuanPerKwh));
    expect(scenario.negotiation.targetPenalty.excessPenaltyYuanPerKwh).toBeGreaterThan(tariffMax);
    setup.zones.forEach((z, k) => {
      for (let t = 0; t < T; t++) {
        const pzKw = z.bid.baseNetLoadKw[t] + dso.flexKw[k][t];
        // PZ is the larger of the min-cost and the min-loss dispatch's zone load (eq 9), so never below
        // the min-cost one; the result reports its EV part (PZ less the zone's base load).
        expect(n.targetKw[k][t] + z.bid.baseNetLoadKw[t]).toBeGreaterThanOrEqual(pzKw - 1e-6);
        expect(n.answers[k]!.netLoadKw[t], `zone ${z.id} period ${t}`).toBeLessThanOrEqual(n.targetKw[k][t] + z.bid.baseNetLoadKw[t] + 1e-6);
      }
    });
  });

  it('gives a feasible outcome whose gap to the centralised cost is reported (not asserted: SPEC §8)', () => {
    expectFeasibleOutcome(setup, n, central);
    expect(Number.isFinite(gap(n, central))).toBe(true);
  });
});
