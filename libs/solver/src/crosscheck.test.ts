/**
 * The exported LP files, solved again by GLPK and CBC (independent solvers, Debian packages):
 * their objectives must match HiGHS's to 1e-6 relative. A missing binary skips its tests, saying so.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@zonal/core';
import { afterAll, describe, expect, it } from 'vitest';
import { InfeasibleModelError } from './errors';
import { externalSolverAvailable, solveLpFile, type ExternalSolverName } from './external';
import { LpExporter } from './lp-export';
import { ModelBuilder } from './model';
import { solve } from './solve';
import { denseModel } from './testing/dense-model';
import { arbitrageModel, featureModel } from './testing/models';
import type { DenseProblem } from './testing/reference-lp';
import { shutdownSolver } from './worker-client';

const dir = mkdtempSync(join(tmpdir(), 'zonal-solver-crosscheck-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await shutdownSolver();
});

function randomLp(seed: number): ModelBuilder {
  const rng = createRng(seed).fork('crosscheck');
  const n = 6;
  const p: DenseProblem = {
    c: Array.from({ length: n }, () => rng.normal(0, 3)),
    a: Array.from({ length: 5 }, () => Array.from({ length: n }, () => (rng.int(3) === 0 ? 0 : rng.normal(0, 2)))),
    sense: Array.from({ length: 5 }, () => (rng.int(2) ? '<=' : '>=')),
    b: Array.from({ length: 5 }, () => rng.normal(0, 5)),
    lb: Array.from({ length: n }, () => -1 - rng.int(4)),
    ub: Array.from({ length: n }, () => 1 + rng.int(6)),
  };
  return denseModel(p, `random${seed}`);
}

/** Cornuéjols & Dawande's market split, small enough to solve to optimality. */
function smallMarketSplit(): ModelBuilder {
  const rng = createRng(3);
  const m = new ModelBuilder('split');
  const x = m.addVars('x', [12], { ub: 1, integer: true });
  const over = m.addVars('over', [2]);
  const under = m.addVars('under', [2]);
  for (let i = 0; i < 2; i++) {
    const a = Array.from({ length: 12 }, () => rng.int(50));
    m.addConstraint('split', [i], [...x.columns(), over.at(i), under.at(i)], [...a, 1, -1], '=', Math.floor(a.reduce((s, v) => s + v, 0) / 2) + 1);
    m.setObjectiveCoef(over.at(i), 1);
    m.setObjectiveCoef(under.at(i), 2);
  }
  return m;
}

/** A maximisation with a long wrapped row, an empty row and a variable that appears only in Bounds. */
function oddShapes(): ModelBuilder {
  const m = new ModelBuilder('odd');
  m.setSense('maximize');
  const x = m.addVars('a_rather_long_family_name', [150], ([j]) => ({ ub: 1 + (j % 5) }));
  for (let j = 0; j < 150; j++) m.setObjectiveCoef(x.at(j), 1 + (j % 7) * 0.37);
  m.addConstraint('budget', [], Array.from(x.columns()), Array.from({ length: 150 }, (_, j) => 1 + (j % 3)), '<=', 97.5);
  m.addConstraint('vacuous', [], [], [], '<=', 4);
  m.addVar('unused', [], { lb: -3, ub: 8 });
  m.addObjectiveConstant(-11.25);
  return m;
}

const cases: [string, () => ModelBuilder][] = [
  ['every LP-writer feature (MILP)', featureModel],
  ['24 h battery arbitrage (LP)', arbitrageModel],
  ['market split (MILP, gap 0)', smallMarketSplit],
  ['wrapped row, empty row, unused variable (max)', oddShapes],
  ...[1, 2, 3, 4].map((s): [string, () => ModelBuilder] => [`random LP ${s}`, () => randomLp(s)]),
];

const solvers: ExternalSolverName[] = ['glpsol', 'cbc'];

for (const solver of solvers) {
  const available = externalSolverAvailable(solver);
  const skipNote = available ? '' : ` (skipped: ${solver} is not installed; apt-get install ${solver === 'glpsol' ? 'glpk-utils' : 'coinor-cbc'})`;
  describe.skipIf(!available)(`exported LP re-solved by ${solver}${skipNote}`, () => {
    it.each(cases)('%s: same objective as HiGHS to 1e-6 relative', async (_label, build) => {
      const exporter = new LpExporter(join(dir, `${solver}-${_label.replace(/\W+/g, '_')}`));
      const sol = await solve(build(), { exportLp: exporter, mipRelGap: 0 });
      expect(exporter.files).toHaveLength(1);
      const other = solveLpFile(exporter.files[0], solver);
      expect(other.status, other.output).toBe('optimal');
      expect(Math.abs(other.objective! - sol.objective) / Math.max(1, Math.abs(sol.objective))).toBeLessThan(1e-6);
    });

    it('agrees that an infeasible model is infeasible', async () => {
      const m = new ModelBuilder('conflict');
      const x = m.addVars('P', [2]);
      m.addConstraint('supply', [], [x.at(0), x.at(1)], [1, 1], '<=', 3);
      m.addConstraint('demand', [], [x.at(0), x.at(1)], [1, 1], '>=', 5);
      const exporter = new LpExporter(join(dir, `${solver}-infeasible`));
      await expect(solve(m, { exportLp: exporter })).rejects.toThrow(InfeasibleModelError);
      expect(solveLpFile(exporter.files[0], solver).status).toBe('infeasible');
    });
  });
}

describe('the cross-check models themselves', () => {
  it('featureModel solves to its hand optimum 5.5 - 4.1025e-7 (b = 1 where the LP relaxation takes 0.75)', async () => {
    const sol = await solve(featureModel(), { mipRelGap: 0 });
    expect(sol.objective).toBeCloseTo(5.5 - 4.1025e-7, 10);
  });
});

describe('LpExporter', () => {
  it('numbers files per solve across models, labels them, and removes numbered files of an earlier run', async () => {
    const out = join(dir, 'numbering');
    const stale = new LpExporter(out, 'old');
    for (let k = 0; k < 3; k++) stale.write(arbitrageModel());
    writeFileSync(join(out, 'notes.txt'), 'kept');

    const exporter = new LpExporter(out, 'dso');
    await solve(arbitrageModel(), { exportLp: exporter });
    exporter.write(featureModel(), 'zone1');
    await solve(arbitrageModel(), { exportLp: exporter });
    expect(readdirSync(out).sort()).toEqual(['0001-dso.lp', '0002-zone1.lp', '0003-dso.lp', 'notes.txt']);
    expect(exporter.files).toEqual(['0001-dso.lp', '0002-zone1.lp', '0003-dso.lp'].map((f) => join(out, f)));
  });

  it('does nothing without a directory, so commands can always pass one through', () => {
    const exporter = new LpExporter(undefined, 'dso');
    expect(exporter.write(arbitrageModel())).toBeUndefined();
    expect(exporter.files).toEqual([]);
    expect(exporter.enabled).toBe(false);
  });

  it('refuses a label that cannot name a file', () => {
    expect(() => new LpExporter(undefined, 'a b')).toThrow(/file label "a b"/);
  });
});
