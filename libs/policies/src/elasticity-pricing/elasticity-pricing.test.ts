import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { aggregateEnvelope, checkSchedules, Fleet, type EvSpec } from '@zonal/ev';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { LpExporter, shutdownSolver, solveLpFile } from '@zonal/solver';
import { defaultCasePath } from '../cases';
import type { ZoneProblem } from '../policy';
import { elasticityPricing, planZone } from './elasticity-pricing';
import { renormalisedClassEnergy } from './response';

afterAll(() => shutdownSolver());
const path = defaultCasePath('elasticity-pricing')!;
const raw = readJsonFile(path) as Record<string, unknown>;
const shipped = parseWithSchema(elasticityPricing.caseSchema, raw, path);

describe('elasticity-pricing on its shipped case (SPEC §7.1)', () => {
  it('plans every EV feasibly, prices within bounds, keeps each user\'s energy, and tracks PZ better than uncoordinated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zonal-ep-'));
    const exporter = new LpExporter(dir, 'elasticity-pricing');
    const plan = await planZone(shipped, { exporter, rng: createRng(shipped.seed) });
    // Independent physics check of every reported schedule: limits, SOC band, departure targets, and
    // no EV charging and discharging in the same period.
    const check = checkSchedules(plan.fleet, plan.grid, plan.schedules);
    expect(check.violations).toEqual([]);
    expect(check.ok).toBe(true);
    const { users } = plan;
    expect(users.priced.length + users.direct.length + users.excluded.length).toBe(plan.fleet.size);
    plan.joint.x.forEach((x) => expect(Math.abs(x)).toBeLessThanOrEqual(0.5 + 1e-9));
    // Each price-responsive user charges exactly its renormalised class energies at the chosen x.
    for (const stage of plan.stages) {
      if (!stage.result) continue;
      const inStage = users.priced.filter((u) => stage.types.includes(u.type));
      inStage.forEach((u, k) => {
        const want = renormalisedClassEnergy(u.needKwh, u.shares, shipped.elasticityMatrix, plan.joint.x);
        const got = [0, 0, 0];
        stage.result!.pricedChargeKw[k].forEach((kw, j) => (got[u.priceClass[j]] += kw * plan.grid.dtH));
        for (let c = 0; c < 3; c++) expect(got[c]).toBeCloseTo(want[c], 5);
      });
    }
    const uncoordinated = plan.uncoordinatedNetKw.reduce((a, p, t) => a + Math.abs(p - plan.targetKw[t]), 0);
    expect(plan.final.deviationKwh).toBeLessThan(uncoordinated / 2);
    // The seed's class order is a heuristic: it can only match or trail the joint optimum.
    expect(plan.joint.objective).toBeLessThanOrEqual(plan.final.objective + 1e-6);
    // First and last exported LPs re-solved by GLPK and CBC: the pricing optimum and the reported objective.
    for (const solver of ['glpsol', 'cbc'] as const) {
      for (const [file, objective] of [[exporter.files[0], plan.joint.objective], [exporter.files.at(-1)!, plan.final.objective]] as const) {
        const ext = solveLpFile(file, solver);
        expect(ext.status, ext.output).toBe('optimal');
        expect(Math.abs(ext.objective! - objective)).toBeLessThan(1e-6 * Math.max(1, objective));
      }
    }
  }, 30_000);

  it('reports the class counts, price changes and response, with the last LP\'s objective', async () => {
    const report = await elasticityPricing.runCase(shipped, { exporter: new LpExporter(undefined), rng: createRng(shipped.seed) });
    const rows = report.rows as { classes: Record<string, number>; tracking: { scheduled: { objective: number } }; response: Record<string, { baselineKwh: number; respondedKwh: number }> };
    expect(report.objective).toBe(rows.tracking.scheduled.objective);
    expect(report.tables.map((t) => t.title)).toEqual(expect.arrayContaining([expect.stringMatching(/user classes/), expect.stringMatching(/price changes/), expect.stringMatching(/response/)]));
    const total = (k: 'baselineKwh' | 'respondedKwh') => Object.values(rows.response).reduce((a, r) => a + r[k], 0);
    expect(total('respondedKwh')).toBeCloseTo(total('baselineKwh'), 6);
  }, 30_000);

  it('names the field of a bad case', () => {
    const bad = (patch: Record<string, unknown>) => () => parseWithSchema(elasticityPricing.caseSchema, { ...raw, ...patch }, 'case.json');
    expect(bad({ elasticityMatrix: [[-0.21, 0.04], [0.02, -0.16, 0.06], [0.01, 0.01, -0.11]] })).toThrow(/elasticityMatrix\[0\]/);
    expect(bad({ relativePriceChange: { min: 0.2, max: 0.5 } })).toThrow(/relativePriceChange\.min/);
    expect(bad({ v2gDischargeWeightPerKwh: 0.05 })).toThrow(/v2gDischargeWeightPerKwh.*1\/eta - eta/);
    expect(bad({ zoneTarget: { kind: 'hourly', kw: [1, 2, 3] } })).toThrow(/zoneTarget\.kw/);
    expect(bad({ zoneTarget: { kind: 'flat' } })).toThrow(/zoneTarget/);
    const noValley = (raw.tariff as { code: string }[]).map((b) => ({ ...b, code: b.code === 'v' ? 'o' : b.code }));
    expect(bad({ tariff: noValley })).toThrow(/tariff: has no "v" block/);
    expect(bad({ tariff: (raw.tariff as unknown[]).slice(1) })).toThrow(/tariff: hour 0 is not priced/);
  });
});

describe('elasticity-pricing in the negotiation (respond)', () => {
  it('tracks the DSO target exactly when the envelope can: 14 kWh at 3.5 kW over 01–05 against a 3.5 kW target there', async () => {
    const spec: EvSpec = {
      id: 'a', arrivalH: 1, departureH: 5, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 1,
      socMin: 0.2, socMax: 0.9, socArrival: 0.5, socTarget: 0.5 + 14 / 60, v2g: false,
    };
    const grid = { periods: 24, dtH: 1 };
    const zone: ZoneProblem = {
      zoneId: 1, grid, envelope: aggregateEnvelope(Fleet.fromSpecs([spec]), grid), eta: 1, baseNetLoadKw: new Float64Array(24),
      tariffYuanPerKwh: new Float64Array(24).fill(0.5), degradationYuanPerKwh: 0.05, peakTieBreakYuanPerKw: 0.001,
    };
    const target = Float64Array.from({ length: 24 }, (_, t) => (t >= 1 && t < 5 ? 3.5 : 0));
    const answer = await elasticityPricing.respond(zone, { round: 0, targetKw: target }, { exporter: new LpExporter(undefined), rng: createRng(1) });
    answer.evKw.forEach((kw, t) => expect(kw).toBeCloseTo(target[t], 6));
    expect(answer.objective).toBeCloseTo(0.001 * 3.5, 6); // no deviation, only the peak tie-break
  });
});
