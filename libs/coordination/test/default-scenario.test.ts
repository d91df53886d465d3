import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { buildSimSetup, evaluateSchedules, inProcessZoneClients, negotiate, solveCentralised } from '../src';
import { expectConsistentRounds, expectFeasibleOutcome, gap } from './outcome';

afterAll(() => shutdownSolver());

describe('the default scenario (3000 EVs, window-energy groups): in-process ADMM against the harness\'s centralised oracle', async () => {
  const scenario = loadScenario('default');
  const setup = await buildSimSetup(scenario);
  const central = await solveCentralised(setup);
  const n = await negotiate(setup, inProcessZoneClients(setup));

  it('converges to within 0.5% of the centralised cost (SPEC §8), every zone answering every round', () => {
    expect(n.converged).toBe(true);
    expect(Math.abs(gap(n, central))).toBeLessThan(0.005);
    expectConsistentRounds(n.rounds, scenario, setup.zones.map((z) => z.id), n.deliveryChecks.map((d) => d.round));
    // Agreement means the point the EVs deliver, bus by bus, passes the AC check (SPEC §8 step 4).
    expect(n.evaluation.dispatch.acCheck.violations).toEqual([]);
    expectFeasibleOutcome(setup, n, central);
    expect(n.incidents).toEqual([]);
  });

  it('evaluates the centralised schedules at the centralised cost, to the successive-LP loss estimate', async () => {
    // See evaluate.test.ts: exact in one LP; here the two loss-correction paths differ (measured 1.2e-5).
    const e = await evaluateSchedules(setup, central.zoneEvKw, central.degradationYuan);
    expect(Math.abs(e.totalCostYuan - central.totalCostYuan) / central.totalCostYuan).toBeLessThan(1e-4);
  });
});
