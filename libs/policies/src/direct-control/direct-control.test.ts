import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { Fleet, sampleDefaultFleet, type EvSpec } from '@zonal/ev';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { LpExporter, ModelBuilder, shutdownSolver, solve, solveLpFile } from '@zonal/solver';
import { defaultCasePath } from '../cases';
import { atPeriods, pricesAtPeriods, touCodesAtPeriods } from '../common';
import type { ZoneProblem } from '../policy';
import { zoneProblemOf } from '../testing';
import { directControl } from './direct-control';
import { solvePerEv } from './per-ev';

afterAll(() => shutdownSolver());
const grid = { periods: 24, dtH: 1 };
const tou = Float64Array.from({ length: 24 }, (_, h) => (h < 8 ? 0.35 : (h >= 8 && h < 12) || (h >= 17 && h < 22) ? 1.12 : 0.68));

function ev(over: Partial<EvSpec>): EvSpec {
  return {
    id: 'a', arrivalH: 18, departureH: 31, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 0.95,
    socMin: 0.2, socMax: 1, socArrival: 0.5, socTarget: 0.9, v2g: true, ...over,
  };
}

/**
 * The per-EV LP written out by hand, independently of the envelope code: battery-side charge and
 * discharge per plugged period, stored energy per boundary, target at departure. For one EV the
 * aggregate envelope is exact, so the two optima must agree.
 */
async function perEvOptimum(spec: EvSpec, base: Float64Array, degradation: number): Promise<number> {
  const m = new ModelBuilder('perev');
  const arrive = Math.ceil(spec.arrivalH), leave = Math.floor(spec.departureH);
  const L = leave - arrive;
  const e = m.addVars('E', [L + 1], () => ({ lb: spec.socMin * spec.capacityKwh, ub: spec.socMax * spec.capacityKwh }));
  const c = m.addVars('C', [L], { lb: 0, ub: spec.pChargeMaxKw });
  const d = m.addVars('D', [L], { lb: 0, ub: spec.v2g ? spec.pDischargeMaxKw : 0 });
  m.addConstraint('arrive', [], [e.at(0)], [1], '=', spec.socArrival * spec.capacityKwh);
  m.addConstraint('target', [], [e.at(L)], [1], '>=', spec.socTarget * spec.capacityKwh);
  let constant = 0;
  for (let k = 0; k < L; k++) {
    const t = (arrive + k) % 24;
    m.addConstraint('soc', [k], [e.at(k + 1), e.at(k), c.at(k), d.at(k)], [1, -1, -1, 1], '=', 0);
    m.setObjectiveCoef(c.at(k), tou[t] / spec.eta);
    m.setObjectiveCoef(d.at(k), -tou[t] * spec.eta + degradation);
  }
  for (let t = 0; t < 24; t++) constant += tou[t] * base[t];
  m.addObjectiveConstant(constant);
  return (await solve(m)).objective;
}

function zoneOf(specs: EvSpec[], base: Float64Array, tieBreak = 0): ZoneProblem {
  return zoneProblemOf(Fleet.fromSpecs(specs), grid, base, { tariffYuanPerKwh: tou, peakTieBreakYuanPerKw: tieBreak });
}

describe('direct-control', () => {
  const ctx = () => ({ exporter: new LpExporter(undefined), rng: createRng(1) });

  it('matches the hand-written per-EV LP for single EVs parked within the day (the envelope is exact there)', async () => {
    const base = new Float64Array(24).fill(10);
    const cases = [ev({ arrivalH: 8, departureH: 18, socArrival: 0.3 }), ev({ arrivalH: 1, departureH: 23, socArrival: 0.5 }), ev({ arrivalH: 9, departureH: 17, v2g: false })];
    for (const spec of cases) {
      const answer = await directControl.respond(zoneOf([spec], base), { round: 0 }, ctx());
      expect(answer.objective).toBeCloseTo(await perEvOptimum(spec, base, 0.05), 6);
      expect(answer.costYuan).toBeCloseTo(answer.objective, 6);
    }
  });

  it('is never dearer than the per-EV LP for EVs parked over midnight (an outer approximation, SPEC §6)', async () => {
    // Referenced at 00:00, a stay across midnight splits into an evening head and a morning tail whose
    // link (the energy held at midnight) the per-boundary box does not keep: the envelope is looser.
    const base = new Float64Array(24).fill(10);
    for (const spec of [ev({}), ev({ v2g: false }), ev({ arrivalH: 20, departureH: 30, socArrival: 0.85 })]) {
      const zone = zoneOf([spec], base);
      // One envelope anchored at 00:00 (the zone's groups anchor each EV where it is not plugged in, which is exact).
      const oneEnvelope = { ...zone, envelopeGroups: [{ envelope: zone.envelope, shiftPeriods: 0, evs: Int32Array.of(0) }] };
      const answer = await directControl.respond(oneEnvelope, { round: 0 }, ctx());
      expect(answer.objective).toBeLessThanOrEqual(await perEvOptimum(spec, base, 0.05) + 1e-6);
    }
  });

  it('runs its shipped case; the exported LP re-solved by GLPK gives the reported objective', async () => {
    const path = defaultCasePath('direct-control')!;
    const c = parseWithSchema(directControl.caseSchema, readJsonFile(path), path);
    const dir = mkdtempSync(join(tmpdir(), 'zonal-dc-'));
    const exporter = new LpExporter(dir, 'direct-control');
    const report = await directControl.runCase(c, { exporter, rng: createRng(c.seed) });
    const glpk = solveLpFile(exporter.files.at(-1)!, 'glpsol');
    expect(glpk.status).toBe('optimal');
    expect(Math.abs(glpk.objective! - report.objective) / report.objective).toBeLessThan(1e-7);
    const rows = report.rows as {
      uncoordinated: { costYuan: number }; directControl: { costYuan: number };
      evs: { envelopes: number; provenFeasible: boolean; trackedExactly: boolean };
    };
    expect(rows.directControl.costYuan).toBeLessThan(rows.uncoordinated.costYuan);
    // Its schedule reaches every EV (per-group disaggregation, each EV's schedule proven feasible)...
    expect(rows.evs).toMatchObject({ provenFeasible: true, trackedExactly: true });
    expect(rows.evs.envelopes).toBeGreaterThan(1);
    // ...and its optimum is the per-EV LP's on the same fleet (an independent model, interior point).
    const fleet = sampleDefaultFleet(c.fleet, createRng(c.seed));
    const perEv = await solvePerEv(fleet, {
      zoneId: 1, grid, eta: c.fleet.eta, tariffYuanPerKwh: pricesAtPeriods(c.tariff, grid), tariffCodes: touCodesAtPeriods(c.tariff, grid),
      baseNetLoadKw: atPeriods(c.baseLoadKw.profile, grid, c.baseLoadKw.peakKw),
      degradationYuanPerKwh: c.degradationYuanPerKwh, peakTieBreakYuanPerKw: c.peakTieBreakYuanPerKw,
    }, { solver: 'ipm', timeLimitS: 60 });
    expect(Math.abs(report.objective - perEv.sol.objective) / perEv.sol.objective).toBeLessThan(1e-7);
  }, 120_000);

  it('answers a consensus signal with an optimum that pulls toward the reference as rho grows', async () => {
    const base = new Float64Array(24).fill(10);
    const zone = zoneOf([ev({}), ev({ id: 'b', arrivalH: 7, departureH: 19, socArrival: 0.4 })], base);
    const ref = new Float64Array(24).fill(1);
    const ctx = { exporter: new LpExporter(undefined), rng: createRng(1) };
    const dist = async (rho: number) => {
      const a = await directControl.respond(zone, { round: 1, consensus: { referenceKw: ref, lambdaYuanPerKwh: new Float64Array(24), rho } }, ctx);
      return Math.hypot(...Array.from(a.evKw, (x, t) => x - ref[t]));
    };
    const [d1, d2, d3] = [await dist(0.01), await dist(1), await dist(100)];
    expect(d2).toBeLessThanOrEqual(d1 + 1e-6);
    expect(d3).toBeLessThanOrEqual(d2 + 1e-6);
  });
});
