import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateEnvelope, checkSchedules } from '@zonal/ev';
import { LpExporter, shutdownSolver, solve, solveLpFile } from '@zonal/solver';
import { envelopeSchedule, fleetSchedulingCase, type EnvelopeSchedule } from './fleet-scheduling';
import { buildPerEvModel, scheduleCostYuan, solvePerEv, type PerEvSolve } from './per-ev';

/**
 * The three ways of the fleet-scheduling benchmark (bench.ts) on the default scenario's fleet at
 * 200 EVs, checked against each other and against independent references. No timing here.
 */
afterAll(() => shutdownSolver());

const relDiff = (x: number, ref: number): number => Math.abs(x - ref) / Math.abs(ref);

describe('fleet scheduling: per-EV LP (a), per-EV MILP (b), envelope + disaggregation (c)', () => {
  const { fleet, zone } = fleetSchedulingCase(200);
  let a: PerEvSolve;
  let c: EnvelopeSchedule;
  let cw: EnvelopeSchedule;
  beforeAll(async () => {
    a = await solvePerEv(fleet, zone, { solver: 'ipm', timeLimitS: 60 });
    c = await envelopeSchedule(fleet, zone);
    cw = await envelopeSchedule(fleet, zone, undefined, 'window');
  });

  it('(a) gives schedules the independent checker accepts, whose recomputed bill is the LP objective', () => {
    const check = checkSchedules(fleet, zone.grid, a.schedules);
    expect(check.violations).toEqual([]);
    // The per-EV LP leaves out exactly the EVs the envelope leaves out (no whole period, target unreachable).
    expect(check.leftOutEvs).toBe(aggregateEnvelope(fleet, zone.grid).excluded.length);
    expect(relDiff(scheduleCostYuan(zone, fleet, a.schedules).costYuan, a.sol.objective)).toBeLessThan(1e-8);
  });

  it('(a) re-solved by GLPK from its exported LP file gives the same optimum (an external solver)', async () => {
    const small = fleetSchedulingCase(40);
    const dir = mkdtempSync(join(tmpdir(), 'zonal-per-ev-'));
    const exporter = new LpExporter(dir, 'per-ev');
    const highs = await solve(buildPerEvModel(small.fleet, small.zone).model, { exportLp: exporter });
    const glpk = solveLpFile(exporter.files.at(-1)!, 'glpsol');
    expect(glpk.status).toBe('optimal');
    expect(relDiff(glpk.objective!, highs.objective)).toBeLessThan(1e-7);
  });

  it('(b) the charge-or-discharge MILP has the LP optimum: at positive prices the LP never does both at once', async () => {
    const small = fleetSchedulingCase(60);
    const lp = await solvePerEv(small.fleet, small.zone);
    const milp = await solvePerEv(small.fleet, small.zone, { integer: true, timeLimitS: 60, mipRelGap: 0 });
    expect(milp.binaries).toBeGreaterThan(0);
    expect(milp.sol.status).toBe('optimal');
    expect(relDiff(milp.sol.objective, lp.sol.objective)).toBeLessThan(1e-7);
    for (let k = 0; k < lp.schedules.chargeKw.length; k++) {
      expect(Math.min(lp.schedules.chargeKw[k], lp.schedules.dischargeKw[k])).toBeLessThan(1e-6);
    }
  });

  it('(c) schedules every EV feasibly, and its bill lies between the envelope LP bound and the per-EV optimum', () => {
    expect(c.check.violations).toEqual([]);
    expect(c.check.scheduledEvs + c.check.leftOutEvs).toBe(fleet.size);
    // The envelope is an outer approximation (SPEC §6): its LP can only be cheaper than the true optimum,
    // and feasible per-EV schedules can only be dearer.
    expect(c.answer.objective).toBeLessThanOrEqual(a.sol.objective + 1e-6 * Math.abs(a.sol.objective));
    expect(c.costYuan).toBeGreaterThanOrEqual(a.sol.objective - 1e-6 * Math.abs(a.sol.objective));
  });

  it('(c) over one envelope per plug-in window and V2G class (zones.envelopeGrouping "window") comes close to (a)', () => {
    expect(cw.check.violations).toEqual([]);
    expect(cw.answer.objective).toBeLessThanOrEqual(a.sol.objective + 1e-6 * Math.abs(a.sol.objective));
    expect(cw.costYuan).toBeGreaterThanOrEqual(a.sol.objective - 1e-6 * Math.abs(a.sol.objective));
    // Measured at 200 EVs: the envelope LP within 0.17% of (a), the disaggregated bill 0.56% above it
    // (the tracking disaggregation places what it cannot deliver without regard to price), against 16%
    // with one envelope.
    expect(relDiff(cw.answer.objective, a.sol.objective)).toBeLessThan(0.005);
    expect(relDiff(cw.costYuan, a.sol.objective)).toBeLessThan(0.01);
  });

  // KNOWN FAILURE, kept visible rather than loosened: measured 16.0% (bill 4256 vs 3669 yuan; 561 kWh
  // of the envelope LP's aggregate undeliverable, 1192 kWh needed beyond it). Causes, measured on this
  // fleet (SPEC §6's outer approximation): summed boxes make energy fungible across EVs, worst with
  // V2G; and a stay across the 00:00 anchor loses its evening–morning link, so even one envelope per
  // EV misses by 1.6% (0% when each is anchored where its EV is away). One envelope per window and
  // V2G class, anchored at its departure: 1.2%, the tracking disaggregation placing what it cannot
  // deliver without regard to price. Flip to `it` once closed.
  it.fails('(c) is within 0.1% of the per-EV LP optimum (a) (benchmark goal, not met: see above)', () => {
    expect(relDiff(c.costYuan, a.sol.objective)).toBeLessThan(1e-3);
  });
});
