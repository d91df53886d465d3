import { afterAll, describe, expect, it } from 'vitest';
import { ModelBuilder, shutdownSolver, solve } from '@zonal/solver';
import { linear, termValue } from './objectives';
import { lexicographic, nonDominated, normalised, payoffTable, simplexWeights, weighted, type Normalisation, type Solved } from './scalarise';

afterAll(() => shutdownSolver());

/**
 * x, y in [0, 1] with x + y >= 1. F1 = x + y (every point of the segment x + y = 1 is optimal: a tie
 * like a flat TOU block), F2 = y, F3 = 2 − x. Hand payoff table:
 *   min F1, then F2, then F3:  (x, y) = (1, 0) → (1, 0, 1)
 *   min F2 (y = 0), then F3 (x = 1), then F1 → (1, 0, 1)
 *   min F3 (x = 1), then F1 (y = 0), then F2 → (1, 0, 1)
 * A plain solve of F1 alone could stop anywhere on the segment; the lexicographic row cannot.
 * A second example, F1 = x, F2 = y, F3 = x + 2y:
 *   min F1: x = 0, y = 1 → (0, 1, 2); min F2: y = 0, x = 1 → (1, 0, 1); min F3: (1, 0) → (1, 0, 1).
 */
const toy = (f: (x: number, y: number) => ReturnType<typeof linear>[]) => (name: string) => {
  const model = new ModelBuilder(name);
  const x = model.addVar('x', [], { lb: 0, ub: 1 }), y = model.addVar('y', [], { lb: 0, ub: 1 });
  model.addConstraint('cover', [], [x, y], [1, 1], '>=', 1);
  return { model, f: f(x, y), x, y };
};
const tie = toy((x, y) => [linear([x, y], [1, 1]), linear([y], [1]), linear([x], [-1], 2)]);
const plain = toy((x, y) => [linear([x], [1]), linear([y], [1]), linear([x, y], [1, 2])]);
const exact = (s: Solved<ReturnType<typeof plain>>) => s.built.f.map((f) => termValue(f, s.sol));

describe('payoff table and weighted sum (seed 002 §2.2, SPEC §7.4)', () => {
  it('breaks a tied optimum lexicographically', async () => {
    const s = await lexicographic(tie, [0, 1, 2], 'lex', (m) => solve(m));
    expect(s.sol.value(s.built.x)).toBeCloseTo(1, 9);
    expect(s.sol.value(s.built.y)).toBeCloseTo(0, 9);
  });

  it('builds the hand payoff table, its ideal and nadir', async () => {
    const norm = await payoffTable(plain, 3, exact, (m) => solve(m), 1e-9);
    // Each held objective may give up its 1e-7 relative slack to the later stages.
    const round = (r: number[]) => r.map((v) => Number(v.toFixed(6)) + 0);
    expect(norm.table.map(round)).toEqual([[0, 1, 2], [1, 0, 1], [1, 0, 1]]);
    expect(round(norm.ideal)).toEqual([0, 0, 1]);
    expect(round(norm.nadir)).toEqual([1, 1, 2]);
    expect(round(normalised(norm, [0.5, 0.5, 1.5]))).toEqual([0.5, 0.5, 0.5]);
  });

  it('minimises Σ ω (F − F*)/(F_nadir − F*), ignoring an objective whose range is below minRange', async () => {
    const norm: Normalisation = { ideal: [0, 0, 1], nadir: [1, 1, 2], table: [], minRange: 1e-9 };
    // On x + y = 1: 0.7x + 0.3(1 − x) + 0 is least at x = 0 (0.3); x = 1 gives 0.7.
    const r = await weighted(plain, [0.7, 0.3, 0], norm, 'w', (m) => solve(m));
    expect(r.weightedObjective).toBeCloseTo(0.3, 9);
    expect(r.objectiveScale).toBe(1);
    const flat: Normalisation = { ideal: [0, 0, 1], nadir: [1, 1e-12, 2], table: [], minRange: 1e-9 };
    const r2 = await weighted(plain, [0.5, 0.5, 0], flat, 'w2', (m) => solve(m));
    expect(r2.weightedObjective).toBeCloseTo(0, 9);
  });

  it('enumerates the weight simplex', () => {
    const w = simplexWeights(3, 4);
    expect(w).toHaveLength(15);
    expect(w[0]).toEqual([1, 0, 0]);
    expect(w.at(-1)).toEqual([0, 0, 1]);
    for (const v of w) expect(v.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(new Set(w.map((v) => v.join())).size).toBe(15);
  });

  it('keeps exactly the non-dominated points', () => {
    const pts = [[1, 5, 5], [2, 2, 2], [3, 3, 3], [1, 5, 5], [5, 1, 1], [2, 2, 2.5]];
    // [3,3,3] and [2,2,2.5] are dominated by [2,2,2]; the two copies of [1,5,5] do not dominate each other.
    expect(nonDominated(pts, [0, 0, 0])).toEqual([0, 1, 3, 4]);
    // Within the tolerance, [2,2,2.5] ties [2,2,2].
    expect(nonDominated(pts, [0, 0, 1])).toEqual([0, 1, 3, 4, 5]);
  });
});
