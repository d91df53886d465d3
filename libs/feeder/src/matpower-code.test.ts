import { describe, expect, it } from 'vitest';
import { InputError } from '@zonal/core';
import { runCodeStatement, type CaseWorkspace } from './matpower-code';

function workspace(): CaseWorkspace {
  return {
    matrices: new Map([['bus', [[1, 3, 100, 50], [2, 1, 200, 80], [3, 1, 300, 120]]]]),
    scalars: new Map([['baseMVA', 10]]),
    vars: new Map(),
    modified: new Set(),
  };
}

function run(ws: CaseWorkspace, ...statements: string[]): CaseWorkspace {
  statements.forEach((s, i) => runCodeStatement(ws, s, i + 1, 'test.m'));
  return ws;
}

describe('MATPOWER closing code: scalar arithmetic follows MATLAB (values by hand)', () => {
  it.each([
    ['a = -2^2', -4], // ^ binds tighter than unary minus
    ['a = 2^-1', 0.5],
    ['a = 2^3^2', 64], // left-associative: (2^3)^2
    ['a = (1 + 2) * 3 / 4 - 1', 1.25],
    ['a = 8 / 2 / 2', 2],
    ['a = sqrt(abs(-16)) + exp(0)', 5],
    ['a = 1.5e3 + .5', 1500.5],
    ['a = mpc.baseMVA * 1e6', 1e7],
    ['a = mpc.bus(2, 3) + mpc.bus(3, 4)', 320],
  ])('%s -> %f', (statement, value) => {
    expect(run(workspace(), statement).vars.get('a')).toBeCloseTo(value, 12);
  });

  it('sin(acos(pf)) is sqrt(1 - pf^2)', () => {
    expect(run(workspace(), 'pf = 0.85', 'q = sin(acos(pf))').vars.get('q')).toBeCloseTo(Math.sqrt(1 - 0.7225), 15);
  });
});

describe('MATPOWER closing code: column blocks', () => {
  it('idx_bus names columns by position; a block divided by a scalar', () => {
    const ws = run(workspace(), '[PQ, PV, REF, NONE, BUS_I, BUS_TYPE, PD, QD] = idx_bus', 'mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD QD]) / 1e3');
    expect([ws.vars.get('REF'), ws.vars.get('PD'), ws.vars.get('QD')]).toEqual([3, 3, 4]);
    expect(ws.matrices.get('bus')!.map((r) => [r[2], r[3]])).toEqual([[0.1, 0.05], [0.2, 0.08], [0.3, 0.12]]);
    expect(ws.modified.has('bus')).toBe(true);
  });

  it('the right side is evaluated before the assignment (case141 order: Q from P, then P scaled)', () => {
    const ws = run(workspace(), 'pf = 0.8', 'mpc.bus(:, 4) = mpc.bus(:, 3) * 0.6', 'mpc.bus(:, 3) = mpc.bus(:, 3) * pf');
    expect(ws.matrices.get('bus')!.map((r) => [r[2], r[3]])).toEqual([[80, 60], [160, 120], [240, 180]].map(([p, q]) => [p, q].map((v) => expect.closeTo(v, 12))));
  });

  it('element-wise operations between blocks of one size, a scalar into one entry', () => {
    const ws = run(workspace(), 'mpc.bus(:, 3) = mpc.bus(:, 3) .* mpc.bus(:, 1) - mpc.bus(:, 4)', 'mpc.bus(1, 4) = 7');
    expect(ws.matrices.get('bus')!.map((r) => [r[2], r[3]])).toEqual([[50, 7], [320, 80], [780, 120]]);
  });

  it('refuses a matrix product, a function of a block, a block into a variable, rows out of range', () => {
    const bad = ['a = constructor(1)', 'mpc.bus(:, 3) = mpc.bus(:, 3) * mpc.bus(:, 4)', 'a = sin(mpc.bus(:, 3))', 'a = mpc.bus(:, 3)', 'a = mpc.bus(4, 1)', 'a = mpc.gen(1, 1)'];
    for (const s of bad) expect(() => run(workspace(), s), s).toThrow(InputError);
    expect(() => run(workspace(), 'a = 1', 'b = mpc.bus(4, 1)')).toThrow(/unknown code at line 2: b = mpc\.bus\(4, 1\) \(row index 4 outside 1\.\.3\)/);
  });
});
