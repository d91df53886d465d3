import { afterAll, describe, expect, it } from 'vitest';
import { ModelBuilder, shutdownSolver, solve } from '@zonal/solver';
import { addShapeTerms, addToObjective, shapeOf, termValue, type VarianceForm } from './objectives';

afterAll(() => shutdownSolver());

/** A model whose net load is fixed to `netKw`, with the shape terms over bounds [lo, hi]. */
function fixedProfile(netKw: number[], lo: number, hi: number, form: VarianceForm, segments: number) {
  const m = new ModelBuilder(`shape-${form}`);
  const net = netKw.map((p, t) => m.addVar('net', [t], { lb: p, ub: p }));
  const shape = addShapeTerms(m, net, netKw.map(() => lo), netKw.map(() => hi), form, segments);
  return { m, shape };
}

/** d² interpolated linearly between the breakpoints k·w (the secant form, written out independently). */
function secantSquare(d: number, w: number): number {
  const a = Math.abs(d), k = Math.floor(a / w);
  return (k * w) ** 2 + (2 * k + 1) * w * (a - k * w);
}

describe('seed 002 objectives F2 (variance) and F3 (peak-to-valley) as model terms', () => {
  it('shapeOf: hand values', () => {
    // mean 3, deviations -2, 0, 2, 0: variance 2, std √2, peak-valley 4.
    const s = shapeOf([1, 3, 5, 3]);
    expect(s.varianceKw2).toBeCloseTo(2, 14);
    expect(s.stdKw).toBeCloseTo(Math.SQRT2, 14);
    expect(s.peakValleyKw).toBe(4);
  });

  it('the piecewise-linear F2 is exact when every deviation sits on a breakpoint', async () => {
    // Range [0, 80] and 8 segments: width 10 kW; mean 40, deviations ±20, ±10, 0.
    const netKw = [20, 60, 30, 50, 40];
    const { m, shape } = fixedProfile(netKw, 0, 80, 'pwl', 8);
    expect(shape.segmentWidthKw).toBe(10);
    addToObjective(m, shape.f2, 1);
    const sol = await solve(m);
    expect(sol.objective).toBeCloseTo(shapeOf(netKw).varianceKw2, 9);
  });

  it('between breakpoints it is the secant interpolation of d², over by at most w²/4 per period', async () => {
    const netKw = [13.7, 71.2, 44.4, 5.05, 29.9, 62.5];
    const segments = 8, lo = 0, hi = 80, w = (hi - lo) / segments;
    const { m, shape } = fixedProfile(netKw, lo, hi, 'pwl', segments);
    addToObjective(m, shape.f2, 1);
    const sol = await solve(m);
    const mean = netKw.reduce((a, b) => a + b, 0) / netKw.length;
    const secant = netKw.reduce((a, p) => a + secantSquare(p - mean, w), 0) / netKw.length;
    const exact = shapeOf(netKw).varianceKw2;
    expect(sol.objective).toBeCloseTo(secant, 8);
    expect(sol.objective).toBeGreaterThanOrEqual(exact);
    expect(sol.objective).toBeLessThanOrEqual(exact + (w * w) / 4);
  });

  it('the QP form gives the exact variance', async () => {
    const netKw = [13.7, 71.2, 44.4, 5.05, 29.9, 62.5];
    const { m, shape } = fixedProfile(netKw, 0, 80, 'qp', 8);
    addToObjective(m, shape.f2, 1);
    const sol = await solve(m);
    expect(sol.objective).toBeCloseTo(shapeOf(netKw).varianceKw2, 6);
    expect(termValue(shape.f2, sol)).toBeCloseTo(shapeOf(netKw).varianceKw2, 6);
  });

  it('F3 is max − min of the net load, minimised through its epigraphs', async () => {
    // Two periods share 10 kW of movable load on a base of (5, 1): the flattest split is (3, 7) → 8, 8.
    const m = new ModelBuilder('pv');
    const x = [m.addVar('x', [0], { lb: 0, ub: 10 }), m.addVar('x', [1], { lb: 0, ub: 10 })];
    m.addConstraint('energy', [], x, [1, 1], '=', 10);
    const net = [0, 1].map((t) => m.addVar('net', [t], { lb: 0, ub: 20 }));
    [5, 1].forEach((b, t) => m.addConstraint('netDef', [t], [net[t], x[t]], [1, -1], '=', b));
    const shape = addShapeTerms(m, net, [0, 0], [20, 20], 'pwl', 4);
    addToObjective(m, shape.f3, 1);
    const sol = await solve(m);
    expect(sol.objective).toBeCloseTo(0, 9);
    expect(sol.value(x[0])).toBeCloseTo(3, 9);
  });
});
