import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectCleanError, onlyJsonLine, ROOT, zonal } from '../testing/cli';

describe('zonal network-split (as a process)', () => {
  it('--json on IEEE-33 (small-test, its zones as areas): one object, converged, within 0.1% of the centralised LP, one consistent boundary', () => {
    const r = zonal('network-split', '--scenario', 'small-test', '--json');
    expect([r.code, r.stderr]).toEqual([0, '']);
    const report = onlyJsonLine(r.stdout) as { feeder: string; converged: boolean; gapPct: number; closingMismatchKw: number; areas: unknown[]; rounds: { admm: number; reference: string }; successive: { gapPct: number } };
    expect(report.feeder).toBe('ieee33');
    expect(report.converged).toBe(true);
    expect(report.areas.length).toBeGreaterThanOrEqual(4);
    expect(Math.abs(report.gapPct)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(report.successive.gapPct)).toBeLessThanOrEqual(0.1);
    expect(report.closingMismatchKw).toBeLessThan(1e-6);
    expect(report.rounds.reference).toMatch(/14–204 rounds for 2–4 areas/);
  });

  it('prints the areas and the split against the centralised LP as tables', () => {
    const r = zonal('network-split', '--scenario', 'small-test', '--case', join(ROOT, 'libs/feeder/data/matpower/case69.m'), '--areas', '3');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/Network split — scenario "small-test" .* feeder case69, 69 buses, 3 areas \(equal subtrees\)/);
    expect(r.stdout).toMatch(/loss round 1: \d+ ADMM round/);
    expect(r.stdout).toMatch(/cost \(yuan\/day, same LP\)/);
    expect(r.stdout).toMatch(/14–204 rounds for 2–4 areas/);
  });

  it('bad flags are one clean error line and exit code 2', () => {
    expectCleanError(zonal('network-split', '--areas', '0'), /^error: --areas: must be an integer >= 1, got "0"/);
    expectCleanError(zonal('network-split', '--scenario', 'small-test', '--areas', '40'), /^error: areas: must be an integer in \[1, 33\], got 40/);
    expectCleanError(zonal('network-split', '--case', 'no-such-case.m'), /no-such-case\.m/);
  });
});
