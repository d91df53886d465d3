import { describe, expect, it } from 'vitest';
import { judge, judgementIssues, matrixIssues, modeWeights, principalEigenvalue } from './ahp';

const limits = { randomIndex: 0.58, maxConsistencyRatio: 0.1 };

/**
 * Hand values. For a 3 × 3 reciprocal matrix with a = A12, b = A13, c = A23 the characteristic
 * polynomial is λ³ − 3λ² + 2 − (ac/b + b/(ac)) = 0, so λmax = 1 + x + 1/x with x = (ac/b)^(1/3)
 * (Saaty 1980): a closed form independent of the power iteration.
 */
function handLambda(a: number, b: number, c: number): number {
  const x = Math.cbrt((a * c) / b);
  return 1 + x + 1 / x;
}

const recip = (a: number, b: number, c: number) => [[1, a, b], [1 / a, 1, c], [1 / b, 1 / c, 1]];

describe('AHP (seed 002 §2.3)', () => {
  it('gives SPEC §7.4\'s economy and response weights from the shipped matrices, both with CR = 0', () => {
    const economy = judge(recip(7 / 2, 7, 2), limits);
    expect(economy.weights[0]).toBeCloseTo(0.7, 12);
    expect(economy.weights[1]).toBeCloseTo(0.2, 12);
    expect(economy.weights[2]).toBeCloseTo(0.1, 12);
    expect(economy.lambdaMax).toBeCloseTo(3, 10);
    expect(economy.cr).toBeLessThan(1e-9);
    const response = judge(recip(1, 2, 2), limits);
    expect(response.weights.map((w) => Number(w.toFixed(12)))).toEqual([0.4, 0.4, 0.2]);
    expect(response.cr).toBeLessThan(1e-9);
  });

  it('matches hand values on an inconsistent but acceptable matrix [[1,3,5],[1/3,1,3],[1/5,1/3,1]]', () => {
    const r = judge(recip(3, 5, 3), limits);
    // Row geometric means: 15^(1/3), 1, (1/15)^(1/3).
    const g = [Math.cbrt(15), 1, Math.cbrt(1 / 15)];
    const sum = g[0] + g[1] + g[2];
    g.forEach((v, k) => expect(r.weights[k]).toBeCloseTo(v / sum, 12));
    const lambda = handLambda(3, 5, 3); // 3.0385
    expect(r.lambdaMax).toBeCloseTo(lambda, 10);
    expect(r.ci).toBeCloseTo((lambda - 3) / 2, 10);
    expect(r.cr).toBeCloseTo((lambda - 3) / 2 / 0.58, 10);
    expect(r.cr).toBeCloseTo(0.0332, 4);
    expect(judgementIssues(recip(3, 5, 3), 3, limits)).toEqual([]);
  });

  it('agrees with the closed form on random reciprocal matrices on Saaty\'s scale', () => {
    const scale = [1 / 9, 1 / 7, 1 / 5, 1 / 3, 1 / 2, 1, 2, 3, 5, 7, 9];
    for (const a of scale) for (const b of scale) for (const c of [1 / 9, 1 / 2, 1, 4, 9]) {
      expect(principalEigenvalue(recip(a, b, c))).toBeCloseTo(handLambda(a, b, c), 9);
    }
  });

  it('refuses a matrix that passes the seed\'s CI < 0.1 but not CR < 0.1, and says so', () => {
    // a = b = c = 3: x = 3^(1/3), λmax = 3.1356, CI = 0.0678 (< 0.1), CR = 0.117 (>= 0.1).
    const m = recip(3, 3, 3);
    const r = judge(m, limits);
    expect(r.ci).toBeCloseTo((handLambda(3, 3, 3) - 3) / 2, 10);
    expect(r.ci).toBeLessThan(0.1);
    expect(r.cr).toBeGreaterThan(0.1);
    const issues = judgementIssues(m, 3, limits);
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toEqual([]);
    expect(issues[0].message).toMatch(/consistency ratio CR = CI\/RI = 0\.11\d\d is not below 0\.1/);
    expect(issues[0].message).toMatch(/the seed's weaker test, CI < 0\.1, would have accepted it/);
  });

  it('refuses a wildly inconsistent matrix without the seed remark', () => {
    const issues = judgementIssues(recip(9, 1 / 9, 9), 3, limits);
    expect(issues[0].message).toMatch(/inconsistent judgements/);
    expect(issues[0].message).not.toMatch(/would have accepted/);
  });

  it('names the entry that breaks the scale, the diagonal or reciprocity', () => {
    expect(matrixIssues([[1, 2], [0.5, 1]], 3)[0].message).toMatch(/must be 3 × 3/);
    expect(matrixIssues([[1, 10, 1], [0.1, 1, 1], [1, 1, 1]], 3)).toEqual([
      { path: [0, 1], message: 'must be on Saaty\'s scale [1/9, 9], got 10' },
      { path: [1, 0], message: 'must be on Saaty\'s scale [1/9, 9], got 0.1' },
    ]);
    expect(matrixIssues([[2, 1, 1], [1, 1, 1], [1, 1, 1]], 3)[0]).toEqual({ path: [0, 0], message: 'an objective compared with itself must be 1, got 2' });
    const broken = matrixIssues([[1, 3, 1], [3, 1, 1], [1, 1, 1]], 3);
    expect(broken).toHaveLength(1);
    expect(broken[0].path).toEqual([1, 0]);
    expect(broken[0].message).toMatch(/reciprocal of entry \[0\]\[1\] = 3/);
    // 1/9 written as a decimal is on the scale; 2/7 as a decimal is the reciprocal of 3.5.
    expect(matrixIssues(recip(0.1111111111, 3.5, 1), 3)).toEqual([]);
    expect(matrixIssues([[1, 3.5, 7], [0.2857142857142857, 1, 2], [0.14285714285714285, 0.5, 1]], 3)).toEqual([]);
  });

  it('averages the weights of several consistent experts (seed step 4)', () => {
    const { weights, experts } = modeWeights([recip(7 / 2, 7, 2), recip(1, 2, 2)], limits);
    expect(experts).toHaveLength(2);
    [0.55, 0.3, 0.15].forEach((w, k) => expect(weights[k]).toBeCloseTo(w, 12));
  });
});
