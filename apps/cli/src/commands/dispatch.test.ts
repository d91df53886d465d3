import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { solveLpFile } from '@zonal/solver';
import { makeSyntheticFeeder, writeMatpower } from '@zonal/feeder';
import { expectCleanError, onlyJsonLine, ROOT, zonal } from '../testing/cli';

const tmp = () => mkdtempSync(join(tmpdir(), 'zonal-dispatch-cli-'));

describe('zonal dispatch', () => {
  it('--json --export-lp: the objective is that of the last LP file, re-solved by GLPK', () => {
    const dir = tmp();
    const r = zonal('dispatch', '--json', '--export-lp', dir);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const o = onlyJsonLine(r.stdout) as {
      objective: number; seed: number;
      costs: Record<'purchase' | 'diesel' | 'curtailment' | 'carbon' | 'total' | 'penalties', number>;
      evs: { count: number; energyKwh: number };
      acCheck: { converged: boolean; maxAbsVDiffPu: number; violations: unknown[] };
    };
    expect(o.seed).toBe(20251123);
    const files = readdirSync(dir).sort();
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(files[0]).toBe('0001-dso.lp');
    const glpk = solveLpFile(join(dir, files.at(-1)!), 'glpsol');
    expect(glpk.status).toBe('optimal');
    expect(Math.abs(glpk.objective! - o.objective) / o.objective).toBeLessThan(1e-7);
    expect(o.costs.total + o.costs.penalties).toBeCloseTo(o.objective, 3);
    // SPEC §6: the default fleet draws about 16.8 MWh a day (battery side), a little more at the grid.
    expect(o.evs.count).toBe(3000);
    expect(o.evs.energyKwh).toBeGreaterThan(15_000);
    expect(o.evs.energyKwh).toBeLessThan(19_000);
    expect(o.acCheck.converged).toBe(true);
    expect(o.acCheck.maxAbsVDiffPu).toBeLessThan(1e-5);
  });

  it('prints the cost table with penalties on their own row and the AC check', () => {
    const r = zonal('dispatch');
    expect(r.code).toBe(0);
    for (const row of ['purchase', 'diesel', 'curtailment', 'carbon', 'total', 'penalties \\(soft limits\\)', 'max \\|V_LP − V_AC\\|', 'minimum voltage']) {
      expect(r.stdout).toMatch(new RegExp(row));
    }
  });

  it('piped, prints plain tables (no colour codes) and times as clock times, also on 96 quarter-hours', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zonal-dispatch-'));
    const quarter = join(dir, 'quarter.json');
    writeFileSync(quarter, JSON.stringify({ extends: 'default', time: { periods: 96, dtH: 0.25 } }));
    const r = zonal('dispatch', '--scenario', quarter);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    // The lowest voltage's time of day, not a period index such as "82h".
    expect(r.stdout).toMatch(/minimum voltage \(pu\)\s*│\s*0\.\d+ at bus \d+, \d\d:\d\d/);
  });

  it('--constraints full builds every limit row and reaches the lazy default\'s optimum; another mode is refused', () => {
    type Out = { objective: number; constraints: { mode: string; rows: number; limitRows: { polygon: number }; fullLimitRows: { polygon: number } } };
    const [lazy, full] = [zonal('dispatch', '--json'), zonal('dispatch', '--json', '--constraints', 'full')].map((r) => {
      expect([r.code, r.stderr]).toEqual([0, '']);
      return onlyJsonLine(r.stdout) as Out;
    });
    expect(lazy.constraints.mode).toBe('lazy');
    expect(full.constraints.limitRows.polygon).toBe(full.constraints.fullLimitRows.polygon);
    expect(lazy.constraints.rows).toBeLessThan(full.constraints.rows);
    expect(Math.abs(lazy.objective - full.objective) / full.objective).toBeLessThan(1e-9);
    expectCleanError(zonal('dispatch', '--constraints', 'some'), /--constraints: must be lazy or full, got "some"/);
  });

  it('--formulation injection holds only what the dispatch decides and reaches the optimum of the branch model (auto\'s choice on IEEE-33); another is refused', () => {
    type Out = { objective: number; constraints: { formulation: string; cols: number } };
    const [auto, injection] = [zonal('dispatch', '--json'), zonal('dispatch', '--json', '--formulation', 'injection')].map((r) => {
      expect([r.code, r.stderr]).toEqual([0, '']);
      return onlyJsonLine(r.stdout) as Out;
    });
    expect([auto.constraints.formulation, injection.constraints.formulation]).toEqual(['branch', 'injection']);
    expect(injection.constraints.cols).toBeLessThan(auto.constraints.cols / 4);
    expect(Math.abs(injection.objective - auto.objective) / auto.objective).toBeLessThan(1e-7);
    expectCleanError(zonal('dispatch', '--formulation', 'nodal'), /--formulation: must be auto, injection or branch, got "nodal"/);
  });

  it('--case: another feeder for the scenario (a shipped MATPOWER case), its limit rows in the AC table; a missing or unfit case is refused', () => {
    const case69 = join(ROOT, 'libs/feeder/data/matpower/case69.m');
    const r = zonal('dispatch', '--case', case69);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/feeder case69/);
    expect(r.stdout).toMatch(/successive-LP rounds \(LP solves\)\s*│\s*\d+ \(\d+\)/);
    const rows = /voltage \+ rating rows in the LP\s*│\s*(\d+) of (\d+) \(lazy\)/.exec(r.stdout);
    expect(rows, r.stdout).not.toBeNull();
    // case69 × 24 periods: 68 branches' 16 polygon sides and two voltage rows per period.
    expect(Number(rows![2])).toBe(68 * 24 * 18);
    expect(Number(rows![1])).toBeLessThan(Number(rows![2]));
    const full = zonal('dispatch', '--case', case69, '--constraints', 'full');
    expect(full.stdout).toMatch(new RegExp(`voltage \\+ rating rows in the LP\\s*│\\s*all ${rows![2]} \\(full\\)`));

    const dir = tmp();
    const small = join(dir, 'small10.m');
    writeFileSync(small, writeMatpower(makeSyntheticFeeder({ buses: 10, seed: 1, name: 'small10' })));
    expectCleanError(zonal('dispatch', '--case', small), /ders\.pv\[\d+\]\.bus: bus \d+ is not in feeder "small10"/);
    expectCleanError(zonal('dispatch', '--case', join(dir, 'missing.m')), /missing\.m/);
  });

  it('refuses a bad scenario by field path, exit 2, no stack trace', () => {
    const dir = tmp();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ extends: 'default', carbon: { growth: -1 } }));
    expectCleanError(zonal('dispatch', '--scenario', bad), /carbon\.growth: must be >= 0/);
    expectCleanError(zonal('dispatch', '--scenario', join(dir, 'missing.json')), /missing\.json: no such scenario file/);
  });
});
