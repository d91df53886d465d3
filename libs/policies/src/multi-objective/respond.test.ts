import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { checkSchedules, gridLoadKw, sampleSeed002Fleet } from '@zonal/ev';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { LpExporter, shutdownSolver, solveLpFile } from '@zonal/solver';
import { defaultCasePath } from '../cases';
import { directControl } from '../direct-control/direct-control';
import type { ZoneProblem } from '../policy';
import { zoneProblemOf } from '../testing';
import { multiObjective } from './multi-objective';
import { shapeOf } from './objectives';
import { caseData } from './study';

afterAll(() => shutdownSolver());
const path = defaultCasePath('multi-objective')!;
const shipped = parseWithSchema(multiObjective.caseSchema, readJsonFile(path), path);

/** The shipped building as a negotiation zone: its car park as an aggregate envelope (SPEC §6). */
function zone(): ZoneProblem {
  const fleet = sampleSeed002Fleet({ ...shipped.fleet, count: 20 }, createRng(shipped.seed));
  const { data } = caseData(shipped, fleet);
  return zoneProblemOf(fleet, data.grid, data.baseKw, {
    zoneId: 7, tariffYuanPerKwh: data.priceYuanPerKwh, degradationYuanPerKwh: data.degradationYuanPerKwh, peakTieBreakYuanPerKw: data.peakTieBreakYuanPerKw,
  });
}

describe('multi-objective in the negotiation (respond: envelope LP, response-mode weights priced in yuan)', () => {
  it('answers within the envelope, flatter and not cheaper than direct-control; GLPK agrees with its LP', async () => {
    const z = zone();
    const exporter = new LpExporter(mkdtempSync(join(tmpdir(), 'zonal-mo-respond-')), 'mo-respond');
    const mo = await multiObjective.respond(z, { round: 0 }, { exporter, rng: createRng(1) });
    const dc = await directControl.respond(z, { round: 0 }, { exporter: new LpExporter(undefined), rng: createRng(1) });
    mo.evKw.forEach((x, t) => {
      expect(x).toBeGreaterThanOrEqual(-z.envelope.pDischargeMaxGridKw[t] - 1e-6);
      expect(x).toBeLessThanOrEqual(z.envelope.pChargeMaxGridKw[t] + 1e-6);
      expect(mo.netLoadKw[t]).toBeCloseTo(z.baseNetLoadKw[t] + x, 9);
    });
    // Direct control minimises the same F1 (energy + degradation + tie-break) alone.
    expect(mo.costYuan).toBeGreaterThanOrEqual(dc.costYuan - 1e-6);
    expect(shapeOf(mo.netLoadKw).stdKw).toBeLessThan(shapeOf(dc.netLoadKw).stdKw);
    expect(shapeOf(mo.netLoadKw).peakValleyKw).toBeLessThanOrEqual(shapeOf(dc.netLoadKw).peakValleyKw + 1e-6);
    // Nine payoff solves (once per zone), then the answer: the last file.
    expect(exporter.files).toHaveLength(10);
    const glpk = solveLpFile(exporter.files.at(-1)!, 'glpsol', 30);
    expect(glpk.status).toBe('optimal');
    expect(Math.abs(glpk.objective! - mo.objective)).toBeLessThanOrEqual(1e-7 * Math.abs(mo.objective));
    // The payoff table is kept per zone: a second round solves once.
    await multiObjective.respond(z, { round: 1 }, { exporter, rng: createRng(1) });
    expect(exporter.files).toHaveLength(11);
  });

  it('answers a consensus signal (a QP) and moves toward the reference as rho grows', async () => {
    const z = zone();
    const ctx = { exporter: new LpExporter(undefined), rng: createRng(1) };
    const ref = new Float64Array(z.grid.periods).fill(20);
    const dist = async (rho: number) => {
      const a = await multiObjective.respond(z, { round: 1, consensus: { referenceKw: ref, lambdaYuanPerKwh: Float64Array.from(z.tariffYuanPerKwh), rho } }, ctx);
      return Math.hypot(...Array.from(a.evKw, (x, t) => x - ref[t]));
    };
    const [d1, d2] = [await dist(0.01), await dist(10)];
    expect(d2).toBeLessThanOrEqual(d1 + 1e-6);
  });

  it('dispatches the zone\'s BESS beside its EVs: storage power counts in evKw, and the net load is flatter for it', async () => {
    const plain = zone();
    const b = shipped.bess;
    const withBess: ZoneProblem = {
      ...plain,
      resources: { storage: [{ id: 'bess', energyKwh: b.capacityKwh, powerKw: b.pMaxKw, eta: b.eta, socMin: b.socMin, socMax: b.socMax, socInitial: b.socStart }] },
    };
    const ctx = () => ({ exporter: new LpExporter(undefined), rng: createRng(1) });
    const mo = await multiObjective.respond(withBess, { round: 0 }, ctx());
    const alone = await multiObjective.respond(plain, { round: 0 }, ctx());
    expect(alone.storageKw).toBeUndefined();
    const evOnly = gridLoadKw(withBess.fleet, mo.schedules).totalKw;
    mo.evKw.forEach((x, t) => {
      expect(x - mo.storageKw![t], `period ${t}: evKw − storageKw is what the EVs draw`).toBeCloseTo(evOnly[t], 9);
      expect(mo.netLoadKw[t]).toBeCloseTo(withBess.baseNetLoadKw[t] + x, 9);
      expect(Math.abs(mo.storageKw![t])).toBeLessThanOrEqual(b.pMaxKw / b.eta + 1e-6);
    });
    expect(checkSchedules(withBess.fleet, withBess.grid, mo.schedules).ok).toBe(true);
    // Over a periodic day the BESS ends where it started, so it only moves energy (and loses some to eta).
    expect(mo.storageKw!.reduce((a, x) => a + x, 0)).toBeGreaterThanOrEqual(-1e-6);
    expect(mo.storageKw!.some((x) => Math.abs(x) > 1)).toBe(true);
    expect(shapeOf(mo.netLoadKw).peakValleyKw).toBeLessThan(shapeOf(alone.netLoadKw).peakValleyKw);
  });
});
