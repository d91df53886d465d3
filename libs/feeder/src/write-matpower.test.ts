import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadIeee33 } from './ieee33';
import { parseMatpower } from './matpower';
import { makeSyntheticFeeder } from './synthetic';
import { solveFeeder } from './powerflow';
import { writeMatpower } from './write-matpower';
import type { Feeder } from './types';

const radial4 = () =>
  parseMatpower(readFileSync(fileURLToPath(new URL('../test/fixtures/radial4_pu.m', import.meta.url)), 'utf8'), 'radial4');

function withDers(f: Feeder): Feeder {
  return { ...f, ders: [{ bus: f.buses[5].id, pGenKw: 120, qGenKvar: -30 }] };
}

describe('writeMatpower', () => {
  it.each([
    ['ieee33 with its open tie switches', loadIeee33],
    ['the 4-bus case (ids out of order, slack at 1.02 pu)', radial4],
    ['a 200-bus synthetic feeder with a DER', () => withDers(makeSyntheticFeeder({ buses: 200, seed: 5 }))],
  ])('%s reads back to the same tables (1e-12 relative) and the same power flow', (_name, make) => {
    const f = make();
    const back = parseMatpower(writeMatpower(f), f.name);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));
    expect(back.buses.map((b) => [b.id, b.isSlack, b.vmSetPu, b.baseKv])).toEqual(f.buses.map((b) => [b.id, b.isSlack, b.vmSetPu, b.baseKv]));
    back.buses.forEach((b, i) => expect(rel(b.pdKw, f.buses[i].pdKw) + rel(b.qdKvar, f.buses[i].qdKvar)).toBeLessThan(1e-12));
    expect(back.branches.map((b) => [b.from, b.to, b.inService])).toEqual(f.branches.map((b) => [b.from, b.to, b.inService]));
    back.branches.forEach((b, k) => expect(rel(b.rOhm, f.branches[k].rOhm) + rel(b.xOhm, f.branches[k].xOhm)).toBeLessThan(1e-12));
    expect(back.ders ?? []).toEqual((f.ders ?? []).map((d) => ({ ...d, pGenKw: expect.closeTo(d.pGenKw, 9), qGenKvar: expect.closeTo(d.qGenKvar, 9) })));
    const a = solveFeeder(f), b = solveFeeder(back);
    a.vmPu.forEach((v, i) => expect(Math.abs(v - b.vmPu[i])).toBeLessThan(1e-12));
  });

  it('writes plain MATPOWER: MW and per-unit, no conversion code, a MATLAB function name', () => {
    const text = writeMatpower({ ...loadIeee33(), name: '33-bus test' });
    expect(text.split('\n')[0]).toBe('function mpc = case_33_bus_test');
    expect(text).toContain('\n\t2\t1\t0.1\t0.06\t0\t0\t1\t1\t0\t12.66\t1\t1.1\t0.9;\n'); // 100 kW + j60 kvar
    expect(text).toMatch(/\n\t1\t2\t0\.0057525\d*\t0\.0029324\d*\t/); // 0.0922 ohm / 16.02756
    expect(text).not.toMatch(/idx_bus|Vbase/);
  });
});
