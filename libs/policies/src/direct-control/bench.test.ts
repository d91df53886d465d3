import { afterAll, describe, expect, it } from 'vitest';
import { shutdownSolver } from '@zonal/solver';
import { benchFleetScale, benchFleetScheduling } from './bench';

afterAll(() => shutdownSolver());

describe('benchFleetScheduling (numbers only; speed is judged by npm run bench, not here)', () => {
  it('reports (a), (b), (c) and (c1) per size, with gaps to (a) and every scheduled EV proven feasible', async () => {
    const rows = await benchFleetScheduling({ sizes: [80, 120], perEvLpSizes: [80], milp: [{ evs: 80, timeLimitS: 30 }], oneEnvelopeSizes: [80] });
    expect(rows.map((r) => [r.evs, r.method.slice(0, 4)])).toEqual([
      [80, '(a) '], [80, '(b) '], [80, '(c) '], [80, '(c1)'],
      [120, '(a) '], [120, '(b) '], [120, '(c) '], [120, '(c1)'],
    ]);
    const [a, b, c, c1] = rows;
    expect(b.gapPct!).toBeCloseTo(0, 6); // the MILP's optimum is the LP's
    expect(c.gapPct!).toBeGreaterThanOrEqual(-1e-6);
    expect(c.gapPct!).toBeLessThan(0.1);
    expect(c1.gapPct!).toBeGreaterThan(c.gapPct!);
    for (const r of [a, b, c, c1]) expect(r.feasible).toMatch(/^(\d+) \/ 80 \(\d+ left out\)$/);
    const feasibleOf = (r: typeof a) => r.feasible!.match(/^(\d+) \/ 80 \((\d+) left out\)$/)!.slice(1).map(Number);
    expect(feasibleOf(c)[0] + feasibleOf(c)[1]).toBe(80);
    // Skipped rows say why; (c) still runs and is feasible at every size.
    expect(rows[4].ms).toBe('skipped');
    expect(rows[4].note).toMatch(/not run/);
    expect(rows[7].ms).toBe('skipped');
    expect(rows[6].feasible).toMatch(/^(\d+) \/ 120/);
    expect(rows[6].gapPct).toBeUndefined();
  }, 120_000);
});

describe('benchFleetScale (numbers only)', () => {
  it('times every step of a zone answer per size, with memory, µs per EV against the first size and the goal at the largest', async () => {
    const rows = await benchFleetScale({ sizes: [300, 600], repeats: 1, goalMs: 60_000 });
    expect(rows.map((r) => r.evs)).toEqual([300, 600]);
    for (const r of rows) {
      const steps = [r.envelopeMs, r.groupsMs, r.lpBuildMs, r.lpSolveMs, r.disaggregationMs, r.checkMs, r.sumsMs];
      for (const ms of steps) expect(ms).toBeGreaterThanOrEqual(0);
      expect(steps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(r.totalMs + 1e-9); // the answer's last copies are in the total only
      expect(r.feasible).toMatch(new RegExp(`^\\d+ / ${r.evs} \\(\\d+ left out\\)$`));
      expect(r.trackingKwh).toBeLessThan(1e-6);
      expect(r.peakRssMb).toBeGreaterThan(0);
    }
    expect(rows[0].perEvVsFirst).toBe(1);
    expect(rows[1].perEvVsFirst).toBeCloseTo(rows[1].usPerEv / rows[0].usPerEv, 12);
    expect(rows.map((r) => r.goal)).toEqual(['', 'under 60 s: met']);
  }, 120_000);
});
