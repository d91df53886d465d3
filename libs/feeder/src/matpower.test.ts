import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '@zonal/core';
import { loadIeee33 } from './ieee33';
import { loadMatpowerFile, NOMINAL_BASE_KV, parseMatpower } from './matpower';
import { solveFeeder } from './powerflow';
import { loadFeeder } from './load';
import type { Feeder } from './types';

const dataFile = (name: string) => fileURLToPath(new URL(`../data/matpower/${name}`, import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));
const RADIAL4 = readFileSync(fixture('radial4_pu.m'), 'utf8');

/** Expects an InputError whose printed text (`where: message`) matches every pattern. */
function expectInputError(fn: () => unknown, ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'an InputError was expected').toBeInstanceOf(InputError);
  for (const p of patterns) expect((caught as Error).message).toMatch(p);
}

/** Same tables, numbers to a relative 1e-12 (unit conversions round in the last digit). */
function expectSameTables(a: Feeder, b: Feeder): void {
  const close = (x: number, y: number) => expect(Math.abs(x - y)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(y)));
  expect(a.buses.map((x) => [x.id, x.isSlack])).toEqual(b.buses.map((x) => [x.id, x.isSlack]));
  a.buses.forEach((x, i) => {
    close(x.pdKw, b.buses[i].pdKw);
    close(x.qdKvar, b.buses[i].qdKvar);
    close(x.vmSetPu, b.buses[i].vmSetPu);
  });
  expect(a.branches.map((x) => [x.from, x.to, x.inService])).toEqual(b.branches.map((x) => [x.from, x.to, x.inService]));
  a.branches.forEach((x, k) => {
    close(x.rOhm, b.branches[k].rOhm);
    close(x.xOhm, b.branches[k].xOhm);
  });
  expect([a.baseMva, a.baseKv]).toEqual([b.baseMva, b.baseKv]);
}

describe('MATPOWER loader: the shipped radial cases', () => {
  // Bus, branch and open-switch counts and totals as printed by the files' own rows (summed by hand
  // with a script over the raw text: kW/kvar, or kVA for case141).
  it.each([
    ['case69.m', 69, 68, 0, 10, 12.66, 3802.1, 2694.7],
    ['case85.m', 85, 84, 0, 1, 11, 2514.28, 2565.0783],
    ['case118zh.m', 118, 132, 15, 10, 11, 22709.72, 17041.068],
    ['case136ma.m', 136, 156, 21, 10, 13.8, 18313.807, 7932.568],
  ])('%s: %i buses, %i branches (%i open), base %f MVA / %f kV, loads %f kW / %f kvar', (file, nBus, nBr, nOpen, mva, kv, pKw, qKvar) => {
    const f = loadMatpowerFile(dataFile(file));
    expect(f.buses).toHaveLength(nBus);
    expect(f.branches).toHaveLength(nBr);
    expect(f.tieLines).toHaveLength(nOpen);
    expect(f.branches.filter((b) => !b.inService)).toHaveLength(nOpen);
    expect([f.baseMva, f.baseKv]).toEqual([mva, kv]);
    expect(f.buses.reduce((s, b) => s + b.pdKw, 0)).toBeCloseTo(pKw, 6);
    expect(f.buses.reduce((s, b) => s + b.qdKvar, 0)).toBeCloseTo(qKvar, 6);
  });

  it('case69: the ohm and kW values written in the file come back unchanged after the pu round trip', () => {
    const f = loadMatpowerFile(dataFile('case69.m'));
    // From the file: bus 7 "40.4 30", branch 6-7 "0.381 0.1941" ohm (zero-based rows 6 and 5).
    expect(f.buses[6].pdKw).toBeCloseTo(40.4, 10);
    expect(f.buses[6].qdKvar).toBeCloseTo(30, 10);
    expect(f.branches[5]).toMatchObject({ from: 6, to: 7 });
    expect(f.branches[5].rOhm).toBeCloseTo(0.381, 12);
    expect(f.branches[5].xOhm).toBeCloseTo(0.1941, 12);
  });

  it('case141: kVA at power factor 0.85 becomes P = 0.85 S and Q = S sin(acos 0.85); r = 0, x = 1e-5 ohm survives', () => {
    const f = loadMatpowerFile(dataFile('case141.m'));
    const bus8 = f.buses.find((b) => b.id === 8)!; // 75 kVA in the file
    expect(bus8.pdKw).toBeCloseTo(75 * 0.85, 10);
    expect(bus8.qdKvar).toBeCloseTo(75 * Math.sqrt(1 - 0.85 ** 2), 10);
    expect(f.buses.reduce((s, b) => s + b.pdKw, 0)).toBeCloseTo(14052.5 * 0.85, 6);
    const tiny = f.branches.find((b) => b.from === 86 && b.to === 87)!;
    expect(tiny.rOhm).toBe(0);
    expect(tiny.xOhm).toBeCloseTo(1e-5, 17);
    expect([f.baseMva, f.baseKv]).toEqual([10, 12.47]);
  });

  it('case85 keeps its 1 MVA base (the others are 10 MVA)', () => {
    expect(loadMatpowerFile(dataFile('case85.m')).baseMva).toBe(1);
  });
});

describe('MATPOWER loader: plain and converted forms agree', () => {
  it('IEEE-33 as MATPOWER case33bw (ohms, kW, closing code) equals the built-in JSON feeder', () => {
    expectSameTables(loadMatpowerFile(fixture('case33bw.m')), loadIeee33());
  });

  it('IEEE-33 as plain MATPOWER (MW, per-unit) equals the built-in JSON feeder', () => {
    expectSameTables(loadMatpowerFile(fixture('case33_pu.m')), loadIeee33());
  });

  it('reads the hand-written 4-bus pu case: file order, ids, pu to ohms on 11 kV / 1 MVA, slack Vg, open switch', () => {
    const f = parseMatpower(RADIAL4, 'radial4');
    expect(f.buses.map((b) => b.id)).toEqual([30, 10, 40, 20]);
    expect(f.buses.map((b) => b.pdKw)).toEqual([200, 0, 150, 100]);
    expect(f.buses.map((b) => b.qdKvar)).toEqual([100, 0, 50, 60]);
    expect(f.buses.filter((b) => b.isSlack).map((b) => [b.id, b.vmSetPu])).toEqual([[10, 1.02]]);
    // Zbase = 121 ohm.
    f.branches.forEach((b, k) => expect(b.rOhm).toBeCloseTo([2.42, 1.21, 3.63, 6.05][k], 12));
    f.branches.forEach((b, k) => expect(b.xOhm).toBeCloseTo([3.63, 2.42, 2.42, 6.05][k], 12));
    expect(f.branches.map((b) => b.inService)).toEqual([true, true, true, false]);
    expect(f.ders).toBeUndefined();
  });

  it('turns an in-service generator at a PQ bus into a DER injecting its Pg/Qg', () => {
    const text = RADIAL4.replace('\t10\t0\t0\t10\t-10\t1.02', '\t40\t0.05\t0.01\t1\t-1\t1\t100\t1\t1\t0;\n\t10\t0\t0\t10\t-10\t1.02');
    expect(parseMatpower(text, 'r4').ders).toEqual([{ bus: 40, pGenKw: 50, qGenKvar: 10 }]);
  });

  it('understands CRLF line ends, several rows on one line, and comments holding quotes and brackets', () => {
    const text = RADIAL4.replace(/\n/g, '\r\n')
      .replace("mpc.version = '2';", "mpc.version = '2'; % it's ] not [ the end")
      .replace(/;\r\n\t10\t3/, '; 10\t3');
    expectSameTables(parseMatpower(text, 'radial4'), parseMatpower(RADIAL4, 'radial4'));
  });

  it('loadFeeder takes "ieee33" or a path', () => {
    expect(loadFeeder('ieee33').buses).toHaveLength(33);
    expect(loadFeeder(dataFile('case69.m')).buses).toHaveLength(69);
  });
});

describe('MATPOWER loader: refuses, naming file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'feeder-'));
  const parse = (text: string) => () => parseMatpower(text, 'bad', { source: 'bad.m' });
  /** The 1-based line of the first occurrence of `needle` in RADIAL4 (after an edit). */
  const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;

  it('a missing file, a directory, an empty file', () => {
    expectInputError(() => loadMatpowerFile(join(dir, 'nope.m')), /nope\.m: file not found/);
    expectInputError(() => loadMatpowerFile(dir), /is a directory/);
    writeFileSync(join(dir, 'empty.m'), '  \n');
    expectInputError(() => loadMatpowerFile(join(dir, 'empty.m')), /empty\.m: the file is empty/);
  });

  it('a file cut off inside a matrix', () => {
    const cut = RADIAL4.slice(0, RADIAL4.indexOf('\t40\t20'));
    expectInputError(parse(cut), /bad\.m:\d+: matrix mpc\.branch opened here is never closed/, /truncated/);
    // Cut inside mpc.bus: the next block starting is no excuse to keep reading rows.
    const cutBus = RADIAL4.replace('\t20\t1\t0.1', '%').replace(/\];\n\n%% generator/, '\n%% generator');
    expectInputError(parse(cutBus), new RegExp(`bad\\.m:${lineOf(RADIAL4, 'mpc.bus')}: matrix mpc\\.bus .*never closed`));
  });

  it('a file cut off before its conversion code (the rows would be read 1000x too large)', () => {
    const full = readFileSync(fixture('case33bw.m'), 'utf8');
    const cut = full.slice(0, full.indexOf('%% convert branch impedances'));
    expectInputError(parse(cut), /mpc\.bus \(line \d+\) says its values are converted below, but no code converts them/);
    expectInputError(parse(full.slice(0, full.indexOf('%% convert loads'))), /mpc\.bus .*converted below/);
  });

  it('a file cut off before a matrix, or without baseMVA', () => {
    expectInputError(parse(RADIAL4.slice(0, RADIAL4.indexOf('%% branch data'))), /mpc\.branch is missing or empty/);
    expectInputError(parse(RADIAL4.replace('mpc.baseMVA = 1;', '')), /mpc\.baseMVA is missing/);
  });

  it('a row with too few columns, and a matrix with ragged rows', () => {
    const text = RADIAL4.replace('\t10\t20\t0.01\t0.02\t0\t0\t0\t0\t0\t0\t1\t-360\t360;', '\t10\t20\t0.01\t0.02\t0\t0\t0\t0\t0\t0;');
    expectInputError(parse(text), /bad\.m:\d+: row has 10 values, the first row of mpc\.branch 13/);
    const allShort = RADIAL4.replace(/\t0\t0\t0\t0\t0\t0\t(\d)\t-360\t360;/g, '\t0\t0\t0\t0\t0\t0;');
    expectInputError(parse(allShort), new RegExp(`bad\\.m:${lineOf(allShort, '\t30\t20')}: mpc\\.branch row has 10 columns, MATPOWER needs at least 11`));
  });

  it('a value that is not a number', () => {
    expectInputError(parse(RADIAL4.replace('0.15,', 'abc,')), new RegExp(`bad\\.m:${lineOf(RADIAL4, '40,')}: cannot read "abc" as a number`));
    expectInputError(parse(RADIAL4.replace('0.15,', 'constructor,')), /cannot read "constructor" as a number/);
  });

  it.each([
    ['disp(mpc)', /unknown code at line \d+: disp\(mpc\)/],
    ['mpc.bus(:, 3) = mpc.bus(:, 3) * rand', /unknown code at line \d+: .*unknown name "rand"/],
    ['x = 1 +', /unknown code at line \d+: x = 1 \+ \(statement ends early\)/],
    ['mpc.bus(:, 14) = 0', /unknown code .*column index 14 outside 1\.\.13/],
    ['mpc.bus = mpc.bus\'', /unknown code/],
    ['mpc.branch(:, [3 4]) = mpc.branch(:, 3)', /unknown code .*assigning a 4x1 block to 4x2 entries/],
    ['if true, end', /unknown code/],
    ['mpc.dcline = [1 2 3];', /unknown code at line \d+: mpc\.dcline is not supported/],
    ['mpc.foo = {1};', /unknown code at line \d+: mpc\.foo = \{\.\.\.\}/],
  ])('unknown code: %s', (statement, pattern) => {
    expectInputError(parse(`${RADIAL4}\n${statement};\n`), /^bad\.m: /, pattern);
  });

  it('reports the line of the unknown statement', () => {
    const text = `${RADIAL4}\npf = 0.85;\nmpc.bus(:, 3) = mpc.bus(:, 3) * pf;\nsystem('rm -rf /');\n`;
    expectInputError(parse(text), new RegExp(`unknown code at line ${text.split('\n').length - 1}: system\\(''\\)`));
  });

  it('a meshed network, naming the branch that closes the loop', () => {
    const closed = RADIAL4.replace('0.05\t0\t0\t0\t0\t0\t0\t0\t-360', '0.05\t0\t0\t0\t0\t0\t0\t1\t-360');
    expectInputError(parse(closed), new RegExp(`bad\\.m:${lineOf(RADIAL4, '\t30\t40')}: meshed network: in-service branch 30-40 closes a loop`));
    const parallel = RADIAL4.replace('\t30\t40\t0.05\t0.05\t0\t0\t0\t0\t0\t0\t0', '\t20\t10\t0.05\t0.05\t0\t0\t0\t0\t0\t0\t1');
    expectInputError(parse(parallel), /meshed network: in-service branch 20-10 closes a loop/);
  });

  it('a branch to a missing bus, a duplicate bus id, a negative resistance', () => {
    expectInputError(parse(RADIAL4.replace('\t40\t20\t0.03', '\t40\t99\t0.03')), /bad\.m:\d+: branch 40-99 connects to bus 99, which does not exist/);
    expectInputError(parse(RADIAL4.replace('\t30\t1\t0.2', '\t40\t1\t0.2')), new RegExp(`bad\\.m:${lineOf(RADIAL4, '40,')}: duplicate bus id 40 \\(first at bad\\.m:${lineOf(RADIAL4, '\t30\t1')}\\)`));
    expectInputError(parse(RADIAL4.replace('\t40\t20\t0.03', '\t40\t20\t-0.03')), /bad\.m:\d+: negative resistance -3\.63 ohm on branch 40-20/);
  });

  it('a bus cut off from the slack, no slack, two slacks', () => {
    const cut = RADIAL4.replace('\t40\t20\t0.03\t0.02\t0\t0\t0\t0\t0\t0\t1', '\t40\t20\t0.03\t0.02\t0\t0\t0\t0\t0\t0\t0');
    expectInputError(parse(cut), /bad\.m:\d+: disconnected network: bus 40 not connected to the slack bus 10/);
    expectInputError(parse(RADIAL4.replace('\t10\t3\t0', '\t10\t1\t0')), /bad\.m: no slack bus/);
    expectInputError(parse(RADIAL4.replace('\t30\t1\t0.2', '\t30\t3\t0.2')), /more than one slack bus \(30 and 10\)/);
  });

  it('what the radial model cannot honour: a PV bus, a shunt, line charging, a transformer, mixed voltages, no base voltage', () => {
    const pvBus = RADIAL4.replace('\t30\t1\t0.2', '\t30\t2\t0.2').replace('mpc.gen = [', 'mpc.gen = [\n\t30\t0.1\t0\t1\t-1\t1\t100\t1\t1\t0;');
    expectInputError(parse(pvBus), /bus 30 is a voltage-controlled \(PV\) bus/);
    expectInputError(parse(RADIAL4.replace('0.1\t0\t0\t1\t1\t0\t11', '0.1\t0\t0.5\t1\t1\t0\t11')), /bus 30 has a shunt/);
    expectInputError(parse(RADIAL4.replace('0.02\t0.03\t0\t', '0.02\t0.03\t0.001\t')), /branch 30-20 has line charging/);
    expectInputError(parse(RADIAL4.replace('0.02\t0.03\t0\t0\t0\t0\t0', '0.02\t0.03\t0\t0\t0\t0\t0.95')), /branch 30-20 is a transformer/);
    expectInputError(parse(RADIAL4.replace('0.1\t0\t0\t1\t1\t0\t11', '0.1\t0\t0\t1\t1\t0\t0.4')), /bus 30 has baseKV 0\.4, the feeder 11/);
    expectInputError(parse(RADIAL4.replace(/\t0\t11\t1\t1\t1;/, '\t0\t0\t1\t1\t1;')), /base voltage must be > 0 kV/);
  });

  it('baseKV 0 on every bus (MATPOWER: not given) loads on a nominal 1 kV base, with the same per-unit power flow', () => {
    const noKv = parseMatpower(RADIAL4.replace(/\t0\t11\t/g, '\t0\t0\t').replace(/\t0,\t11,/, '\t0,\t0,'), 'r4');
    const withKv = parseMatpower(RADIAL4, 'r4');
    expect(noKv.baseKv).toBe(NOMINAL_BASE_KV);
    expect(noKv.branches[0].rOhm).toBeCloseTo(0.02 * NOMINAL_BASE_KV ** 2 / 1, 15);
    const a = solveFeeder(noKv), b = solveFeeder(withKv);
    a.vmPu.forEach((v, i) => expect(v).toBeCloseTo(b.vmPu[i], 14));
    expect(a.lossKw).toBeCloseTo(b.lossKw, 10);
  });

  it('nonsense numbers: baseMVA <= 0, Inf in a column that is read, an absurd slack set-point', () => {
    expectInputError(parse(RADIAL4.replace('mpc.baseMVA = 1;', 'mpc.baseMVA = 0;')), /mpc\.baseMVA must be > 0/);
    expectInputError(parse(RADIAL4.replace('\t30\t1\t0.2', '\t30\t1\tInf')), /Pd must be a finite number, got Infinity/);
    expectInputError(parse(RADIAL4.replace('-10\t1.02', '-10\t10.2')), /slack voltage set-point 10\.2 pu is outside/);
  });
});
