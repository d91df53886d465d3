import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { computeSensitivity, sensitivityMarkdown } from './sensitivity';
import { expectCleanError, zonal } from '../testing/cli';

afterAll(() => shutdownSolver());

describe('zonal sensitivity: two wear values around small-test\'s', async () => {
  const grid = { v2gShare: [], capacityYuanPerKvaMonth: [], wearYuanPerKwh: [0.05, 2.0] };
  const result = await computeSensitivity(loadScenario('small-test'), grid);

  it('adds the scenario\'s own value (1.25 yuan/kWh) to the list, marked, in ascending order', () => {
    expect(result.rows.map((r) => [r.parameter, r.value, r.declared])).toEqual([
      ['wear', 0.05, false], ['wear', 1.25, true], ['wear', 2.0, false],
    ]);
    expect([result.scenario, result.seed]).toEqual(['small-test', 20251123]);
  });

  it('coordination never costs more than charging on arrival, penalties included', () => {
    for (const r of result.rows) {
      expect(r.costAfterYuan + r.penaltyAfterYuan, `${r.label}: centralised optimum against before coordination`)
        .toBeLessThanOrEqual(r.costBeforeYuan + r.penaltyBeforeYuan + 1e-6);
      // Wear changes only what coordinated EVs do: charging on arrival never discharges.
      expect(r.costBeforeYuan).toBeCloseTo(result.rows[0].costBeforeYuan, 6);
    }
  });

  it('dearer wear never buys more V2G discharge (measured 2492, 59, 0 kWh)', () => {
    const kwh = result.rows.map((r) => r.v2gDischargeAfterKwh!);
    for (let k = 1; k < kwh.length; k++) {
      expect(kwh[k], `${result.rows[k].label} against ${result.rows[k - 1].label}`).toBeLessThanOrEqual(kwh[k - 1] + 1e-6);
    }
    expect(kwh[0], 'seed 002\'s 0.05 yuan/kWh makes V2G cycle').toBeGreaterThan(kwh.at(-1)!);
  });

  it('writes a Markdown page with one table row per variant', () => {
    const md = sensitivityMarkdown(result);
    expect(md).toMatch(/^# /);
    expect(md).toContain('npx zonal sensitivity --out docs/sensitivity.md');
    expect(md).toContain('`small-test` (seed 20251123)');
    const tableLines = md.split('\n').filter((l) => l.startsWith('|'));
    expect(tableLines[0]).toMatch(/centralised coordinated optimum/);
    expect(tableLines[1]).toMatch(/^\| --- \| ---: /);
    expect(tableLines.slice(2)).toHaveLength(result.rows.length);
    expect(tableLines.slice(2).every((l) => l.split(/(?<!\\)\|/).length === tableLines[0].split(/(?<!\\)\|/).length)).toBe(true);
  });
});

describe('zonal sensitivity (as a process): bad input', () => {
  it('an unknown scenario is one line naming it, exit 2', () => {
    expectCleanError(zonal('sensitivity', '--scenario', 'no-such-scenario'), /no-such-scenario.*no such scenario file or built-in scenario/);
  });

  it('--out must be a Markdown file', () => {
    expectCleanError(zonal('sensitivity', '--scenario', 'small-test', '--out', 'tmp/x.txt'), /--out.*Markdown/);
  });
});
