import { afterAll, describe, expect, it } from 'vitest';
import { LimitWorkingSet, runDispatch, type BuiltDispatch } from '@zonal/dispatch';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver, type SimplexBasis } from '@zonal/solver';
import { addZoneTerms } from './centralised';
import { coarseStart, COARSE_START_MIN_GROUPS, startsFromCoarse } from './clearing-start';
import { buildSimSetup } from './harness';

afterAll(() => shutdownSolver());

describe('a model of every group started from the clearing over coarser sums (clearing-start.ts)', async () => {
  const setup = await buildSimSetup(loadScenario('default'));
  const groups = setup.zones.reduce((a, z) => a + z.bid.envelopeGroups.length, 0);
  const start = await coarseStart(setup);
  const extend = (built: BuiltDispatch) => setup.zones.forEach((z, k) => addZoneTerms(built, z, k));
  // One LP each (no loss rounds), at the coarse clearing's losses: the same LP, from two starts.
  const clear = async (warmStartFor?: (built: BuiltDispatch) => SimplexBasis | null) => {
    let basis: SimplexBasis | null = null;
    const result = await runDispatch(setup.inputs, {
      flexible: setup.zones.map((z) => z.flexible), extend, initialLossSqPu: start.lossSqPu, maxLossRounds: 0,
      warmStartFor: warmStartFor && ((built) => (basis = warmStartFor(built))),
    });
    return { result, basis: basis as SimplexBasis | null };
  };
  const cold = await clear();
  const warm = await clear((built) => start.basisFor(built));

  it('starts only a model that holds many groups', () => {
    expect(groups).toBeLessThan(COARSE_START_MIN_GROUPS); // the default scenario's oracle starts cold
    expect(startsFromCoarse(setup.zones)).toBe(false);
    expect(startsFromCoarse(setup.zones, groups)).toBe(true);
  });

  it('builds a basis of the full model\'s shape from the coarse optimum, every group set by its zone\'s prices', () => {
    expect(warm.basis).not.toBeNull();
    const b = warm.basis!;
    expect(b.colStatus.length).toBe(warm.result.constraintStats.cols);
    expect(b.rowStatus.length).toBe(warm.result.constraintStats.rows);
    for (const s of [...b.colStatus, ...b.rowStatus]) expect([0, 1, 2]).toContain(s);
    // Groups charge in the periods the coarse clearing priced cheapest: columns at their limit, not all at rest.
    const atUpper = b.colStatus.reduce((a, s) => a + (s === 2 ? 1 : 0), 0);
    expect(atUpper).toBeGreaterThan(groups / 4);
  });

  // Not fewer iterations here: at 1 614 groups the start costs more pivots than it saves (11 110
  // against 9 312); at 26 541 it saves three quarters of them (the module's header), a bench's scale.
  it('reaches the same optimum as a cold start (1e-9)', () => {
    expect(warm.result.solveIterations.length).toBe(cold.result.solveIterations.length);
    const rel = Math.abs(warm.result.objective - cold.result.objective) / Math.abs(cold.result.objective);
    expect(rel).toBeLessThan(1e-9);
  });
});

describe('the limit rows of a clearing found by the clearing over the sums (coarseStart grows them)', async () => {
  const setup = await buildSimSetup(loadScenario('default'));
  const extend = (built: BuiltDispatch) => setup.zones.forEach((z, k) => addZoneTerms(built, z, k));
  // One LP at fixed (zero) losses each: loss rounds from two row sets stop at their own estimates (≈ 4e-5 apart here).
  const clear = (workingSet: LimitWorkingSet) => runDispatch(setup.inputs, { flexible: setup.zones.map((z) => z.flexible), extend, workingSet, maxLossRounds: 0 });
  const fresh = new LimitWorkingSet();
  const fromEmpty = await clear(fresh);
  const grown = new LimitWorkingSet();
  await coarseStart(setup, { workingSet: grown });
  const heldBefore = grown.size;
  const fromSums = await clear(grown);

  it('grows the working set before the clearing\'s first LP, which then needs fewer passes for its limit rows', () => {
    expect(heldBefore).toBeGreaterThan(0);
    expect(fromSums.solveIterations.length).toBeLessThanOrEqual(fromEmpty.solveIterations.length);
  });

  it('leaves the clearing\'s LP optimum as it was (constraint generation ends at the full model\'s, 1e-9)', () => {
    const rel = Math.abs(fromSums.objective - fromEmpty.objective) / Math.abs(fromEmpty.objective);
    expect(rel).toBeLessThan(1e-9);
    expect(fromSums.acCheck.violations.length).toBe(fromEmpty.acCheck.violations.length);
  });
});
