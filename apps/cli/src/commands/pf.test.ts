import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, expectCleanError, onlyJsonLine, zonal } from '../testing/cli';
import { makeSyntheticFeeder, parseMatpower, solveFeeder, writeMatpower } from '@zonal/feeder';

const FIXTURES = join(ROOT, 'libs/feeder/test/fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'zonal-pf-'));

const CONTRACT_KEYS = ['lossKw', 'lossKvar', 'vminPu', 'vminBus', 'vmPu', 'vaDeg', 'pSubKw', 'qSubKvar', 'iterations', 'converged'];

/** stdout holds exactly one JSON object (one line) and nothing else. */
function onlyJson(stdout: string): Record<string, unknown> {
  const obj = onlyJsonLine(stdout);
  expect(Object.keys(obj)).toEqual(CONTRACT_KEYS);
  return obj;
}

describe('zonal pf', () => {
  it('ieee33 --json: the MATPOWER figures, the documented keys, arrays of 33', () => {
    const r = zonal('pf', 'ieee33', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const o = onlyJson(r.stdout);
    expect(Math.abs((o.lossKw as number) - 202.68)).toBeLessThan(0.01);
    expect(Math.abs((o.lossKvar as number) - 135.14)).toBeLessThan(0.01);
    expect(Math.abs((o.vminPu as number) - 0.91309)).toBeLessThan(1e-5);
    expect(o.vminBus).toBe(18);
    expect([(o.vmPu as number[]).length, (o.vaDeg as number[]).length, o.converged]).toEqual([33, 33, true]);
    expect(o.pSubKw as number).toBeCloseTo(3715 + (o.lossKw as number), 6);
  });

  it('a table by default', () => {
    const r = zonal('pf', 'ieee33');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/losses \(kW\).*202\.68/);
    expect(r.stdout).toMatch(/0\.91309 at bus 18/);
  });

  it('--scale multiplies every load; arrays follow the file order (4-bus case: slack second at 1.02 pu)', () => {
    const path = join(FIXTURES, 'radial4_pu.m');
    const o = onlyJson(zonal('pf', path, '--scale', '1.5', '--json').stdout);
    const lib = solveFeeder(parseMatpower(readFileSync(path, 'utf8'), 'radial4'), { scale: 1.5 });
    expect(o.vmPu).toEqual(Array.from(lib.vmPu));
    expect((o.vmPu as number[])[1]).toBe(1.02);
    expect(o.pSubKw as number).toBeCloseTo(450 * 1.5 + lib.lossKw, 6);
  });

  it('a 5 000-bus plain MATPOWER file gives the same answer as the library', () => {
    const feeder = makeSyntheticFeeder({ buses: 5000, seed: 42 });
    const path = join(tmp, 'synthetic5000.m');
    writeFileSync(path, writeMatpower(feeder));
    const r = zonal('pf', path, '--json');
    expect(r.code).toBe(0);
    const o = onlyJson(r.stdout);
    const lib = solveFeeder(feeder);
    expect((o.vmPu as number[]).length).toBe(5000);
    expect(Math.max(...(o.vmPu as number[]).map((v, i) => Math.abs(v - lib.vmPu[i])))).toBeLessThan(1e-12);
  });

  it('not converging (IEEE-33 at 10x, past voltage collapse) is exit 1 with converged: false, still one JSON object', () => {
    const r = zonal('pf', 'ieee33', '--scale', '10', '--json');
    expect(r.code).toBe(1);
    expect(onlyJson(r.stdout).converged).toBe(false);
    expect(r.stderr).toMatch(/did not converge/);
  });

  it('bad input: exit 2, one line naming the problem, no stack trace', () => {
    expectCleanError(zonal('pf', 'ieee33', '--scale', '0'), /^error: --scale: must be > 0, got 0$/m);
    expectCleanError(zonal('pf', 'ieee33', '--scale=-2'), /^error: --scale: must be > 0, got -2$/m);
    expectCleanError(zonal('pf', 'ieee33', '--scale', 'x'), /^error: --scale: must be a number, got "x"$/m);
    expectCleanError(zonal('pf', join(tmp, 'missing.m')), /missing\.m: file not found/);
    const text = readFileSync(join(FIXTURES, 'radial4_pu.m'), 'utf8');
    const meshed = join(tmp, 'meshed.m');
    writeFileSync(meshed, text.replace('0.05\t0\t0\t0\t0\t0\t0\t0\t-360', '0.05\t0\t0\t0\t0\t0\t0\t1\t-360'));
    expectCleanError(zonal('pf', meshed), /meshed\.m:\d+: meshed network: in-service branch 30-40 closes a loop/);
    const truncated = join(tmp, 'truncated.m');
    writeFileSync(truncated, text.slice(0, text.indexOf('\t40\t20')));
    expectCleanError(zonal('pf', truncated), /truncated\.m:\d+: matrix mpc\.branch opened here is never closed/);
  });
});
