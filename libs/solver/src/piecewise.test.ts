import { afterAll, describe, expect, it } from 'vitest';
import { ModelBuilder } from './model';
import { addConvexPiecewise, breakpointsAround } from './piecewise';
import { solve } from './solve';
import { shutdownSolver } from './worker-client';

afterAll(() => shutdownSolver());

/** The interpolation of f through sorted breakpoints, evaluated directly (the reference). */
function interpolate(bps: number[], f: (x: number) => number, x: number): number {
  for (let i = 1; i < bps.length; i++) {
    if (x <= bps[i] + 1e-12) return f(bps[i - 1]) + ((f(bps[i]) - f(bps[i - 1])) * (x - bps[i - 1])) / (bps[i] - bps[i - 1]);
  }
  throw new Error('x beyond the breakpoints');
}

describe('addConvexPiecewise', () => {
  // min w·f(x) + c·x over x in [lo, hi], f(x) = (x − 3)²: the LP's optimum must equal the minimum of
  // the interpolation over a fine scan of [lo, hi] (a brute force), and sit at a breakpoint or bound.
  const f = (x: number) => (x - 3) ** 2;
  for (const c of [-7, -1, 0, 0.5, 4]) {
    it(`equals a brute-force scan of the interpolation (linear term ${c})`, async () => {
      const bps = breakpointsAround(2, 0.5, [0, 0.5, -0.5, 1, -1, 4, -4], -5, 10)!;
      const m = new ModelBuilder('pwl');
      const x = m.addVar('x', [], { lb: -5, ub: 10 });
      m.setObjectiveCoef(x, c);
      addConvexPiecewise(m, 'f', [], x, bps, f, 2);
      const sol = await solve(m);
      let best = Infinity;
      for (let i = 0; i <= 150_000; i++) {
        const v = -5 + (15 * i) / 150_000;
        best = Math.min(best, 2 * interpolate(bps, f, v) + c * v);
      }
      for (const b of bps) best = Math.min(best, 2 * f(b) + c * b);
      expect(sol.objective).toBeCloseTo(best, 6);
      expect(2 * interpolate(bps, f, sol.value(x)) + c * sol.value(x)).toBeCloseTo(sol.objective, 6);
    });
  }

  it('is exact at the breakpoints and above a convex f between them', () => {
    const bps = [0, 1, 3, 7];
    for (const b of bps) expect(interpolate(bps, f, b)).toBeCloseTo(f(b), 12);
    for (const x of [0.5, 2, 5]) expect(interpolate(bps, f, x)).toBeGreaterThanOrEqual(f(x));
  });

  it('refuses breakpoints that do not increase, naming the term', () => {
    const m = new ModelBuilder('pwl');
    const x = m.addVar('x', [], { lb: 0, ub: 1 });
    expect(() => addConvexPiecewise(m, 'prox', [3], x, [0, 1, 1], f)).toThrow(/prox\[3\]: breakpoints must increase strictly/);
    expect(() => addConvexPiecewise(m, 'prox', [3], x, [0], f)).toThrow(/at least 2 breakpoints/);
  });
});

describe('breakpointsAround', () => {
  it('keeps the grid inside the range, adds its ends and merges near-duplicates', () => {
    expect(breakpointsAround(0, 1, [0, 1, -1, 8, -8], -2, 3)).toEqual([-2, -1, 0, 1, 3]);
    expect(breakpointsAround(0, 1e-12, [0, 1, -1], -1, 1)).toEqual([-1, -1e-12, 1]);
    expect(breakpointsAround(1 - 1e-12, 1, [0], -1, 1)).toEqual([-1, 1]);
  });
  it('is null for a range that is not finite or empty', () => {
    expect(breakpointsAround(0, 1, [0], -Infinity, 1)).toBeNull();
    expect(breakpointsAround(0, 1, [0], 1, 1)).toBeNull();
  });
});
