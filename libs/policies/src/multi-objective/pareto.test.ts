import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { LpExporter, shutdownSolver } from '@zonal/solver';
import { defaultCasePath } from '../cases';
import { multiObjective } from './multi-objective';

afterAll(() => shutdownSolver());
const path = defaultCasePath('multi-objective')!;
const shipped = parseWithSchema(multiObjective.caseSchema, readJsonFile(path), path);

describe('the Pareto front by weight sweep (a 10-EV car park, step 0.25)', () => {
  it('the sweep\'s front holds exactly the non-dominated points, and its cost corner is the payoff ideal', async () => {
    const c = { ...shipped, fleet: { ...shipped.fleet, count: 10 } };
    const report = await multiObjective.runCase(c, { exporter: new LpExporter(undefined), rng: createRng(c.seed) });
    const rows = report.rows as { pareto: { points: Array<{ weights: number[]; totalCostYuan: number; varianceKw2: number; peakValleyKw: number; simultaneous: number; onFront: boolean }> }; payoff: { ideal: number[] } };
    const pts = rows.pareto.points;
    expect(pts).toHaveLength(15);
    const f = (p: (typeof pts)[number]) => [p.totalCostYuan, p.varianceKw2, p.peakValleyKw];
    const dominates = (a: number[], b: number[]) => a.every((v, k) => v <= b[k] + 1e-6) && a.some((v, k) => v < b[k] - 1e-6);
    for (const p of pts) {
      expect(p.simultaneous).toBe(0);
      expect(pts.some((q) => dominates(f(q), f(p)))).toBe(!p.onFront);
    }
    // ω = (1, 0, 0) minimises F1 (plus its 0.001 yuan/kW peak tie-break): the ideal F1, within the tie-break.
    const corner = pts.find((p) => p.weights[0] === 1)!;
    expect(Math.abs(corner.totalCostYuan - rows.payoff.ideal[0])).toBeLessThan(1);
    expect(report.tables[3].rows.reduce((a, r) => a + Number(r.at(-1)), 0)).toBe(pts.filter((p) => p.onFront).length);
  });
});
