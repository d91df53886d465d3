import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectCleanError, onlyJsonLine, ROOT, zonalWithEnv } from '../testing/cli';

const tmp = () => mkdtempSync(join(tmpdir(), 'zonal-sim-rolling-'));
// No NATS server answers and none can be started: the in-process transport.
const NOWHERE = { ZONAL_NATS_URL: 'nats://127.0.0.1:1', ZONAL_NATS_SERVER_BIN: '/nonexistent' };

describe('zonal sim --horizon rolling', () => {
  it('runs the day-ahead plan, the rolling day, the plan held and hindsight; reports the three costs in order, by its scenario\'s negotiation.horizon', () => {
    const dir = tmp(), out = join(dir, 'out');
    const scenario = join(dir, 'rolling.json');
    writeFileSync(scenario, JSON.stringify({ extends: 'small-test', negotiation: { horizon: { mode: 'rolling', everyPeriods: 6, earlyDepartureShare: 0.05 } } }));
    // The whole rolling day of small-test takes longer than the CLI helper's spawn timeout on a loaded machine.
    const r = spawnSync(process.execPath, ['apps/cli/bin/zonal.mjs', 'sim', '--scenario', scenario, '--out', out, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 590_000, env: { ...process.env, ...NOWHERE } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/horizon rolling: the day re-negotiated every 6 period\(s\).*transport in-process/);
    type Rolling = { realisedCostYuan: number; dayAheadHeldCostYuan: number; hindsightCostYuan: number; transport: string; ordered: boolean; windows: Array<{ startPeriod: number }>; everyPeriods: number };
    const report = onlyJsonLine(r.stdout) as { horizon: string; rolling: Rolling };
    const g = report.rolling;
    expect(report.horizon).toBe('rolling');
    expect(g.transport).toBe('in-process');
    expect(g.everyPeriods).toBe(6);
    expect(g.windows.map((w) => w.startPeriod)).toEqual([0, 6, 12, 18]);
    expect(g.hindsightCostYuan).toBeLessThanOrEqual(g.realisedCostYuan);
    expect(g.realisedCostYuan).toBeLessThanOrEqual(g.dayAheadHeldCostYuan);
    expect(g.ordered).toBe(true);
    const written = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as typeof report;
    expect(written.rolling.realisedCostYuan).toBe(g.realisedCostYuan);
    expect(readFileSync(join(out, 'windows.csv'), 'utf8').split('\n')[0]).toMatch(/^startPeriod,periods,replanned/);
    expect(readFileSync(join(out, 'shortfalls.csv'), 'utf8').split('\n')[0]).toMatch(/^run,zone,ev,bus,leftEarly/);
  }, 600_000);

  it('refuses a horizon it does not know, and the parties\' files (no fleet law to draw the realised day from), exit 2', () => {
    expectCleanError(zonalWithEnv(NOWHERE, 'sim', '--scenario', 'small-test', '--horizon', 'sideways', '--out', tmp()), /--horizon: must be day-ahead or rolling, got "sideways"/);
    const dir = tmp();
    expect(zonalWithEnv({}, 'split', '--scenario', 'small-test', '--out', dir).code).toBe(0);
    expectCleanError(zonalWithEnv(NOWHERE, 'sim', '--config', dir, '--horizon', 'rolling', '--out', tmp()), /--config: the rolling horizon draws the realised day from the scenario's fleet law/);
  });
});
