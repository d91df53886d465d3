/**
 * Independent reference solvers for small dense problems, used only by tests: vertex enumeration
 * for an LP with finite bounds (every optimum of a bounded LP is attained at a vertex, i.e. where n
 * linearly independent constraints or bounds are active) and brute force for a pure-integer program.
 */

export interface DenseProblem {
  /** Objective to minimise. */
  c: number[];
  /** Rows: a[i] . x (sense[i]) b[i]. */
  a: number[][];
  sense: ('<=' | '>=' | '=')[];
  b: number[];
  lb: number[];
  ub: number[];
}

const FEAS_TOL = 1e-9;

export function feasible(p: DenseProblem, x: number[]): boolean {
  for (let j = 0; j < x.length; j++) if (x[j] < p.lb[j] - FEAS_TOL || x[j] > p.ub[j] + FEAS_TOL) return false;
  return p.a.every((row, i) => {
    const act = row.reduce((s, v, j) => s + v * x[j], 0);
    const tol = FEAS_TOL * (1 + Math.abs(p.b[i]));
    if (p.sense[i] === '<=') return act <= p.b[i] + tol;
    if (p.sense[i] === '>=') return act >= p.b[i] - tol;
    return Math.abs(act - p.b[i]) <= tol;
  });
}

const objective = (p: DenseProblem, x: number[]) => p.c.reduce((s, v, j) => s + v * x[j], 0);

/** Minimum by vertex enumeration, or null when infeasible. Bounds must be finite. */
export function solveByVertices(p: DenseProblem): { objective: number; x: number[] } | null {
  const n = p.c.length;
  // Candidate active constraints: each row, and each variable at its lower or upper bound.
  const hyperplanes: { coef: number[]; rhs: number }[] = p.a.map((row, i) => ({ coef: row, rhs: p.b[i] }));
  for (let j = 0; j < n; j++) {
    const e = new Array<number>(n).fill(0);
    e[j] = 1;
    hyperplanes.push({ coef: e, rhs: p.lb[j] }, { coef: e, rhs: p.ub[j] });
  }
  let best: { objective: number; x: number[] } | null = null;
  for (const subset of combinations(hyperplanes.length, n)) {
    const x = solveSquare(subset.map((k) => hyperplanes[k].coef), subset.map((k) => hyperplanes[k].rhs));
    if (!x || !feasible(p, x)) continue;
    const f = objective(p, x);
    if (!best || f < best.objective) best = { objective: f, x };
  }
  return best;
}

/** Minimum over every integer point in the (finite, integer) bounds, or null when none is feasible. */
export function solveByEnumeration(p: DenseProblem): { objective: number; x: number[] } | null {
  const n = p.c.length;
  const x = p.lb.slice();
  let best: { objective: number; x: number[] } | null = null;
  for (;;) {
    if (feasible(p, x)) {
      const f = objective(p, x);
      if (!best || f < best.objective) best = { objective: f, x: x.slice() };
    }
    let d = 0;
    while (d < n && x[d] === p.ub[d]) {
      x[d] = p.lb[d];
      d++;
    }
    if (d === n) return best;
    x[d]++;
  }
}

function* combinations(total: number, k: number): Generator<number[]> {
  const idx = Array.from({ length: k }, (_, i) => i);
  if (k > total) return;
  for (;;) {
    yield idx.slice();
    let i = k - 1;
    while (i >= 0 && idx[i] === total - k + i) i--;
    if (i < 0) return;
    idx[i]++;
    for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1] + 1;
  }
}

/** Gaussian elimination with partial pivoting; null when singular. */
function solveSquare(a: number[][], b: number[]): number[] | null {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[piv][col])) piv = r;
    if (Math.abs(m[piv][col]) < 1e-10) return null;
    [m[col], m[piv]] = [m[piv], m[col]];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r][col] / m[col][col];
      for (let c = col; c <= n; c++) m[r][c] -= f * m[col][c];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}
