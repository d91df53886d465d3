/**
 * Kept models: the worker holds an LP between solves and takes only its changes. Every kept solve
 * is checked against a solve of the same model sent whole (cold, presolved): the same optimum, to
 * 1e-9 relative. A kept solve that went on from the worker's model says so (warmStarted with no
 * basis given); one sent whole does not.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { ModelBuilder } from './model';
import { modelDelta } from './model-delta';
import { keepModel, solve, solveWithFault, type KeptModel, type Solution } from './solve';
import { shutdownSolver } from './worker-client';

afterAll(() => shutdownSolver());

/**
 * A transport LP: `sources` supplies, `sinks` demands, seeded costs. Supply rows come first, then
 * demand rows; each source's columns are consecutive.
 */
function transport(sources: number, sinks: number, seed = 7, supplyWeight = 1) {
  const rng = createRng(seed);
  const m = new ModelBuilder('transport');
  const x = m.addVars('x', [sources, sinks]);
  for (let i = 0; i < sources; i++) for (let j = 0; j < sinks; j++) m.setObjectiveCoef(x.at(i, j), 1 + 9 * rng.next());
  const supply = Array.from({ length: sources }, (_, i) => m.addConstraint('supply', [i], Array.from({ length: sinks }, (_, j) => x.at(i, j)), new Array(sinks).fill(supplyWeight), '<=', 40 + 20 * rng.next()));
  const demand = Array.from({ length: sinks }, (_, j) => m.addConstraint('demand', [j], Array.from({ length: sources }, (_, i) => x.at(i, j)), new Array(sources).fill(1), '>=', 10 + 10 * rng.next()));
  return { m, x, supply, demand };
}

function expectSameOptimum(kept: Solution, whole: Solution) {
  expect(kept.status).toBe('optimal');
  expect(Math.abs(kept.objective - whole.objective)).toBeLessThanOrEqual(1e-9 * Math.abs(whole.objective));
}

/** A kept solve of `m` that went whole to the worker (no basis to go on from), at the optimum of `m` sent whole. */
async function expectSentWhole(m: ModelBuilder, keep: KeptModel) {
  const kept = await solve(m, { keep });
  expect(kept.warmStarted).toBe(false);
  expectSameOptimum(kept, await solve(m));
}

describe('a kept model', () => {
  it('takes changed bounds, changed costs and appended columns and rows, and reaches the optimum of the model sent whole', async () => {
    const { m, x, supply } = transport(30, 40);
    const keep = keepModel();
    const first = await solve(m, { keep });
    expectSameOptimum(first, await solve(m));
    expect(first.warmStarted).toBe(false);

    // Supplies tighten, some routes get dearer, one closes; a new source with its own routes and a
    // new row capping what the first five sinks take from the first source together.
    supply.slice(0, 10).forEach((row, i) => m.setRowBounds(row, -Infinity, 30 + i));
    for (let j = 0; j < 40; j += 3) m.setObjectiveCoef(x.at(1, j), 2.5);
    m.setColBounds(x.at(2, 5), 0, 0);
    const extra = m.addVars('y', [40], { lb: 0, ub: 15 });
    for (let j = 0; j < 40; j++) m.setObjectiveCoef(extra.at(j), 4);
    m.addConstraint('newSupply', [], Array.from({ length: 40 }, (_, j) => extra.at(j)), new Array(40).fill(1), '<=', 200);
    m.addConstraint('cap', [], [0, 1, 2, 3, 4].map((j) => x.at(0, j)), [1, 1, 1, 1, 1], '<=', 12);
    // The new source serves the sinks through new rows only: a demand row gaining a column would change an old row.
    for (let j = 0; j < 40; j += 8) m.addConstraint('yLink', [j], [extra.at(j), x.at(3, j)], [1, -1], '<=', 5);

    const again = await solve(m, { keep });
    expectSameOptimum(again, await solve(m));
    expect(again.warmStarted, 'went on from the kept model').toBe(true);

    // That solve started from a basis: the next goes on from HiGHS's own state (the first, presolved, did not).
    supply.slice(10, 20).forEach((row, i) => m.setRowBounds(row, -Infinity, 35 + i));
    m.addConstraint('cap2', [], [5, 6, 7].map((j) => x.at(4, j)), [1, 1, 1], '<=', 6);
    const third = await solve(m, { keep });
    expectSameOptimum(third, await solve(m));
    expect(third.warmStarted).toBe(true);
    keep.release();
  });

  it('is sent whole when an old row changed, and still reaches the optimum', async () => {
    const { m } = transport(12, 15, 11);
    const keep = keepModel();
    await solve(m, { keep });
    // The same shape with other coefficients in the old rows: no changes of the kinds a kept model takes.
    await expectSentWhole(transport(12, 15, 11, 1.5).m, keep);
    keep.release();
  });

  it('is sent whole again after its worker was replaced, or after release', async () => {
    const { m, supply } = transport(10, 12, 3);
    const keep = keepModel();
    await solve(m, { keep });
    // The worker dies on another solve of this lane: the kept model goes with it.
    const other = new ModelBuilder('other');
    other.setObjectiveCoef(other.addVar('z', [], { lb: 0, ub: 1 }), 1);
    await solveWithFault(other, {}, 'exit').catch(() => undefined);
    m.setRowBounds(supply[0], -Infinity, 20);
    await expectSentWhole(m, keep);

    keep.release();
    m.setRowBounds(supply[1], -Infinity, 21);
    await expectSentWhole(m, keep);
    keep.release();
  });

  it('reports an infeasible change as the model sent whole does, and goes on after it', async () => {
    const { m, supply } = transport(6, 8, 5);
    const keep = keepModel();
    await solve(m, { keep });
    supply.forEach((row) => m.setRowBounds(row, -Infinity, 0));
    await expect(solve(m, { keep })).rejects.toThrow(/infeasible/);
    supply.forEach((row) => m.setRowBounds(row, -Infinity, 50));
    expectSameOptimum(await solve(m, { keep }), await solve(m));
    keep.release();
  });
});

describe('modelDelta', () => {
  it('lists exactly what changed, and the appended columns and rows', () => {
    const { m, supply } = transport(3, 4);
    const before = m.toArrays({ copy: true });
    m.setRowBounds(supply[1], -Infinity, 7);
    m.setObjectiveCoef(2, 1);
    const y = m.addVar('y', [], { lb: 1, ub: 2 });
    m.addConstraint('r', [], [0, y], [1, 1], '>=', 3);
    const d = modelDelta(before, m.toArrays({ copy: true }))!;
    expect(Array.from(d.rowBounds.indices)).toEqual([supply[1]]);
    expect(Array.from(d.rowBounds.upper)).toEqual([7]);
    expect(Array.from(d.colCost.indices)).toEqual([2]);
    expect(d.colBounds.indices.length).toBe(0);
    expect([d.numCols, d.numRows]).toEqual([13, 8]);
    expect(Array.from(d.newCols.lower)).toEqual([1]);
    expect(Array.from(d.newRows.starts)).toEqual([0, 2]);
    expect(Array.from(d.newRows.indices)).toEqual([0, y]);
    expect(Array.from(d.newRows.lower)).toEqual([3]);
  });

  it('is null when an old row\'s coefficients changed, or the model shrank or gained an integer', () => {
    const a = transport(3, 4).m.toArrays({ copy: true });
    const b = transport(3, 4).m.toArrays({ copy: true });
    b.values[5] = 2;
    expect(modelDelta(a, b)).toBeNull();
    expect(modelDelta(transport(3, 4).m.toArrays({ copy: true }), transport(3, 3).m.toArrays({ copy: true }))).toBeNull();
    const withInteger = transport(3, 4).m;
    withInteger.addVar('n', [], { lb: 0, ub: 3, integer: true });
    expect(modelDelta(a, withInteger.toArrays({ copy: true }))).toBeNull();
    expect(modelDelta(a, transport(3, 4).m.toArrays({ copy: true }))).not.toBeNull();
  });
});
