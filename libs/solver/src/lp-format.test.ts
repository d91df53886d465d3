import { createRng, InputError } from '@zonal/core';
import loadHighs from 'highs';
import { afterAll, describe, expect, it } from 'vitest';
import { UnsupportedModelError } from './errors';
import { toCplexLp } from './lp-format';
import { ModelBuilder } from './model';
import { solve } from './solve';
import { FEATURE_MODEL_LP, featureModel } from './testing/models';
import { shutdownSolver } from './worker-client';

afterAll(() => shutdownSolver());

describe('toCplexLp', () => {
  it('writes the GLPK subset exactly as specified by hand', () => {
    expect(toCplexLp(featureModel())).toBe(FEATURE_MODEL_LP);
  });

  it('uses only [A-Za-z0-9_().] in names and no square brackets anywhere', () => {
    const text = toCplexLp(featureModel());
    const syntax = new Set(['+', '-', '<=', '>=', '=', 'free', '-inf', 'Minimize', 'Subject', 'To', 'Bounds', 'Generals', 'Binaries', 'End']);
    const tokens = text.split('\n').filter((l) => !l.startsWith('\\')).join(' ').split(/\s+/).filter(Boolean);
    const names = tokens.map((t) => t.replace(/:$/, '')).filter((t) => !syntax.has(t) && Number.isNaN(Number(t)));
    expect(names).toContain('vlim(12.3).lo');
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_().]+$/);
    expect(text).not.toMatch(/[[\]]/);
  });

  it('wraps a long row below 255 characters per line, keeping every term', () => {
    const m = new ModelBuilder('wide');
    const x = m.addVars('xxxxxxxxxxxxxxxx', [400]);
    m.addConstraint('sum', [], Array.from(x.columns()), Array.from({ length: 400 }, (_, j) => j + 1), '<=', 1e6);
    const text = toCplexLp(m);
    const lines = text.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(255);
    const rowText = text.slice(text.indexOf(' sum:'), text.indexOf('Bounds'));
    expect(rowText.match(/xxxxxxxxxxxxxxxx\(\d+\)/g)).toHaveLength(400);
  });

  it('prints every coefficient so that it reads back as the same double', () => {
    const rng = createRng(7).fork('numbers');
    const m = new ModelBuilder('numbers');
    const x = m.addVars('x', [60]);
    const coefs = Array.from({ length: 60 }, (_, j) => rng.normal(0, 1) * 10 ** ((j % 13) - 6));
    m.addConstraint('r', [], Array.from(x.columns()), coefs, '<=', Math.PI);
    const row = toCplexLp(m).split('Subject To\n')[1].split('Bounds')[0].replace(/\n/g, ' ');
    const terms = [...row.matchAll(/([+-]?)\s*(\S+) x\((\d+)\)/g)];
    expect(terms).toHaveLength(60);
    for (const [, sign, magnitude, j] of terms) {
      expect(Object.is(Number(`${sign}${magnitude}`), coefs[Number(j)]), `x(${j})`).toBe(true);
    }
    expect(row).toContain(`<= ${Math.PI}`);
  });

  it('writes a placeholder term for an empty objective and an empty row, and const_one for no columns', () => {
    const m = new ModelBuilder('empty_parts');
    m.addVar('x', [], { ub: 1 });
    m.addConstraint('nothing', [], [], [], '<=', 1);
    const text = toCplexLp(m);
    expect(text).toContain(' obj: 0 x\n');
    expect(text).toContain(' nothing: 0 x <= 1\n');
    const none = toCplexLp(new ModelBuilder('no_columns'));
    expect(none).toContain(' obj: 0 const_one\n');
    expect(none).toContain(' const_one = 1\n');
  });

  it('refuses two variables with one name, since the file would merge them', () => {
    const m = new ModelBuilder('dup');
    m.addVar('x', [1]);
    m.addVar('x', [1]);
    expect(() => toCplexLp(m)).toThrow(InputError);
    expect(() => toCplexLp(m)).toThrow(/two variables are named x\(1\)/);
  });

  it('finds a duplicate among many names, for rows too, and tells (1.2) from (12)', () => {
    const m = new ModelBuilder('many');
    const x = m.addVars('x', [300, 300]);
    m.addVar('x', [12]);
    m.addVar('x', [1, 2, 0]);
    expect(m.duplicateColumns()).toBeNull();
    m.addVar('x', [299, 7]);
    expect(m.duplicateColumns()).toEqual([x.at(299, 7), m.numCols - 1]);
    for (let i = 0; i < 1000; i++) m.addConstraint('r', [i % 997], [x.at(0, 0)], [1], '<=', 1);
    expect(m.duplicateRows()).toEqual([0, 997]);
    expect(() => toCplexLp(m)).toThrow(/two variables are named x\(299\.7\)/);
  });

  it('refuses a QP: it is not exported, its piecewise-linear variant is', () => {
    const m = new ModelBuilder('qp');
    const x = m.addVar('x', [], { ub: 1 });
    m.addQuadraticTerm(x, x, 1);
    expect(() => toCplexLp(m)).toThrow(UnsupportedModelError);
    expect(() => toCplexLp(m)).toThrow(/QP is not exported; export its piecewise-linear variant/);
  });

  it("on request writes CPLEX's quadratic objective, which HiGHS reads back to the same optimum", async () => {
    // min x^2 + x y + 2 y^2 - 3 x - 4 y + 1 on [0, 5]^2, with x + y <= 2.
    const m = new ModelBuilder('qp');
    const x = m.addVar('x', [], { ub: 5 });
    const y = m.addVar('y', [], { ub: 5 });
    m.addQuadraticTerm(x, x, 1);
    m.addQuadraticTerm(x, y, 1);
    m.addQuadraticTerm(y, y, 2);
    m.setObjectiveCoef(x, -3);
    m.setObjectiveCoef(y, -4);
    m.addObjectiveConstant(1);
    m.addConstraint('cap', [], [x, y], [1, 1], '<=', 2);
    const text = toCplexLp(m, { quadratic: 'cplex' });
    expect(text).toContain('[ 2 x ^ 2 + 2 y * x + 4 y ^ 2 ] / 2');
    const highs = await loadHighs();
    const reread = highs.createModel({ format: 'lp', data: text });
    try {
      reread.options.set('output_flag', false);
      reread.run();
      expect(reread.getObjectiveValue()).toBeCloseTo((await solve(m)).objective, 6);
    } finally {
      reread.dispose();
    }
  });
});
