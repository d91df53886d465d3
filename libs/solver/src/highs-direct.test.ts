import loadHighs, { type Highs } from 'highs';
import { beforeAll, describe, expect, it } from 'vitest';
import { HighsOutOfMemory, loadHighsDirect, passesDirect, passLp, setBasis } from './highs-direct';
import { runOnHighs } from './highs-run';
import { ModelBuilder, type ModelArrays } from './model';
import type { SolveReply } from './protocol';

let direct: Highs, wrapped: Highs;
beforeAll(async () => {
  [direct, wrapped] = await Promise.all([loadHighsDirect(), loadHighs()]);
});

/**
 * A transport LP with a capacity row per period and a free column, seeded: enough rows, bounds of
 * every kind and simplex iterations that a wrong array, offset or basis would show.
 */
function transportLp(seed: number, sense: 'minimize' | 'maximize' = 'minimize'): ModelArrays {
  let state = seed;
  const next = () => (state = (state * 48271) % 2147483647) / 2147483647;
  const m = new ModelBuilder('transport');
  m.setSense(sense);
  const sign = sense === 'minimize' ? 1 : -1;
  const sources = 6, sinks = 9;
  const x = m.addVars('x', [sources, sinks], { lb: 0, ub: 40 });
  for (let i = 0; i < sources; i++) {
    m.addConstraint('supply', [i], Array.from({ length: sinks }, (_, j) => x.at(i, j)), new Array(sinks).fill(1), '<=', 30 + 20 * next());
    for (let j = 0; j < sinks; j++) m.setObjectiveCoef(x.at(i, j), sign * (1 + 9 * next()));
  }
  const slack = m.addVar('slack', [], { lb: -Infinity });
  m.setObjectiveCoef(slack, sign * 0.5);
  for (let j = 0; j < sinks; j++) m.addConstraint('demand', [j], Array.from({ length: sources }, (_, i) => x.at(i, j)), new Array(sources).fill(1), '>=', 5 + 10 * next());
  m.addConstraint('balance', [], [slack, x.at(0, 0), x.at(1, 1)], [1, -1, 1], '=', 2);
  m.addObjectiveConstant(7.5);
  return m.toArrays({ copy: true });
}

function solved(reply: SolveReply) {
  if (reply.kind !== 'solved') throw new Error(`not solved: ${reply.kind}`);
  return reply;
}

describe('HiGHS loaded with its memory in hand (highs-direct.ts)', () => {
  it('is loaded so, where highs-js alone is not', () => {
    expect(passesDirect(direct)).toBe(true);
    expect(passesDirect(wrapped)).toBe(false);
  });

  it('solves an LP passed straight into memory as highs-js solves it checked: the same optimum, duals, iterations and basis', () => {
    for (const [seed, sense] of [[11, 'minimize'], [12, 'maximize'], [13, 'minimize']] as const) {
      const arrays = transportLp(seed, sense);
      const a = solved(runOnHighs(direct, 1, arrays, { solver: 'simplex', timeLimitS: 10 }));
      const b = solved(runOnHighs(wrapped, 1, arrays, { solver: 'simplex', timeLimitS: 10 }));
      expect(a.objective).toBe(b.objective);
      expect(a.iterations).toBe(b.iterations);
      expect(a.iterations).toBeGreaterThan(5);
      expect(a.colValue).toEqual(b.colValue);
      expect(a.rowDual).toEqual(b.rowDual);
      expect(a.basis).toEqual(b.basis);
    }
  });

  it('starts from a basis set straight into memory: the optimum at once, as from highs-js', () => {
    const arrays = transportLp(21);
    const cold = solved(runOnHighs(direct, 1, arrays, { solver: 'simplex', timeLimitS: 10 }));
    for (const highs of [direct, wrapped]) {
      const warm = solved(runOnHighs(highs, 2, arrays, { solver: 'simplex', timeLimitS: 10, basis: cold.basis! }));
      expect(warm.warmStarted).toBe(true);
      expect(warm.iterations).toBe(0);
      expect(warm.objective).toBeCloseTo(cold.objective, 9);
    }
  });

  it('throws, naming the call, when HiGHS refuses the arrays or the basis', () => {
    const arrays = transportLp(31);
    const bad = { ...arrays, colIndex: arrays.colIndex.map((j) => (j === 0 ? arrays.numCols + 5 : j)) };
    const model = direct.createModel();
    try {
      expect(() => passLp(direct, model, bad)).toThrow(/HiGHS refused the model \(Highs_passLp\)/);
      passLp(direct, model, arrays);
      // HiGHS takes any count of basic columns (an "alien" basis it completes), but no unknown status.
      const colStatus = new Int32Array(arrays.numCols).fill(9), rowStatus = new Int32Array(arrays.numRows).fill(1);
      expect(() => setBasis(direct, model, colStatus, rowStatus)).toThrow(/HiGHS refused the basis \(Highs_setBasis\)/);
    } finally {
      model.dispose();
    }
  });

  it('refuses a model beyond HiGHS\'s 2 GiB before writing it, as out of memory (malloc\'s 32-bit size would wrap)', () => {
    const arrays = transportLp(51);
    // Claimed sizes, not real arrays: nothing may be written for them.
    const huge = { ...arrays, numCols: 2 ** 27, numRows: 2 ** 26 };
    const model = direct.createModel();
    try {
      expect(() => passLp(direct, model, huge)).toThrow(HighsOutOfMemory);
    } finally {
      model.dispose();
    }
    const reply = runOnHighs(direct, 1, huge, { solver: 'simplex', timeLimitS: 10 });
    expect(reply).toMatchObject({ kind: 'crashed', outOfMemory: true, message: expect.stringMatching(/^HighsOutOfMemory: HiGHS's memory cannot hold the model \(\d+ bytes\)$/) });
    // The instance is as it was: the next model solves.
    expect(solved(runOnHighs(direct, 2, arrays, { solver: 'simplex', timeLimitS: 10 })).status).toBe('optimal');
  });

  it('gives every model its own arrays: many solves in one instance, each the same as the first', () => {
    const arrays = transportLp(41);
    const first = solved(runOnHighs(direct, 1, arrays, { solver: 'simplex', timeLimitS: 10 }));
    for (let k = 0; k < 20; k++) {
      const again = solved(runOnHighs(direct, 2 + k, transportLp(41 + (k % 3)), { solver: 'simplex', timeLimitS: 10 }));
      if (k % 3 === 0) expect(again.objective).toBe(first.objective);
    }
  });
});
