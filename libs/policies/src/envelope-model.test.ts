import { describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { anchoredEnvelopeGroups, sampleDefaultFleet, type TimeGrid } from '@zonal/ev';
import { loadScenario } from '@zonal/scenario';
import { ModelBuilder } from '@zonal/solver';
import { addEnvelopeGroups } from './envelope-model';

const grid: TimeGrid = { periods: 24, dtH: 1 };

describe('addEnvelopeGroups', () => {
  const fleet = sampleDefaultFleet({ ...loadScenario('default').evFleet, count: 300 }, createRng(5));
  const groups = anchoredEnvelopeGroups(fleet, grid, 'window-energy');
  const eta = fleet.eta[0];

  it('writes the same groups into every model, after what the model holds, each group\'s columns named for it', () => {
    // The first model has them written in; the second gets the block built then, the third the same block.
    const first = new ModelBuilder('first');
    const a = addEnvelopeGroups(first, groups, eta, grid, 'z1ev');
    const second = new ModelBuilder('second');
    const before = second.addVars('x', [5]);
    const b = addEnvelopeGroups(second, groups, eta, grid, 'z1ev');
    const c = addEnvelopeGroups(second, groups, eta, grid, 'z2ev');
    const third = new ModelBuilder('third');
    third.addVars('x', [5]);
    const d = addEnvelopeGroups(third, groups, eta, grid, 'z1ev');
    expect(before.start).toBe(0);
    expect(second.numCols).toBe(5 + 2 * first.numCols);
    expect(second.numRows).toBe(2 * first.numRows);
    // Each copy is the first model's columns and rows, moved by its offset, names and all.
    const arrays = first.toArrays({ copy: true });
    for (const [model, prefixCols] of [[second, 5], [third, 5]] as const) {
      const again = model.toArrays({ copy: true });
      expect(Array.from(again.colUpper.subarray(prefixCols, prefixCols + first.numCols))).toEqual(Array.from(arrays.colUpper));
      expect(Array.from(again.colIndex.subarray(0, arrays.colIndex.length), (col) => col - prefixCols)).toEqual(Array.from(arrays.colIndex));
    }
    expect(third.numCols).toBe(5 + first.numCols);
    for (const [env, model, prefix] of [[a, first, 'z1ev'], [b, second, 'z1ev'], [c, second, 'z2ev'], [d, third, 'z1ev']] as const) {
      expect(model.colName(env.chargeKw.at(3))).toBe(`${prefix}C(3)`);
      expect(model.colName(env.dischargeKw.at(20))).toBe(`${prefix}D(20)`);
      env.groups.forEach((g, k) => g.chargeCols.forEach((col, t) => {
        if (col >= 0) expect(model.colName(col)).toBe(`${prefix}GC(${k}.${t})`);
      }));
    }
    expect(groups.length).toBeGreaterThan(20);
  });
});
