import { InputError } from '@zonal/core';
import { describe, expect, it } from 'vitest';
import { ModelBuilder } from './model';

/** Dense matrix of a model's rows, from its CSR arrays. */
function dense(m: ModelBuilder): number[][] {
  const a = m.toArrays({ copy: true });
  const out = Array.from({ length: a.numRows }, () => new Array<number>(a.numCols).fill(0));
  for (let i = 0; i < a.numRows; i++) {
    for (let p = a.rowStarts[i]; p < a.rowStarts[i + 1]; p++) out[i][a.colIndex[p]] += a.values[p];
  }
  return out;
}

describe('ModelBuilder names', () => {
  it('names columns and rows family(index) with dots between indices, bare family for no index', () => {
    const m = new ModelBuilder('dso');
    const pg = m.addVar('Pg', [3]);
    const v = m.addVar('V', [12, 3]);
    const z = m.addVar('z', []);
    const r = m.addConstraint('vlim', [12, 3], [v], [1], '<=', 1.05);
    expect([m.colName(pg), m.colName(v), m.colName(z)]).toEqual(['Pg(3)', 'V(12.3)', 'z']);
    expect(m.rowName(r)).toBe('vlim(12.3)');
    expect(m.rowFamily(r)).toBe('vlim');
    expect(m.colFamily(v)).toBe('V');
    expect([m.colIndexAt(v, 0), m.colIndexAt(v, 1), m.colIndexAt(pg, 0), m.rowIndexAt(r, 1)]).toEqual([12, 3, 3, 3]);
    expect(() => m.colIndexAt(z, 0)).toThrow(/z has no index number 0/);
    expect(() => m.rowIndexAt(r, 2)).toThrow(/vlim\(12\.3\) has no index number 2/);
  });

  it('keeps its names apart from the model (names()): the same names, unchanged by what the model adds after', () => {
    const m = new ModelBuilder('zone');
    m.addVar('z', []);
    m.addVars('C', [3, 2]);
    m.addConstraint('soc', [2, 1], [0, 1], [1, -1], '=', 0);
    m.addConstraint('total', [], [2], [1], '<=', 4);
    const names = m.names();
    m.addVar('later', [9]);
    m.addConstraint('later', [9], [0], [1], '>=', 0);
    expect([names.numCols, names.numRows]).toEqual([7, 2]);
    expect(Array.from({ length: 7 }, (_, j) => names.colName(j))).toEqual(Array.from({ length: 7 }, (_, j) => m.colName(j)));
    expect([names.rowName(0), names.rowName(1)]).toEqual(['soc(2.1)', 'total']);
    expect(() => names.colName(7)).toThrow(/no entry 7 \(of 7\)/);
    expect([names.colFamily(3), names.colIndexAt(3, 0), names.colIndexAt(3, 1), names.rowFamily(0), names.rowIndexAt(0, 1)]).toEqual(['C', 1, 0, 'soc', 1]);
    expect(() => names.rowIndexAt(1, 0)).toThrow(/total has no index number 0/);
  });

  it('compacts without changing the model, and still grows after (compact())', () => {
    const build = () => {
      const m = new ModelBuilder('c');
      const x = m.addVars('x', [40], { lb: 0, ub: 3 });
      for (let i = 0; i < 39; i++) m.addConstraint('r', [i], [x.at(i), x.at(i + 1), x.at(i)], [1, -2, 0.5], '<=', i);
      return m;
    };
    const plain = build(), compacted = build().compact();
    expect(compacted.toArrays({ copy: true })).toEqual(plain.toArrays({ copy: true }));
    for (const m of [plain, compacted]) {
      m.addConstraint('more', [], [0, 5, 0], [1, 1, 1], '>=', 1); // a repeated column merged after the scratch was dropped
      m.addVar('y', [], { ub: 1 });
    }
    expect(compacted.toArrays({ copy: true })).toEqual(plain.toArrays({ copy: true }));
  });

  it('lays a block out row-major and names each element by its index', () => {
    const m = new ModelBuilder('t');
    m.addVar('before', []);
    const b = m.addVars('E', [2, 3], ([i, t]) => ({ ub: 10 * i + t }));
    expect(b.size).toBe(6);
    expect(b.at(0, 0)).toBe(1);
    expect(b.at(1, 2)).toBe(1 + 1 * 3 + 2);
    expect(m.colName(b.at(1, 2))).toBe('E(1.2)');
    expect(m.colUpperBound(b.at(1, 2))).toBe(12);
    expect(Array.from(b.columns())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => b.at(2, 0)).toThrow(/out of range in dimension 0/);
    expect(() => b.at(0)).toThrow(/has 1 dimensions, the block 2/);
    const c = m.addVars('F', [2, 2, 2]);
    expect(c.at(1, 0, 1)).toBe(c.start + 5);
    expect(c.atIndex([1, 1, 1])).toBe(c.start + 7);
  });

  it('refuses family names an LP file cannot hold, naming the family and suggesting one', () => {
    const m = new ModelBuilder('zone1');
    for (const bad of ['ev-soc', 'p[1]', '1x', 'a.b', 'x y', '', 'End', 'free', 'const_one', 'obj']) {
      expect(() => m.addVar(bad, [1]), bad).toThrow(InputError);
    }
    expect(() => m.addVar('ev-soc', [1])).toThrow(/variable family "ev-soc".*letter or "_"/);
    try {
      m.addVar('ev-soc', [1]);
    } catch (e) {
      expect((e as InputError).hint).toBe('use "ev_soc"');
    }
    expect(() => m.addConstraint('soc balance', [], [], [], '=', 0)).toThrow(/constraint family "soc balance"/);
  });

  it('refuses negative or fractional indices (a minus sign is not a name character)', () => {
    const m = new ModelBuilder('t');
    expect(() => m.addVar('x', [-1])).toThrow(/non-negative integers/);
    expect(() => m.addVar('x', [1.5])).toThrow(InputError);
  });

  it('refuses a model name that cannot name a file', () => {
    expect(() => new ModelBuilder('a/b')).toThrow(InputError);
  });
});

describe('ModelBuilder rows', () => {
  it('sums repeated columns and drops terms that cancel (compared with a dense accumulation)', () => {
    const m = new ModelBuilder('t');
    const x = m.addVars('x', [4]);
    m.addConstraint('a', [], [x.at(0), x.at(1), x.at(0), x.at(2), x.at(2)], [1, 2, 3, 4, -4], '<=', 1);
    m.addConstraint('b', [], [x.at(3), x.at(3)], [0.5, 0.25], '>=', 2);
    expect(dense(m)).toEqual([
      [4, 2, 0, 0],
      [0, 0, 0, 0.75],
    ]);
    expect(m.numNonzeros).toBe(3);
    const a = m.toArrays({ copy: true });
    expect(Array.from(a.rowLower)).toEqual([-Infinity, 2]);
    expect(Array.from(a.rowUpper)).toEqual([1, Infinity]);
  });

  it('sets row bounds from the sense and from ranges', () => {
    const m = new ModelBuilder('t');
    const x = m.addVar('x', []);
    m.addConstraint('eq', [], [x], [1], '=', 3);
    m.addRangeConstraint('rng', [], [x], [1], -1, 2);
    const a = m.toArrays({ copy: true });
    expect(Array.from(a.rowLower)).toEqual([3, -1]);
    expect(Array.from(a.rowUpper)).toEqual([3, 2]);
  });

  it('names the row and the variable of a non-finite coefficient, and leaves the model unchanged', () => {
    const m = new ModelBuilder('dso');
    const v = m.addVar('V', [12, 3]);
    m.addConstraint('ok', [], [v], [1], '<=', 1);
    expect(() => m.addConstraint('vlim', [12, 3], [v, v], [1, NaN], '<=', 1)).toThrow(/constraint vlim\(12\.3\): coefficient of V\(12\.3\) is NaN/);
    expect(() => m.addConstraint('vlim', [1], [v], [1], '<=', Infinity)).toThrow(/vlim\(1\): right-hand side is Infinity/);
    expect(() => m.addConstraint('vlim', [1], [v, 7], [1, 1], '<=', 1)).toThrow(/column 7 does not exist/);
    expect(m.numRows).toBe(1);
    expect(m.numNonzeros).toBe(1);
  });

  it('refuses contradictory bounds, naming the variable, without adding it', () => {
    const m = new ModelBuilder('zone2');
    expect(() => m.addVar('E', [4, 7], { lb: 5, ub: 3 })).toThrow(/variable E\(4\.7\): lower bound 5 exceeds upper bound 3/);
    expect(() => m.addVar('E', [4, 8], { lb: NaN })).toThrow(InputError);
    expect(m.numCols).toBe(0);
    expect(() => m.addVars('E', [2], () => ({ lb: 1, ub: 0 }))).toThrow(/E\(0\)/);
  });
});

describe('ModelBuilder objective', () => {
  it('accumulates coefficients and stores quadratic terms as Q of 0.5 x\'Qx (lower triangle, summed)', () => {
    const m = new ModelBuilder('t');
    const x = m.addVar('x', [], { ub: 1 });
    const y = m.addVar('y', [], { ub: 1 });
    m.setObjectiveCoef(x, 2);
    m.setObjectiveCoef(x, 0.5);
    // 3 x^2 + 4 x y + 1 y x - 1 y^2 + 2 y^2  =>  Q = [[6, 5], [5, 2]]
    m.addQuadraticTerm(x, x, 3);
    m.addQuadraticTerm(x, y, 4);
    m.addQuadraticTerm(y, x, 1);
    m.addQuadraticTerm(y, y, -1);
    m.addQuadraticTerm(y, y, 2);
    const a = m.toArrays({ copy: true });
    expect(a.colCost[x]).toBe(2.5);
    expect(a.hessian).not.toBeNull();
    const h = a.hessian!;
    expect(Array.from(h.starts)).toEqual([0, 2, 3]);
    expect(Array.from(h.rows)).toEqual([0, 1, 1]);
    expect(Array.from(h.values)).toEqual([6, 5, 2]);
    // The objective at (x, y) = (0.3, 0.7) by both routes: 0.5 x'Qx and the terms as written.
    const [vx, vy] = [0.3, 0.7];
    const viaQ = 0.5 * (6 * vx * vx + 2 * 5 * vx * vy + 2 * vy * vy);
    const asWritten = 3 * vx * vx + 4 * vx * vy + 1 * vy * vx + (2 - 1) * vy * vy;
    expect(viaQ).toBeCloseTo(asWritten, 14);
  });
});

describe('ModelBuilder append', () => {
  /** A small block: two families of columns, one shared with the host, rows over its own columns. */
  function writeBlock(m: ModelBuilder, at: number): void {
    const x = m.addVars('x', [3], ([i]) => ({ lb: -i, ub: 10 + i }));
    const y = m.addVar('y', [7, 2], { lb: 1, ub: 4, integer: true });
    m.setObjectiveCoef(x.at(1), 2.5);
    m.addConstraint('blk', [at], [x.at(0), x.at(2), y], [1, -3, 0.5], '<=', 4);
    m.addRangeConstraint('shared', [at], [y, x.at(1)], [2, 1], -1, 6);
  }

  it('equals the model built entry by entry: values, bounds, costs, names (the host\'s families reused)', () => {
    const direct = new ModelBuilder('host');
    const z = direct.addVar('z', [0], { ub: 5 });
    direct.addConstraint('shared', [0], [z], [1], '>=', 1);
    writeBlock(direct, 9);
    direct.addConstraint('after', [], [z, 3], [1, 1], '=', 2);

    const viaAppend = new ModelBuilder('host');
    const z2 = viaAppend.addVar('z', [0], { ub: 5 });
    viaAppend.addConstraint('shared', [0], [z2], [1], '>=', 1);
    const block = new ModelBuilder('block');
    writeBlock(block, 9);
    expect(viaAppend.append(block)).toEqual({ colOffset: 1, rowOffset: 1 });
    viaAppend.addConstraint('after', [], [z2, 3], [1, 1], '=', 2);

    expect(viaAppend.toArrays({ copy: true })).toEqual({ ...direct.toArrays({ copy: true }) });
    const names = (m: ModelBuilder) => [Array.from({ length: m.numCols }, (_, c) => m.colName(c)), Array.from({ length: m.numRows }, (_, r) => m.rowName(r))];
    expect(names(viaAppend)).toEqual(names(direct));
    expect(names(viaAppend)[0]).toEqual(['z(0)', 'x(0)', 'x(1)', 'x(2)', 'y(7.2)']);
    // Appended twice (a block many models share), the second copy lands after the first.
    expect(viaAppend.append(block)).toEqual({ colOffset: 5, rowOffset: 4 });
    expect(dense(viaAppend).slice(4).map((row) => row.slice(5))).toEqual(dense(block));
  });

  it('refuses a block with quadratic terms and the model itself', () => {
    const m = new ModelBuilder('m');
    const q = new ModelBuilder('q');
    const x = q.addVar('x', []);
    q.addQuadraticTerm(x, x, 1);
    expect(() => m.append(q)).toThrow(/quadratic/);
    expect(() => m.append(m)).toThrow(/itself/);
  });
});
