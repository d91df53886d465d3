/**
 * Analytic Hierarchy Process (seed 002 §2.3): pairwise judgements on Saaty's 1–9 scale give the
 * weights of the objectives.
 *
 * - Consistency: CI = (λmax − n)/(n − 1) with λmax the principal (Perron) eigenvalue. SPEC §7.4
 *   asks for Saaty's ratio CR = CI/RI < 0.1 (RI = 0.58 for n = 3); the seed tests CI < 0.1, which is
 *   weaker (it accepts CI up to 0.1, i.e. CR up to 0.17).
 * - Weights: the normalised geometric means of the rows (seed step 3), not the eigenvector; the two
 *   agree on a consistent matrix.
 * - Several experts: each matrix is checked on its own and the weights are averaged (seed step 4).
 */

/** One matrix's judgement, or why it cannot be used (field-relative path and message). */
export interface AhpResult {
  weights: number[];
  lambdaMax: number;
  ci: number;
  cr: number;
}

export interface AhpIssue {
  /** Path below the matrix: [] for the whole matrix, [row, col] for one entry. */
  path: number[];
  message: string;
}

export interface AhpLimits {
  /** Saaty's random index for the matrix order (0.58 for n = 3). */
  randomIndex: number;
  /** CR at or above which a matrix is refused (0.1). */
  maxConsistencyRatio: number;
}

/** Saaty's scale runs from 1/9 to 9; a float written as 0.1111111 is 1/9 too. */
const SCALE_MIN = 1 / 9, SCALE_MAX = 9, SCALE_EPS = 1e-6;
/** How far a_ij · a_ji may stray from 1 (decimals such as 0.2857142857 for 2/7). */
const RECIPROCAL_REL_TOL = 1e-6;

/** Structural problems of a pairwise matrix: its order, Saaty's scale, unit diagonal, reciprocity. */
export function matrixIssues(a: readonly (readonly number[])[], order: number): AhpIssue[] {
  if (a.length !== order || a.some((row) => row.length !== order)) {
    return [{ path: [], message: `must be ${order} × ${order} (one row and column per objective), got ${a.length} row(s) of ${a.map((r) => r.length).join('/')}` }];
  }
  const issues: AhpIssue[] = [];
  for (let i = 0; i < order; i++) {
    for (let j = 0; j < order; j++) {
      const v = a[i][j];
      if (!Number.isFinite(v) || v < SCALE_MIN * (1 - SCALE_EPS) || v > SCALE_MAX * (1 + SCALE_EPS)) {
        issues.push({ path: [i, j], message: `must be on Saaty's scale [1/9, 9], got ${v}` });
      } else if (i === j && Math.abs(v - 1) > SCALE_EPS) {
        issues.push({ path: [i, j], message: `an objective compared with itself must be 1, got ${v}` });
      } else if (j > i && Number.isFinite(a[j][i]) && Math.abs(v * a[j][i] - 1) > RECIPROCAL_REL_TOL) {
        issues.push({ path: [j, i], message: `must be the reciprocal of entry [${i}][${j}] = ${v} (1/${v} = ${1 / v}), got ${a[j][i]}` });
      }
    }
  }
  return issues;
}

/** Principal eigenvalue of a positive matrix by power iteration (Perron–Frobenius: it converges). */
export function principalEigenvalue(a: readonly (readonly number[])[]): number {
  const n = a.length;
  let x = new Array<number>(n).fill(1 / n);
  let lambda = 0;
  for (let iter = 0; iter < 10_000; iter++) {
    const y = a.map((row) => row.reduce((s, v, j) => s + v * x[j], 0));
    const sum = y.reduce((s, v) => s + v, 0);
    // With x summing to 1, sum(Ax) → λ·sum(x) = λ.
    const next = sum;
    x = y.map((v) => v / sum);
    if (Math.abs(next - lambda) < 1e-14 * next) return next;
    lambda = next;
  }
  return lambda;
}

/** Weights and consistency of one pairwise matrix (assumed structurally valid: see matrixIssues). */
export function judge(a: readonly (readonly number[])[], limits: AhpLimits): AhpResult {
  const n = a.length;
  const geo = a.map((row) => Math.exp(row.reduce((s, v) => s + Math.log(v), 0) / n));
  const total = geo.reduce((s, v) => s + v, 0);
  const lambdaMax = principalEigenvalue(a);
  // λmax ≥ n for a positive reciprocal matrix; a rounding hair below it is consistency.
  const ci = n > 1 ? Math.max(0, (lambdaMax - n) / (n - 1)) : 0;
  return { weights: geo.map((g) => g / total), lambdaMax, ci, cr: limits.randomIndex > 0 ? ci / limits.randomIndex : 0 };
}

/** Everything wrong with one expert's matrix, including a consistency ratio at or above the limit. */
export function judgementIssues(a: readonly (readonly number[])[], order: number, limits: AhpLimits): AhpIssue[] {
  const structural = matrixIssues(a, order);
  if (structural.length) return structural;
  const r = judge(a, limits);
  if (r.cr < limits.maxConsistencyRatio) return [];
  const seedTest = r.ci < 0.1 ? ` (the seed's weaker test, CI < 0.1, would have accepted it)` : '';
  return [{
    path: [],
    message: `inconsistent judgements: consistency ratio CR = CI/RI = ${r.cr.toFixed(4)} is not below ${limits.maxConsistencyRatio} ` +
      `(λmax = ${r.lambdaMax.toFixed(4)}, CI = ${r.ci.toFixed(4)}, RI = ${limits.randomIndex})${seedTest}; revise the pairwise comparisons`,
  }];
}

/** Seed step 4: the mean of the experts' weights (every matrix must already be consistent). */
export function modeWeights(matrices: readonly (readonly (readonly number[])[])[], limits: AhpLimits): { weights: number[]; experts: AhpResult[] } {
  const experts = matrices.map((a) => judge(a, limits));
  const n = experts[0].weights.length;
  const weights = Array.from({ length: n }, (_, k) => experts.reduce((s, e) => s + e.weights[k], 0) / experts.length);
  return { weights, experts };
}
