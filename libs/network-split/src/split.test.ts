import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario, parseScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { solveArea } from './area-model';
import { splitNetwork } from './areas';
import { boundaryIndex } from './boundary';
import { solveCentralisedReference } from './centralised';
import { runSplitStudy, splitSetup, type SplitStudy } from './study';

afterAll(() => shutdownSolver());

const CASE69 = fileURLToPath(new URL('../../feeder/data/matpower/case69.m', import.meta.url));
const small = loadScenario('small-test');

/** The bar: the split's cost within 0.1% of the same feeder solved as one LP. */
const GAP_PCT = 0.1;

function expectAgreement(s: SplitStudy) {
  const r = s.run.final;
  expect(r.converged, `${s.feeder}: ADMM met its tolerances (rounds ${s.run.roundsPerLossRound.join(', ')})`).toBe(true);
  expect(Math.abs(s.gapPct), `${s.feeder}: split ${s.splitCostYuan.toFixed(2)} vs centralised ${s.centralised.objective.toFixed(2)} yuan`).toBeLessThanOrEqual(GAP_PCT);
  // The closing sweep's point is one point of the whole feeder: every copy of every boundary quantity equal.
  expect(r.closingMismatchKw, 'largest difference between two copies of a boundary quantity, kW-equivalents').toBeLessThan(1e-6);
  // A feasible point of the centralised LP cannot beat its optimum (beyond the solvers' tolerances).
  expect(s.splitCostYuan).toBeGreaterThanOrEqual(s.centralised.objective * (1 - 1e-7));
  // The cost table adds up to the cost.
  const c = r.costs;
  const sum = c.purchaseYuan + c.dieselYuan + c.curtailmentYuan + c.carbonYuan + c.demandChargeYuan + c.penaltyYuan + c.degradationYuan + c.tieBreakYuan;
  expect(Math.abs(sum - s.splitCostYuan)).toBeLessThan(1e-6 * s.splitCostYuan);
  // Loss correction ends as the whole dispatch's does: LP voltages within the scenario's tolerance of the AC sweep.
  expect(s.run.maxAbsVDiffPu).toBeLessThanOrEqual(1e-5);
  // Each area swept only its own part; the harness's sweep of the whole feeder at the same point agrees.
  expect(Math.abs(s.run.wholeVDiffPu - s.run.maxAbsVDiffPu), 'whole-feeder vs the areas\' own sweeps, pu').toBeLessThan(1e-9);
}

describe('IEEE-33, the default zones as areas (small-test scenario)', async () => {
  const setup = await splitSetup(small);

  it('decomposes exactly: each area held at the centralised boundary, the areas\' costs sum to the centralised optimum (limit rows generated or all built)', async () => {
    const split = splitNetwork(setup.inputs, setup.areas, setup.zones);
    const index = boundaryIndex(split.areas.map((a) => a.boundary), 1000);
    const ref = await solveCentralisedReference(setup.inputs, setup.zones, null, split, index);
    for (const constraints of ['lazy', 'full'] as const) {
      let sum = 0;
      for (const a of split.areas) {
        const cp = index.copies.get(a.id)!;
        const ans = await solveArea(a, {
          round: 0, rho: 1, z: Float64Array.from(cp, (g) => ref.z[g]), u: new Float64Array(cp.length), scale: new Float64Array(cp.length).fill(1),
          weightH: new Float64Array(cp.length).fill(1), term: 'consensus', hold: new Uint8Array(cp.length).fill(1),
        }, null, constraints);
        sum += ans.costYuan;
      }
      expect(Math.abs(sum - ref.objective) / ref.objective, `${constraints}: Σ f_a ${sum} vs ${ref.objective}`).toBeLessThan(1e-9);
    }
  });

  it(`on the default scenario (3 000 EVs, its zones): lands within ${GAP_PCT}% of the centralised optimum, with one consistent boundary`, async () => {
    const full = await splitSetup(loadScenario('default'));
    expect(full.areas.length).toBeGreaterThanOrEqual(4);
    const s = await runSplitStudy(full.inputs, full.zones, full.areas, { successive: true });
    expectAgreement(s);
    // Against the DSO's own successive-LP dispatch of the whole feeder too (its loss estimate is its own).
    expect(Math.abs(s.successive!.gapPct)).toBeLessThanOrEqual(GAP_PCT);
    // Its loss correction takes about as many rounds (the split's point is the optimum's to ~1e-5, not exactly).
    expect(s.run.lossRounds).toBeLessThanOrEqual(s.successive!.lossRounds + 1);
  });

  it('coordinates the carbon ladder across areas: with 2 t steps the day\'s excess climbs every kink, and the split still agrees', async () => {
    const steep = parseScenario({ ...small, carbon: { ...small.carbon, intervalT: 2 } }, 'small-test with 2 t carbon steps');
    const s2 = await splitSetup(steep);
    const s = await runSplitStudy(s2.inputs, s2.zones, s2.areas);
    expectAgreement(s);
    const r = s.run.final;
    // The excess the root prices is its own plus its copies of the other areas': past 2d = 4 t.
    const root = r.answers.find((a) => a.areaId === s.split.rootArea)!;
    expect(root.costs.carbonYuan).toBeGreaterThan((2 + small.carbon.growth) * small.carbon.basePriceYuanPerT * 2);
  });

  it('with one area is the centralised LP itself: no boundary, one round', async () => {
    const one = [{ id: 1, buses: setup.inputs.net.feeder.buses.map((b) => b.id) }];
    const s = await runSplitStudy(setup.inputs, setup.zones, one, { maxLossRounds: 0 });
    expect(s.run.final.rounds).toBe(1);
    expect(s.cutLines).toBe(0);
    expect(Math.abs(s.gapPct)).toBeLessThan(1e-7);
  });
});

describe('case69 in 4 areas (small-test scenario on the MATPOWER case, each area one zone)', () => {
  it(`lands within ${GAP_PCT}% of the centralised optimum`, async () => {
    const setup = await splitSetup(small, { caseRef: CASE69, areas: 4 });
    expect(setup.inputs.net.nBus).toBe(69);
    const s = await runSplitStudy(setup.inputs, setup.zones, setup.areas);
    expect(s.cutLines).toBe(3);
    expectAgreement(s);
  });
});
