import type { ModelBuilder, Solution } from '@zonal/solver';

/**
 * The three objectives of seed 002 §2.1 as model terms over a net-load profile:
 *  F1 = energy cost + EV degradation (built by each formulation: it depends on what is priced);
 *  F2 = variance of the net load, (1/T) Σ (P_t − mean)² — the seed writes the sum; the factor 1/T
 *       makes √F2 the standard deviation the seed's table prints and cancels in the normalisation;
 *  F3 = max_t P_t − min_t P_t (epigraphs, an LP).
 * F2 is quadratic. HiGHS has no MIQP and GLPK reads no quadratic terms, so F2 comes in two forms
 * (SPEC §7.4): `pwl`, the secant interpolation of d² on uniform segments of width w (an LP, over-
 * estimating d² by at most w²/4 per period), and `qp`, the exact convex quadratic (not exportable).
 */
export type VarianceForm = 'pwl' | 'qp';

/** Σ coefs[k]·x[cols[k]] + constant. */
export interface LinExpr {
  cols: number[];
  coefs: number[];
  constant: number;
}

/** An objective as a model term: a linear part plus, for F2 in `qp` form, diagonal squares. */
export interface ObjectiveTerm {
  lin: LinExpr;
  /** objective += coef · x[col]² for each entry. */
  squares: Array<{ col: number; coef: number }>;
}

export const linear = (cols: number[], coefs: number[], constant = 0): ObjectiveTerm => ({ lin: { cols, coefs, constant }, squares: [] });

export interface ShapeTerms {
  f2: ObjectiveTerm;
  f3: ObjectiveTerm;
  peakKw: number;
  valleyKw: number;
  /** Widest deviation from the mean the PWL segments cover (kW) and their width. */
  deviationRangeKw: number;
  segmentWidthKw: number;
}

/**
 * Adds the mean, the deviations and the peak/valley epigraphs over the net-load columns `net`,
 * whose values lie within [netLoKw[t], netHiKw[t]] (finite bounds: HiGHS's QP needs them).
 */
export function addShapeTerms(
  m: ModelBuilder, net: number[], netLoKw: ArrayLike<number>, netHiKw: ArrayLike<number>,
  form: VarianceForm, segments: number,
): ShapeTerms {
  const T = net.length;
  const lo = Math.min(...Array.from(netLoKw)), hi = Math.max(...Array.from(netHiKw));
  // |P_t − mean| never exceeds the spread of all attainable values.
  const range = Math.max(hi - lo, 1e-6);
  const mean = m.addVar('shapeMean', [], { lb: lo, ub: hi });
  m.addConstraint('shapeMeanDef', [], [mean, ...net], [1, ...net.map(() => -1 / T)], '=', 0);
  const peakKw = m.addVar('shapePeak', [], { lb: lo, ub: hi });
  const valleyKw = m.addVar('shapeValley', [], { lb: lo, ub: hi });
  for (let t = 0; t < T; t++) {
    m.addConstraint('shapePeakDef', [t], [peakKw, net[t]], [1, -1], '>=', 0);
    m.addConstraint('shapeValleyDef', [t], [valleyKw, net[t]], [1, -1], '<=', 0);
  }
  const f3 = linear([peakKw, valleyKw], [1, -1]);
  const width = range / segments;
  if (form === 'qp') {
    const squares: ObjectiveTerm['squares'] = [];
    for (let t = 0; t < T; t++) {
      const dev = m.addVar('shapeDev', [t], { lb: -range, ub: range });
      m.addConstraint('shapeDevDef', [t], [dev, net[t], mean], [1, -1, 1], '=', 0);
      squares.push({ col: dev, coef: 1 / T });
    }
    return { f2: { lin: { cols: [], coefs: [], constant: 0 }, squares }, f3, peakKw, valleyKw, deviationRangeKw: range, segmentWidthKw: width };
  }
  // P_t − mean = Σ_k (up_tk − down_tk), each piece in [0, w]; piece k costs the secant slope of d²
  // on [k·w, (k+1)·w], (2k + 1)·w. Slopes rise with k, so a minimiser fills pieces in order.
  const up = m.addVars('shapeDevUp', [T, segments], { lb: 0, ub: width });
  const down = m.addVars('shapeDevDown', [T, segments], { lb: 0, ub: width });
  const cols: number[] = [], coefs: number[] = [];
  for (let t = 0; t < T; t++) {
    const rowCols = [net[t], mean], rowCoefs = [1, -1];
    for (let k = 0; k < segments; k++) {
      const slope = ((2 * k + 1) * width) / T;
      rowCols.push(up.at(t, k), down.at(t, k));
      rowCoefs.push(-1, 1);
      cols.push(up.at(t, k), down.at(t, k));
      coefs.push(slope, slope);
    }
    m.addConstraint('shapeDevDef', [t], rowCols, rowCoefs, '=', 0);
  }
  return { f2: linear(cols, coefs), f3, peakKw, valleyKw, deviationRangeKw: range, segmentWidthKw: width };
}

/** Value of a term at a solution. */
export function termValue(term: ObjectiveTerm, sol: Solution): number {
  let v = term.lin.constant;
  term.lin.cols.forEach((c, k) => (v += term.lin.coefs[k] * sol.value(c)));
  for (const s of term.squares) v += s.coef * sol.value(s.col) ** 2;
  return v;
}

/** Adds `scale · (term − offset)` to the model's objective. */
export function addToObjective(m: ModelBuilder, term: ObjectiveTerm, scale: number, offset = 0): void {
  if (scale === 0) return;
  term.lin.cols.forEach((c, k) => m.setObjectiveCoef(c, scale * term.lin.coefs[k]));
  for (const s of term.squares) m.addQuadraticTerm(s.col, s.col, scale * s.coef);
  if (term.lin.constant - offset !== 0) m.addObjectiveConstant(scale * (term.lin.constant - offset));
}

/** term ≤ bound as a row (linear terms only: a quadratic cannot be held in an LP). */
export function holdAtMost(m: ModelBuilder, family: string, term: ObjectiveTerm, bound: number): void {
  if (term.squares.length) throw new Error(`objective "${family}" is quadratic and cannot be held as a constraint`);
  m.addConstraint(family, [], term.lin.cols, term.lin.coefs, '<=', bound - term.lin.constant);
}

/** Exact F2 and F3 of a net-load profile (kW², kW). */
export function shapeOf(netKw: ArrayLike<number>): { varianceKw2: number; stdKw: number; peakValleyKw: number } {
  const xs = Array.from(netKw);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const varianceKw2 = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { varianceKw2, stdKw: Math.sqrt(varianceKw2), peakValleyKw: Math.max(...xs) - Math.min(...xs) };
}
