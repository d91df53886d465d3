import { createRng } from '@zonal/core';
import { afterAll, describe, expect, it } from 'vitest';
import { InfeasibleModelError } from './errors';
import { solve } from './solve';
import { denseModel } from './testing/dense-model';
import { feasible, solveByEnumeration, type DenseProblem } from './testing/reference-lp';
import { shutdownSolver } from './worker-client';

afterAll(() => shutdownSolver());

describe('MILP against brute force', () => {
  it('matches the enumerated optimum of 30 random pure-integer programs (or agrees they are infeasible)', async () => {
    const rng = createRng(20251123).fork('milp-bruteforce');
    let optimal = 0;
    let infeasible = 0;
    for (let k = 0; k < 30; k++) {
      const n = 3 + rng.int(2);
      const rows = 2 + rng.int(3);
      const p: DenseProblem = {
        c: Array.from({ length: n }, () => rng.int(19) - 9),
        a: Array.from({ length: rows }, () => Array.from({ length: n }, () => rng.int(13) - 6)),
        // Few equalities: a random integer equality rarely has a solution.
        sense: Array.from({ length: rows }, () => (rng.int(8) === 0 ? '=' : rng.int(2) ? '<=' : '>=')),
        b: Array.from({ length: rows }, () => rng.int(17) - 6),
        lb: Array.from({ length: n }, () => -rng.int(3)),
        ub: Array.from({ length: n }, () => 1 + rng.int(4)),
      };
      const reference = solveByEnumeration(p);
      const model = denseModel(p, `milp${k}`, true);
      if (reference === null) {
        await expect(solve(model), `program ${k} has no integer point`).rejects.toThrow(InfeasibleModelError);
        infeasible++;
        continue;
      }
      const sol = await solve(model, { mipRelGap: 0 });
      expect(sol.objective, `program ${k}`).toBeCloseTo(reference.objective, 9);
      const x = Array.from(sol.colValues, Math.round);
      expect(feasible(p, x), `program ${k}: HiGHS's point rounded to integers is feasible`).toBe(true);
      optimal++;
    }
    // The generator must exercise both outcomes, or half of this test could never fail.
    expect(optimal).toBeGreaterThan(10);
    expect(infeasible).toBeGreaterThan(1);
  });
});
