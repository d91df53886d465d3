import { createRng, ZonalError, type Rng } from '@zonal/core';
import { afterAll, describe, expect, it } from 'vitest';
import { InfeasibleModelError, SolverLimitError, UnboundedModelError, UnsupportedModelError } from './errors';
import { ModelBuilder } from './model';
import { basisWithRows } from './basis';
import { solve } from './solve';
import { denseModel } from './testing/dense-model';
import { solveByVertices, type DenseProblem } from './testing/reference-lp';
import { shutdownSolver } from './worker-client';

afterAll(() => shutdownSolver());

/**
 * Wyndor Glass (Hillier & Lieberman, Introduction to Operations Research, §3.1 and §4.7):
 * max 3x + 5y, x <= 4, 2y <= 12, 3x + 2y <= 18; optimum (2, 6), z = 36, shadow prices 0, 3/2, 1.
 */
function wyndor(sense: 'minimize' | 'maximize', plantThreeHours = 18) {
  const m = new ModelBuilder('wyndor');
  const x = m.addVar('x', []);
  const y = m.addVar('y', []);
  const s = sense === 'maximize' ? 1 : -1;
  m.setObjectiveCoef(x, 3 * s);
  m.setObjectiveCoef(y, 5 * s);
  m.setSense(sense);
  const plants = [
    m.addConstraint('plant', [1], [x], [1], '<=', 4),
    m.addConstraint('plant', [2], [y], [2], '<=', 12),
    m.addConstraint('plant', [3], [x, y], [3, 2], '<=', plantThreeHours),
  ];
  return { m, x, y, plants };
}

/** A small random bounded LP: 3 integer-valued variables, 4 rows of the given senses. */
function randomLp(rng: Rng, senses: ReadonlyArray<'<=' | '>=' | '='>): DenseProblem {
  const n = 3;
  return {
    c: Array.from({ length: n }, () => rng.int(21) - 10),
    a: Array.from({ length: 4 }, () => Array.from({ length: n }, () => rng.int(11) - 5)),
    sense: Array.from({ length: 4 }, () => senses[rng.int(senses.length)]),
    b: Array.from({ length: 4 }, () => rng.int(21) - 5),
    lb: Array.from({ length: n }, () => -rng.int(5)),
    ub: Array.from({ length: n }, () => 1 + rng.int(8)),
  };
}

describe('solve: LPs with hand-known optima and duals', () => {
  it('maximises Wyndor: z = 36 at (2, 6), duals = shadow prices (0, 1.5, 1)', async () => {
    const { m, x, y, plants } = wyndor('maximize');
    const sol = await solve(m);
    expect(sol.status).toBe('optimal');
    expect(sol.objective).toBeCloseTo(36, 9);
    expect(sol.value(x)).toBeCloseTo(2, 9);
    expect(sol.value(y)).toBeCloseTo(6, 9);
    expect(plants.map((r) => sol.dual(r))).toEqual([expect.closeTo(0, 9), expect.closeTo(1.5, 9), expect.closeTo(1, 9)]);
    expect(Array.from(sol.rowActivity)).toEqual([expect.closeTo(2, 9), expect.closeTo(12, 9), expect.closeTo(18, 9)]);
  });

  it('minimising the negated objective gives z = -36 and duals d(obj)/d(rhs) = (0, -1.5, -1)', async () => {
    const { m, plants } = wyndor('minimize');
    const sol = await solve(m);
    expect(sol.objective).toBeCloseTo(-36, 9);
    expect(plants.map((r) => sol.dual(r))).toEqual([expect.closeTo(0, 9), expect.closeTo(-1.5, 9), expect.closeTo(-1, 9)]);
  });

  it('each dual equals the objective change when its row\'s rhs moves by 0.01 (finite difference)', async () => {
    const base = await solve(wyndor('minimize').m);
    const bumped = await solve(wyndor('minimize', 18.01).m);
    expect((bumped.objective - base.objective) / 0.01).toBeCloseTo(base.dual(2), 6);
  });

  it('handles equality and ranged rows, free variables and the objective constant', async () => {
    // min x + y + 7 with x - y = 1 and -2 <= x + y <= 5, x and y free: x + y sits at -2, so 5.
    const m = new ModelBuilder('ranges');
    const x = m.addVar('x', [], { lb: -Infinity });
    const y = m.addVar('y', [], { lb: -Infinity });
    m.setObjectiveCoef(x, 1);
    m.setObjectiveCoef(y, 1);
    m.addObjectiveConstant(7);
    const eq = m.addConstraint('diff', [], [x, y], [1, -1], '=', 1);
    const range = m.addRangeConstraint('sum', [], [x, y], [1, 1], -2, 5);
    const sol = await solve(m);
    expect(sol.objective).toBeCloseTo(5, 9);
    expect(sol.value(x)).toBeCloseTo(-0.5, 9);
    expect(sol.value(y)).toBeCloseTo(-1.5, 9);
    expect(sol.dual(range)).toBeCloseTo(1, 9);
    expect(sol.dual(eq)).toBeCloseTo(0, 9);
  });

  it('solves a model without rows, and one without columns (objective = constant)', async () => {
    const m = new ModelBuilder('bounds_only');
    const b = m.addVars('x', [3], ([j]) => ({ lb: j + 1, ub: 10 }));
    for (let j = 0; j < 3; j++) m.setObjectiveCoef(b.at(j), 1);
    const sol = await solve(m);
    expect(sol.objective).toBeCloseTo(6, 12);
    expect(Array.from(sol.values(b))).toEqual([1, 2, 3]);

    const empty = new ModelBuilder('empty');
    empty.addObjectiveConstant(42);
    expect((await solve(empty)).objective).toBe(42);
  });

  it('agrees with vertex enumeration on 30 random bounded LPs (objective to 1e-7 relative)', async () => {
    const rng = createRng(20251123).fork('random-lp');
    let compared = 0;
    for (let k = 0; k < 30; k++) {
      const p = randomLp(rng, ['<=', '>=', '=']);
      const reference = solveByVertices(p);
      const model = denseModel(p, `lp${k}`);
      if (reference === null) {
        await expect(solve(model), `LP ${k} is infeasible by enumeration`).rejects.toThrow(InfeasibleModelError);
        continue;
      }
      const sol = await solve(model);
      expect(sol.objective, `LP ${k}`).toBeCloseTo(reference.objective, 7);
      compared++;
    }
    expect(compared).toBeGreaterThan(10);
  });

  it('runs the interior-point method (with crossover) to the same optimum', async () => {
    const { m, x } = wyndor('maximize');
    const sol = await solve(m, { solver: 'ipm' });
    expect(sol.objective).toBeCloseTo(36, 7);
    expect(sol.value(x)).toBeCloseTo(2, 7);
  });

  it('queues concurrent solves on the one worker and keeps their answers apart', async () => {
    const hours = [14, 16, 18, 20, 22];
    const sols = await Promise.all(hours.map((h) => solve(wyndor('maximize', h).m)));
    // Plant 3 binds with y = 6 (x = (h - 12) / 3, capped at 4): z = 3x + 30.
    expect(sols.map((s) => s.objective)).toEqual(hours.map((h) => expect.closeTo(3 * Math.min(4, (h - 12) / 3) + 30, 9)));
  });
});

describe('solve: warm start from an earlier basis', () => {
  it('goes on from a basis after a row and its slack column were added (basisWithRows): warm, and at the cold optimum', async () => {
    const first = await solve(wyndor('maximize').m, { presolve: false });
    // A fourth plant, x + y ≤ 7 + over, whose overtime costs 2 a hour: a new row and a new column.
    const more = wyndor('maximize');
    const over = more.m.addVar('over', [], { lb: 0 });
    more.m.setObjectiveCoef(over, -2);
    more.m.addConstraint('plant', [4], [more.x, more.y, over], [1, 1, -1], '<=', 7);
    const start = basisWithRows(first.basis!, more.m.numRows, more.m.numCols);
    expect([start.rowStatus.length, start.colStatus.length]).toEqual([4, 3]);
    const warm = await solve(more.m, { warmStart: start, presolve: false });
    expect(warm.warmStarted).toBe(true);
    // Without overtime x + y ≤ 7 binds at (1, 6): z = 33. Each hour of overtime lets x grow by one (y is at
    // its cap, 6), worth 3 − 2 = 1, until plant 3 binds at x = 2: (2, 6), over 1, z = 36 − 2 = 34.
    const cold = await solve(more.m, { presolve: false });
    expect(warm.objective).toBeCloseTo(cold.objective, 9);
    expect(warm.objective).toBeCloseTo(34, 9);
  });

  it('starts Wyndor with 20 plant-3 hours from the 18-hour optimum\'s basis and reaches the cold optimum, 38', async () => {
    const first = await solve(wyndor('maximize').m);
    expect(first.basis).not.toBeNull();
    expect(first.warmStarted).toBe(false);
    const warm = await solve(wyndor('maximize', 20).m, { warmStart: first.basis });
    expect(warm.warmStarted).toBe(true);
    // Plant 3 binds with y = 6: x = (20 - 12) / 3, z = 3x + 30 = 38.
    expect(warm.objective).toBeCloseTo(38, 9);
    expect(warm.dual(2)).toBeCloseTo(1, 9);
    // HiGHS counts the simplex iterations: without presolve (which solves Wyndor outright) a cold
    // solve takes some, the neighbouring optimum's basis fewer.
    const cold = await solve(wyndor('maximize', 20).m, { presolve: false });
    expect(cold.iterations).toBeGreaterThan(0);
    expect(warm.iterations).toBeLessThan(cold.iterations);
  });

  it('agrees with a cold solve and with vertex enumeration on 30 random LPs re-solved after a change of bounds', async () => {
    const rng = createRng(20251123).fork('warm-lp');
    let warmed = 0;
    for (let k = 0; k < 30; k++) {
      const p = randomLp(rng, ['<=', '>=']);
      if (solveByVertices(p) === null) continue;
      const first = await solve(denseModel(p, `first${k}`));
      const changed = { ...p, b: p.b.map((b) => b + rng.int(3) - 1), ub: p.ub.map((u) => u + rng.int(2)) };
      const reference = solveByVertices(changed);
      if (reference === null) continue;
      const warm = await solve(denseModel(changed, `warm${k}`), { warmStart: first.basis });
      const steepest = await solve(denseModel(changed, `steep${k}`), { warmStart: first.basis, warmPricing: 'steepest-edge' });
      const cold = await solve(denseModel(changed, `cold${k}`));
      expect(warm.objective, `LP ${k}`).toBeCloseTo(reference.objective, 7);
      expect(warm.objective, `LP ${k}`).toBeCloseTo(cold.objective, 9);
      expect(steepest.objective, `LP ${k}, steepest-edge pricing from the basis`).toBeCloseTo(cold.objective, 9);
      if (warm.warmStarted) warmed++;
    }
    expect(warmed).toBeGreaterThan(10);
  });

  it('agrees with a cold solve and with vertex enumeration on 30 random LPs re-solved by primal simplex after a change of costs', async () => {
    const rng = createRng(20251123).fork('warm-primal-lp');
    let warmed = 0, fewer = 0;
    for (let k = 0; k < 30; k++) {
      const p = randomLp(rng, ['<=', '>=']);
      if (solveByVertices(p) === null) continue;
      const first = await solve(denseModel(p, `first${k}`));
      // An ADMM zone's re-solve: new costs, the same rows and bounds (the last basis stays primal feasible).
      const changed = { ...p, c: p.c.map((c) => c + rng.int(5) - 2) };
      const reference = solveByVertices(changed);
      if (reference === null) continue;
      const primal = await solve(denseModel(changed, `primal${k}`), { warmStart: first.basis, warmSimplex: 'primal' });
      const dual = await solve(denseModel(changed, `dual${k}`), { warmStart: first.basis });
      const cold = await solve(denseModel(changed, `cold${k}`));
      expect(primal.objective, `LP ${k}`).toBeCloseTo(reference.objective, 7);
      expect(primal.objective, `LP ${k}`).toBeCloseTo(cold.objective, 9);
      if (primal.warmStarted) warmed++;
      if (primal.iterations <= dual.iterations) fewer++;
    }
    expect(warmed).toBeGreaterThan(10);
    // Not a timing: HiGHS's pivot counts. From a primal feasible basis primal simplex never needs more here.
    expect(fewer).toBe(warmed);
  });

  it('refuses a warm-start pricing or simplex it does not know', async () => {
    await expect(solve(wyndor('maximize').m, { warmPricing: 'dantzig' as never })).rejects.toThrow(/warmPricing must be devex or steepest-edge, got "dantzig"/);
    await expect(solve(wyndor('maximize').m, { warmSimplex: 'network' as never })).rejects.toThrow(/warmSimplex must be dual or primal, got "network"/);
  });

  it('starts cold when the basis does not fit the model, and gives a MIP neither a basis nor a warm start', async () => {
    const wyndorBasis = (await solve(wyndor('maximize').m)).basis;
    const m = new ModelBuilder('other-shape');
    const xs = m.addVars('x', [3], { lb: 0, ub: 1 });
    for (const j of xs.columns()) m.setObjectiveCoef(j, -1);
    const sol = await solve(m, { warmStart: wyndorBasis });
    expect(sol.warmStarted).toBe(false);
    expect(sol.objective).toBeCloseTo(-3, 12);
    const mip = new ModelBuilder('mip');
    const z = mip.addVar('z', [], { lb: 0, ub: 10, integer: true });
    mip.setObjectiveCoef(z, -1);
    mip.addConstraint('cap', [], [z], [2], '<=', 7);
    const mipSol = await solve(mip, { warmStart: { colStatus: Int32Array.of(1), rowStatus: Int32Array.of(0) } });
    expect(mipSol.objective).toBeCloseTo(-3, 9);
    expect(mipSol.basis).toBeNull();
    expect(mipSol.warmStarted).toBe(false);
  });
});

describe('solve: MILP', () => {
  it('finds the integer optimum where the LP relaxation is fractional (and reports no duals)', async () => {
    // max x + y, -x + y <= 1, 3x + 2y <= 12, 2x + 3y <= 12: LP optimum (2.4, 2.4) = 4.8; integer optimum 4.
    const m = new ModelBuilder('milp');
    const x = m.addVar('x', [], { integer: true });
    const y = m.addVar('y', [], { integer: true });
    m.setSense('maximize');
    m.setObjectiveCoef(x, 1);
    m.setObjectiveCoef(y, 1);
    m.addConstraint('a', [], [x, y], [-1, 1], '<=', 1);
    m.addConstraint('b', [], [x, y], [3, 2], '<=', 12);
    m.addConstraint('c', [], [x, y], [2, 3], '<=', 12);
    const sol = await solve(m);
    expect(sol.objective).toBeCloseTo(4, 9);
    expect(Number.isInteger(Math.round(sol.value(x)))).toBe(true);
    expect(sol.mipGap).toBeLessThanOrEqual(1e-4);
    expect(sol.hasDuals).toBe(false);
    expect(() => sol.dual(0)).toThrow(/a MIP has no duals/);
  });
});

describe('solve: infeasible, unbounded and unsupported models', () => {
  it('names the constraint families of the conflict, not the others', async () => {
    const m = new ModelBuilder('dso');
    const x = m.addVars('P', [3]);
    m.addConstraint('supply', [1], [x.at(0), x.at(1)], [1, 1], '<=', 3);
    m.addConstraint('demand', [1], [x.at(0), x.at(1)], [1, 1], '>=', 5);
    m.addConstraint('other', [1], [x.at(2)], [1], '<=', 1);
    const err = await solve(m).catch((e) => e);
    expect(err).toBeInstanceOf(InfeasibleModelError);
    expect([...err.families].sort()).toEqual(['demand', 'supply']);
    expect(err.message).toMatch(/^model "dso" is infeasible; conflicting constraints: (supply, demand|demand, supply)/);
  });

  it('names the variable families whose bounds conflict with a row', async () => {
    const m = new ModelBuilder('zone1');
    const e = m.addVar('E', [3], { ub: 10 });
    m.addConstraint('target', [3], [e], [1], '>=', 12);
    const err = await solve(m).catch((x) => x);
    expect(err).toBeInstanceOf(InfeasibleModelError);
    expect(err.families).toEqual(['target']);
    expect(err.boundFamilies).toEqual(['E']);
    expect(err.message).toMatch(/with bounds of: E/);
  });

  it('says that integer restrictions take part when a MILP is infeasible', async () => {
    const m = new ModelBuilder('parity');
    const n = m.addVar('n', [], { integer: true, ub: 10 });
    m.addConstraint('half', [], [n], [2], '=', 7);
    await expect(solve(m)).rejects.toThrow(/model "parity" is infeasible.*integer restrictions/);
  });

  it('reports an unbounded LP with the family along the ray', async () => {
    const m = new ModelBuilder('open');
    const x = m.addVar('Pg', [0]);
    const y = m.addVar('y', [], { ub: 1 });
    m.setObjectiveCoef(x, -1);
    m.addConstraint('link', [], [x, y], [1, -1], '>=', 0);
    const err = await solve(m).catch((e) => e);
    expect(err).toBeInstanceOf(UnboundedModelError);
    expect(err.families).toContain('Pg');
    expect(err.message).toMatch(/model "open" is unbounded/);
  });

  it('tells an unbounded MILP from an infeasible one (presolve says "either"; a second run decides)', async () => {
    const m = new ModelBuilder('open_mip');
    const x = m.addVar('x', [], { integer: true });
    const y = m.addVar('y', []);
    m.setObjectiveCoef(x, -1);
    m.addConstraint('r', [], [x, y], [1, -1], '<=', 1);
    await expect(solve(m)).rejects.toThrow(/model "open_mip" is unbounded/);
  });

  it('refuses a MIQP before solving, naming the integer variable', async () => {
    const m = new ModelBuilder('miqp');
    const x = m.addVar('x', [], { ub: 4 });
    m.addVar('n', [2], { integer: true, ub: 3 });
    m.addQuadraticTerm(x, x, 1);
    await expect(solve(m)).rejects.toThrow(UnsupportedModelError);
    await expect(solve(m)).rejects.toThrow(/integer variable n\(2\): HiGHS has no MIQP/);
  });

  it('refuses a QP with an infinite bound, naming the variable', async () => {
    const m = new ModelBuilder('qp');
    const x = m.addVar('x', [], { ub: 4 });
    m.addVar('slack', [5], { lb: -Infinity, ub: 3 });
    m.addQuadraticTerm(x, x, 1);
    await expect(solve(m)).rejects.toThrow(/variable slack\(5\) has bounds \[-Infinity, 3\]: HiGHS's QP solver needs finite bounds/);
  });

  it('refuses a quadratic objective with a negative square when minimising', async () => {
    const m = new ModelBuilder('concave');
    const x = m.addVar('x', [], { ub: 4 });
    m.addQuadraticTerm(x, x, -1);
    await expect(solve(m)).rejects.toThrow(/not convex in x/);
  });

  it('refuses bad options with a named error', async () => {
    const { m } = wyndor('maximize');
    await expect(solve(m, { timeLimitS: 0 })).rejects.toThrow(ZonalError);
    await expect(solve(m, { timeLimitS: Number.NaN })).rejects.toThrow(/timeLimitS/);
    await expect(solve(m, { mipRelGap: 2 })).rejects.toThrow(/mipRelGap/);
  });

  it('finds a model without columns infeasible when a constant row is violated', async () => {
    const m = new ModelBuilder('constant_rows');
    m.addConstraint('impossible', [], [], [], '>=', 1);
    await expect(solve(m)).rejects.toThrow(/conflicting constraints: impossible/);
  });
});

describe('solve: convex QP', () => {
  it('projects (1, -2) onto x + y >= 0: optimum (1.5, -1.5), objective 0.5, dual 1', async () => {
    // min (x - 1)^2 + (y + 2)^2 = x^2 - 2x + y^2 + 4y + 5; objective along the boundary x + y = b
    // is (b + 1)^2 / 2, so the dual d(obj)/d(b) at b = 0 is 1.
    const m = new ModelBuilder('projection');
    const x = m.addVar('x', [], { lb: -10, ub: 10 });
    const y = m.addVar('y', [], { lb: -10, ub: 10 });
    m.addQuadraticTerm(x, x, 1);
    m.addQuadraticTerm(y, y, 1);
    m.setObjectiveCoef(x, -2);
    m.setObjectiveCoef(y, 4);
    m.addObjectiveConstant(5);
    const half = m.addConstraint('halfplane', [], [x, y], [1, 1], '>=', 0);
    const sol = await solve(m);
    expect(sol.objective).toBeCloseTo(0.5, 6);
    expect(sol.value(x)).toBeCloseTo(1.5, 5);
    expect(sol.value(y)).toBeCloseTo(-1.5, 5);
    expect(sol.dual(half)).toBeCloseTo(1, 5);
  });

  it('maximises a concave quadratic', async () => {
    // max -(x - 3)^2 = -x^2 + 6x - 9 on [0, 2]: optimum at x = 2, value -1.
    const m = new ModelBuilder('concave_max');
    const x = m.addVar('x', [], { ub: 2 });
    m.setSense('maximize');
    m.addQuadraticTerm(x, x, -1);
    m.setObjectiveCoef(x, 6);
    m.addObjectiveConstant(-9);
    const sol = await solve(m);
    expect(sol.objective).toBeCloseTo(-1, 6);
    expect(sol.value(x)).toBeCloseTo(2, 6);
  });
});

describe('solve: time limit', () => {
  /** Cornuéjols & Dawande's market split (4 x 40): branch and bound needs far more than a second. */
  function marketSplit(rows: number, n: number) {
    const rng = createRng(1);
    const m = new ModelBuilder('market_split');
    const x = m.addVars('x', [n], { ub: 1, integer: true });
    const over = m.addVars('over', [rows]);
    const under = m.addVars('under', [rows]);
    for (let i = 0; i < rows; i++) {
      const a = Array.from({ length: n }, () => rng.int(100));
      const target = Math.floor(a.reduce((s, v) => s + v, 0) / 2);
      m.addConstraint('split', [i], [...x.columns(), over.at(i), under.at(i)], [...a, 1, -1], '=', target);
      m.setObjectiveCoef(over.at(i), 1);
      m.setObjectiveCoef(under.at(i), 1);
    }
    return m;
  }

  it('returns the incumbent of a MIP stopped by its time limit, flagged, with no duals', async () => {
    const sol = await solve(marketSplit(4, 40), { timeLimitS: 0.3 });
    expect(sol.status).toBe('time-limit-feasible');
    expect(sol.mipGap).toBeGreaterThan(0);
    expect(() => sol.dual(0)).toThrow(/stopped by its time limit has no valid duals/);
  });

  it('raises SolverLimitError when the time limit comes before any feasible point (simplex and ipm)', async () => {
    const n = 50_000;
    const m = new ModelBuilder('cycle');
    const x = m.addVars('x', [n]);
    for (let i = 0; i < n; i++) {
      m.addConstraint('cover', [i], [x.at(i), x.at((i + 1) % n)], [1, 1], '>=', 1);
      m.setObjectiveCoef(x.at(i), 1 + (i % 7) / 10);
    }
    for (const solver of ['simplex', 'ipm'] as const) {
      const err = await solve(m, { timeLimitS: 0.02, solver }).catch((e) => e);
      expect(err, solver).toBeInstanceOf(SolverLimitError);
      expect(err.limit).toBe('time');
      expect(err.message).toMatch(/model "cycle": stopped at the time limit of 0.02 s with no feasible point/);
    }
  });
});
