/**
 * The DSO's clearing of the zones' bids (SPEC §8 step 2) two ways on the synthetic 1 000-bus,
 * 20-zone feeder: one LP holding every announced envelope group (the default) and column generation
 * (`negotiation.admm.clearing: columns`, libs/coordination clearing-columns.ts), with the pricing step
 * alone (every group's cheapest schedule at one set of prices, libs/policies group-response.ts).
 * Each clearing from a cold start, on its own copy of the inputs (no limit rows carried over).
 */
import { syntheticNegotiationScenario } from '@zonal/agents';
import { buildSimSetup, clearByColumns, solveCentralised } from '@zonal/coordination';
import { cheapestGroupSchedules } from '@zonal/policies';
import { configureSolver, shutdownSolver } from '@zonal/solver';

export interface ClearingBenchRow {
  evs: number;
  groups: number;
  /** One LP holding every group: wall time, objective, LP solves. */
  lpS: number;
  lpObjective: number;
  lpSolves: number;
  /** Column generation: wall time, objective (stops within 1e-5 of its bound), master iterations. */
  columnsS: number;
  columnsObjective: number;
  columnsIterations: number;
  /** Every group's cheapest schedule at one set of prices (the pricing step of one iteration). */
  pricingMs: number;
}

export async function benchClearing(evCounts: readonly number[] = [20_000]): Promise<ClearingBenchRow[]> {
  configureSolver({ defaultTimeLimitS: 3600 });
  const rows: ClearingBenchRow[] = [];
  for (const evs of evCounts) {
    const build = async () => buildSimSetup(syntheticNegotiationScenario({ buses: 1000, zones: 20, evs, seed: 20251123 }).scenario);
    const lpSetup = await build();
    let t = performance.now();
    // The LP clearing is the centralised model (the zones' announced groups and declared terms).
    const lp = (await solveCentralised(lpSetup)).dispatch;
    const lpS = (performance.now() - t) / 1000;
    const columnSetup = await build();
    t = performance.now();
    const columns = await clearByColumns(columnSetup);
    const columnsS = (performance.now() - t) / 1000;
    const price = columnSetup.inputs.priceYuanPerKwh;
    t = performance.now();
    for (const z of columnSetup.zones) cheapestGroupSchedules(z.bid.envelopeGroups, z.bid.eta, z.bid.grid, price, z.bid.degradationYuanPerKwh);
    rows.push({
      evs, groups: lpSetup.zones.reduce((a, z) => a + z.bid.envelopeGroups.length, 0),
      lpS, lpObjective: lp.objective, lpSolves: lp.solveMs.length,
      columnsS, columnsObjective: columns.dispatch.objective, columnsIterations: columns.iterations,
      pricingMs: performance.now() - t,
    });
  }
  await shutdownSolver();
  return rows;
}
