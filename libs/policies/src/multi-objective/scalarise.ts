import type { ModelBuilder, Solution } from '@zonal/solver';
import { addToObjective, holdAtMost, termValue, type ObjectiveTerm } from './objectives';

/**
 * Seed 002 §2.2: the weighted sum F = Σ ω_k F~_k of objectives normalised with the payoff table,
 * F~ = (F − F*)/(F_nadir − F*) (SPEC §7.4; 0 when the denominator is below `minRange`).
 *
 * Payoff table: row k optimises F_k first. A single-objective optimum is rarely unique (a flat TOU
 * block leaves many cost-optimal schedules with any variance at all), and a tie broken by the solver
 * would make the nadir arbitrary; so each row is lexicographic (Mavrotas 2009, AUGMECON): F_k, then
 * the next objective with F_k held at its optimum, then the last with both held.
 */
export interface Scalarisable {
  model: ModelBuilder;
  f: ObjectiveTerm[];
}

/** Builds the model afresh (a builder cannot drop objective terms or rows). */
export type Build<M extends Scalarisable> = (name: string) => M;
/** Solves (and exports) a built model. */
export type SolveFn = (model: ModelBuilder) => Promise<Solution>;

export interface Normalisation {
  /** F*: the best value of each objective over the payoff table. */
  ideal: number[];
  /** F_nadir: the worst value of each objective over the payoff table's rows. */
  nadir: number[];
  /** Rows of the payoff table: the objectives (exact values) at the optimum of each. */
  table: number[][];
  minRange: number;
}

/**
 * Relative slack when an optimised objective is held (HiGHS's tolerances are about 1e-7): later
 * stages may spend it, so a payoff entry is exact to this.
 */
const HOLD_REL_TOL = 1e-7;

export interface Solved<M> {
  built: M;
  sol: Solution;
}

/** Optimises the objectives in `order`, each with the earlier ones held at their optima. */
export async function lexicographic<M extends Scalarisable>(build: Build<M>, order: number[], name: string, solve: SolveFn): Promise<Solved<M>> {
  const held: Array<{ k: number; value: number }> = [];
  let last: Solved<M> | undefined;
  for (const k of order) {
    const built = build(`${name}-F${k + 1}`);
    for (const h of held) holdAtMost(built.model, `holdF${h.k + 1}`, built.f[h.k], h.value + HOLD_REL_TOL * Math.max(1, Math.abs(h.value)));
    addToObjective(built.model, built.f[k], 1);
    const sol = await solve(built.model);
    held.push({ k, value: termValue(built.f[k], sol) });
    last = { built, sol };
  }
  return last!;
}

/** The payoff table; `evaluate` gives the exact objectives of a solution (not the model's PWL F2). */
export async function payoffTable<M extends Scalarisable>(
  build: Build<M>, n: number, evaluate: (s: Solved<M>) => number[], solve: SolveFn, minRange: number, name = 'payoff',
): Promise<Normalisation> {
  const table: number[][] = [];
  for (let k = 0; k < n; k++) {
    const order = Array.from({ length: n }, (_, j) => (k + j) % n);
    table.push(evaluate(await lexicographic(build, order, `${name}${k + 1}`, solve)));
  }
  const ideal = table[0].map((_, j) => Math.min(...table.map((r) => r[j])));
  const nadir = table[0].map((_, j) => Math.max(...table.map((r) => r[j])));
  return { ideal, nadir, table, minRange };
}

/** The factor of F_k in Σ ω_k F~_k: ω_k / (F_nadir − F*), or 0 for a degenerate range. */
export function normalisedScale(norm: Normalisation, k: number, weight: number): number {
  const range = norm.nadir[k] - norm.ideal[k];
  return range < norm.minRange ? 0 : weight / range;
}

/**
 * HiGHS's QP solver stalls (time limit) or fails on this model when the objective's linear
 * coefficients are far from 1 — measured on the shipped case: largest coefficient 0.26 fails,
 * 1 to 15 solve in under 2 s — so a QP's objective is scaled to bring its largest to this.
 */
const QP_LINEAR_COEF_TARGET = 4;

export interface WeightedSolved<M> extends Solved<M> {
  /** The optimiser's objective is this times Σ ω_k F~_k (1 for an LP). */
  objectiveScale: number;
  /** Σ ω_k F~_k at the optimum, in the model's terms (F2 piecewise linear in the `pwl` form). */
  weightedObjective: number;
}

/** min Σ ω_k (F_k − F*_k)/(F_nadir,k − F*_k). */
export async function weighted<M extends Scalarisable>(build: Build<M>, weights: readonly number[], norm: Normalisation, name: string, solve: SolveFn): Promise<WeightedSolved<M>> {
  const built = build(name);
  const scales = weights.map((w, k) => normalisedScale(norm, k, w));
  let objectiveScale = 1;
  if (built.f.some((f) => f.squares.length > 0)) {
    const coef = new Map<number, number>();
    built.f.forEach((f, k) => f.lin.cols.forEach((c, j) => coef.set(c, (coef.get(c) ?? 0) + scales[k] * f.lin.coefs[j])));
    const largest = Math.max(0, ...Array.from(coef.values(), Math.abs));
    if (largest > 0) objectiveScale = QP_LINEAR_COEF_TARGET / largest;
  }
  scales.forEach((s, k) => addToObjective(built.model, built.f[k], objectiveScale * s, norm.ideal[k]));
  const sol = await solve(built.model);
  return { built, sol, objectiveScale, weightedObjective: sol.objective / objectiveScale };
}

/** The normalised objectives of exact values. */
export function normalised(norm: Normalisation, values: readonly number[]): number[] {
  return values.map((v, k) => {
    const range = norm.nadir[k] - norm.ideal[k];
    return range < norm.minRange ? 0 : (v - norm.ideal[k]) / range;
  });
}

/** Every weight vector on the simplex whose entries are multiples of 1/steps. */
export function simplexWeights(n: number, steps: number): number[][] {
  const out: number[][] = [];
  const rec = (prefix: number[], left: number): void => {
    if (prefix.length === n - 1) {
      out.push([...prefix, left].map((x) => x / steps));
      return;
    }
    for (let i = left; i >= 0; i--) rec([...prefix, i], left - i);
  };
  rec([], steps);
  return out;
}

/** Indices of the points no other point dominates (all objectives minimised; `tol` absorbs noise). */
export function nonDominated(points: readonly (readonly number[])[], tol: readonly number[]): number[] {
  const dominates = (a: readonly number[], b: readonly number[]) =>
    a.every((v, k) => v <= b[k] + tol[k]) && a.some((v, k) => v < b[k] - tol[k]);
  return points.map((_, i) => i).filter((i) => !points.some((q, j) => j !== i && dominates(q, points[i])));
}
