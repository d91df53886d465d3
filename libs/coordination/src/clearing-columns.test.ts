import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario, type Scenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { expectFeasibleOutcome, gap } from '../test/outcome';
import { solveCentralised } from './centralised';
import { clearByColumns, ColumnPool } from './clearing-columns';
import { buildSimSetup } from './harness';
import { inProcessZoneClients } from './in-process';
import { negotiate } from './negotiate';
import type { NegotiationSetup } from './setup';

afterAll(() => shutdownSolver());

/** The clearing as one LP holding every announced group: the centralised model (centralised.ts), the reference. */
async function clearingLp(setup: NegotiationSetup): Promise<number> {
  return (await solveCentralised(setup)).dispatch.objective;
}

/** A scenario whose dispatch holds losses at zero (one LP, no loss rounds): both clearings solve the same LP. */
function lossless(name: string): Scenario {
  const s = structuredClone(loadScenario(name));
  s.network.lossCorrection.maxRounds = 0;
  return s;
}

describe('the clearing by column generation', () => {
  it.each(['small-test', 'default'])('%s, lossless: the optimum of the LP that holds every group, to 1e-8, each zone\'s power a mix of its groups\' schedules', async (name) => {
    const setup = await buildSimSetup(lossless(name));
    const reference = await clearingLp(setup);
    const pool = new ColumnPool(setup.zones, 5);
    const c = await clearByColumns(setup, { pool, relGap: 1e-10 });
    expect(Math.abs(c.dispatch.objective - reference)).toBeLessThanOrEqual(1e-8 * Math.abs(reference));
    expect(c.iterations).toBeGreaterThan(1);
    // Its zones' power is a mix of schedules their groups can draw: within the announced aggregate's bounds.
    setup.zones.forEach((z, k) => c.flexKw[k].forEach((kw, t) => {
      expect(kw).toBeGreaterThanOrEqual(z.flexible.lbKw[t] - 1e-6);
      expect(kw).toBeLessThanOrEqual(z.flexible.ubKw[t] + 1e-6);
    }));
  });

  it('after a rating is tightened, clears again from its columns and basis to the tightened LP\'s optimum', async () => {
    const setup = await buildSimSetup(lossless('default'));
    const pool = new ColumnPool(setup.zones);
    const first = await clearByColumns(setup, { pool, relGap: 1e-10 });
    const columns = pool.size;
    // The substation's import at 60% of its rating in every period: the clearing must move EV energy.
    const T = setup.inputs.grid.periods, n = setup.feeder.buses.length;
    setup.inputs.ratingScale = { branch: Array.from({ length: T }, () => new Float64Array(n).fill(1)), substation: new Float64Array(T).fill(0.6) };
    const reference = await clearingLp(setup);
    expect(reference).toBeGreaterThan(first.dispatch.objective + 1); // the tightened rating binds
    const again = await clearByColumns(setup, { pool, relGap: 1e-10 });
    expect(Math.abs(again.dispatch.objective - reference)).toBeLessThanOrEqual(1e-8 * Math.abs(reference));
    expect(pool.size).toBeGreaterThanOrEqual(columns);
  });

  it('starts a negotiation that converges to the centralised cost as the LP clearing does (default scenario, `clearing: columns`)', async () => {
    const scenario = structuredClone(loadScenario('default'));
    scenario.negotiation.admm.clearing = 'columns';
    const setup = await buildSimSetup(scenario);
    const central = await solveCentralised(setup);
    const n = await negotiate(setup, inProcessZoneClients(setup));
    expect(n.converged).toBe(true);
    expect(Math.abs(gap(n, central))).toBeLessThan(0.005);
    expectFeasibleOutcome(setup, n, central);
  });
});
