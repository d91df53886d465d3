import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { sampleSeed002Fleet, uncoordinatedProfile } from '@zonal/ev';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { shutdownSolver, solve, type ModelBuilder } from '@zonal/solver';
import { defaultCasePath } from '../cases';
import { buildAreaObjectives, objectivesOf, outcomeOf, readSchedule, type AreaData, type AreaOutcome } from './area-model';
import type { MultiObjectiveCase } from './case-schema';
import { multiObjective } from './multi-objective';
import { solveAndRepair } from './repair';
import { normalisedScale, payoffTable, weighted, type Normalisation } from './scalarise';
import { caseData, uncoordinatedSchedule } from './study';

afterAll(() => shutdownSolver());
const path = defaultCasePath('multi-objective')!;
const shipped = parseWithSchema(multiObjective.caseSchema, readJsonFile(path), path);
const solveFn = (m: ModelBuilder) => solve(m);
const economy = [0.7, 0.2, 0.1], response = [0.4, 0.4, 0.2];

/** A smaller car park of the same kind, on the shipped case's grid unless told otherwise. */
function small(count: number, over: Partial<MultiObjectiveCase> = {}) {
  const c: MultiObjectiveCase = { ...shipped, ...over, fleet: { ...shipped.fleet, count } };
  const fleet = sampleSeed002Fleet(c.fleet, createRng(c.seed));
  return { c, fleet, ...caseData(c, fleet) };
}

async function normalisation(data: AreaData, segments: number): Promise<Normalisation> {
  const build = (name: string) => buildAreaObjectives(data, name, 'pwl', segments);
  return payoffTable(build, 3, (s) => objectivesOf(outcomeOf(data, readSchedule(s.built, s.sol))), solveFn, 1e-9);
}

/** d² interpolated between the breakpoints k·w (the piecewise-linear F2, written out independently). */
function secantSquare(d: number, w: number): number {
  const a = Math.abs(d), k = Math.floor(a / w);
  return (k * w) ** 2 + (2 * k + 1) * w * (a - k * w);
}

/** Σ ω F~ of an outcome in the model's own terms: F1 with the peak tie-break, F2 piecewise linear. */
function modelValue(data: AreaData, o: AreaOutcome, weights: number[], norm: Normalisation, width: number): number {
  const mean = o.netLoadKw.reduce((a, b) => a + b, 0) / o.netLoadKw.length;
  const f = [
    o.totalCostYuan + data.peakTieBreakYuanPerKw * o.peakKw,
    o.netLoadKw.reduce((a, p) => a + secantSquare(p - mean, width), 0) / o.netLoadKw.length,
    o.peakValleyKw,
  ];
  return f.reduce((a, v, k) => a + normalisedScale(norm, k, weights[k]) * (v - norm.ideal[k]), 0);
}

describe('multi-objective study on smaller car parks', () => {
  it('the QP form of F2 agrees with the piecewise-linear LP within the secants\' overstatement', async () => {
    const { c, data } = small(10);
    const norm = await normalisation(data, c.variance.pwlSegments);
    const width = buildAreaObjectives(data, 'w', 'pwl', c.variance.pwlSegments).shape.segmentWidthKw;
    for (const w of [economy, response]) {
      const qp = await weighted((n) => buildAreaObjectives(data, n, 'qp', c.variance.pwlSegments), w, norm, 'qp', solveFn);
      const lp = await weighted((n) => buildAreaObjectives(data, n, 'pwl', c.variance.pwlSegments), w, norm, 'lp', solveFn);
      expect(qp.sol.status).toBe('optimal');
      const bound = (normalisedScale(norm, 1, w[1]) * width * width) / 4;
      // The secants lie above d² (LP ≥ QP) by at most w²/4 per period (LP ≤ QP + bound) …
      expect(lp.weightedObjective).toBeGreaterThanOrEqual(qp.weightedObjective - 1e-6);
      expect(lp.weightedObjective).toBeLessThanOrEqual(qp.weightedObjective + bound + 1e-6);
      // … and the LP's schedule, scored with the exact variance, is no better than the QP's optimum.
      const o = outcomeOf(data, readSchedule(lp.built, lp.sol));
      const exact = objectivesOf(o).reduce((a, v, k) => a + normalisedScale(norm, k, w[k]) * (v - norm.ideal[k]), 0)
        + normalisedScale(norm, 0, w[0]) * data.peakTieBreakYuanPerKw * o.peakKw;
      expect(exact).toBeGreaterThanOrEqual(qp.weightedObjective - 1e-6);
    }
  });

  it('at 0.5 h steps, LP ≤ the seed\'s MILP (binaries, every objective) ≤ the repaired LP, equal when no re-solve was needed', async () => {
    const { c, data } = small(8, { time: { periods: 48, dtH: 0.5 } });
    const segments = c.variance.pwlSegments;
    const norm = await normalisation(data, segments);
    const width = buildAreaObjectives(data, 'w', 'pwl', segments).shape.segmentWidthKw;
    let equalities = 0;
    for (const w of [economy, response]) {
      const run = await solveAndRepair(data, (directions, n) => weighted((m) => buildAreaObjectives(data, m, 'pwl', segments, { directions }), w, norm, n, solveFn), c.repair, 'half', solveFn);
      const milp = await weighted((n) => buildAreaObjectives(data, n, 'pwl', segments, { exclusive: true }), w, norm, 'milp', (m) => solve(m, { mipRelGap: 1e-9 }));
      const repaired = modelValue(data, outcomeOf(data, run.fixed.schedule), w, norm, width);
      const tol = 1e-6;
      expect(outcomeOf(data, run.fixed.schedule).simultaneous).toBe(0);
      expect(milp.weightedObjective).toBeLessThanOrEqual(repaired + tol);
      // A re-solve puts binaries on the burners only, not everywhere: here it still meets the MILP
      // to HiGHS's absolute MIP gap (1e-6); bound it at 0.01 %.
      expect(repaired).toBeLessThanOrEqual(milp.weightedObjective * 1.0001 + tol);
      if (run.resolves === 0) {
        equalities++;
        expect(run.lp.weightedObjective).toBeLessThanOrEqual(milp.weightedObjective + tol);
        expect(repaired).toBeCloseTo(run.lp.weightedObjective, 6);
        expect(milp.weightedObjective).toBeCloseTo(run.lp.weightedObjective, 6);
      }
    }
    expect(equalities).toBeGreaterThan(0);
  });

  it('the uncoordinated baseline is @zonal/ev\'s: full power from arrival to the target, BESS idle', () => {
    const { data, fleet } = small(50);
    const o = outcomeOf(data, uncoordinatedSchedule(fleet, data));
    const ev = uncoordinatedProfile(fleet, data.grid).gridKw;
    o.evKw.forEach((p, t) => expect(p).toBeCloseTo(ev[t], 9));
    expect(o.bessKw.every((p) => p === 0)).toBe(true);
    expect(o.degradationYuan).toBe(0);
  });
});
