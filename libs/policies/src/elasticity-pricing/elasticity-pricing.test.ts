import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { aggregateEnvelope, anchoredEnvelopeGroups, checkSchedules, gridLoadKw, sampleDefaultFleet, uncoordinatedProfile } from '@zonal/ev';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { LpExporter, shutdownSolver, solveLpFile } from '@zonal/solver';
import { defaultCasePath } from '../cases';
import { atPeriods, pricesAtPeriods } from '../common';
import type { ZoneProblem } from '../policy';
import { elasticityPricing, planZone } from './elasticity-pricing';
import { renormalisedClassEnergy } from './response';
import { touCodes } from './users';

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
  }, 120_000);

  it('reports the class counts, price changes and response, with the last LP\'s objective', async () => {
    const report = await elasticityPricing.runCase(shipped, { exporter: new LpExporter(undefined), rng: createRng(shipped.seed) });
    const rows = report.rows as { classes: Record<string, number>; tracking: { scheduled: { objective: number } }; response: Record<string, { baselineKwh: number; respondedKwh: number }> };
    expect(report.objective).toBe(rows.tracking.scheduled.objective);
    expect(report.tables.map((t) => t.title)).toEqual(expect.arrayContaining([expect.stringMatching(/user classes/), expect.stringMatching(/price changes/), expect.stringMatching(/response/)]));
    const total = (k: 'baselineKwh' | 'respondedKwh') => Object.values(rows.response).reduce((a, r) => a + r[k], 0);
    expect(total('respondedKwh')).toBeCloseTo(total('baselineKwh'), 6);
  }, 120_000);

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

describe('elasticity-pricing in the negotiation (respond, SPEC §7.1)', () => {
  const grid = { periods: 24, dtH: 1 };
  const tariffCodes = touCodes(shipped.tariff, grid);
  const tariff = pricesAtPeriods(shipped.tariff, grid);
  const fleet = sampleDefaultFleet({ ...shipped.fleet, count: 200 }, createRng(20251124));
  // The shipped zone's base load (743 kW peak for 600 EVs) scaled to 200 EVs, on SPEC's loadProfile.
  const baseNetLoadKw = atPeriods(shipped.baseLoadKw.profile, grid, (shipped.baseLoadKw.peakKw * 200) / 600);
  const zone: ZoneProblem = {
    zoneId: 3, grid, fleet, tariffCodes, tariffYuanPerKwh: tariff, baseNetLoadKw, eta: shipped.fleet.eta,
    envelope: aggregateEnvelope(fleet, grid), envelopeGroups: anchoredEnvelopeGroups(fleet, grid, 'window-energy'),
    degradationYuanPerKwh: 0.05, peakTieBreakYuanPerKw: 0.001,
  };
  const ctx = () => ({ exporter: new LpExporter(undefined), rng: createRng(1) });
  const unco = uncoordinatedProfile(fleet, grid);
  const uncoNetKw = baseNetLoadKw.map((p, t) => p + unco.gridKw[t]);
  const excessKwh = (netKw: ArrayLike<number>, pzKw: ArrayLike<number>) => Array.from(netKw).reduce((a, p, t) => a + Math.max(0, p - pzKw[t]) * grid.dtH, 0);
  const energyYuan = (netKw: ArrayLike<number>) => Array.from(netKw).reduce((a, p, t) => a + tariff[t] * p * grid.dtH, 0);
  const peakKw = (netKw: ArrayLike<number>) => Math.max(...Array.from(netKw));
  const highPz = new Float64Array(24).fill(1e5);
  // PZ binding: the uncoordinated net load flattened to its daily mean (the shipped case's declared target).
  const flatPz = new Float64Array(24).fill(uncoNetKw.reduce((a, p) => a + p, 0) / grid.periods);

  it('keeps the books: every EV typed, V2G or left out; price changes within ±50%; every schedule checked and summed to evKw', async () => {
    const a = await elasticityPricing.respond(zone, { round: 1, targetKw: flatPz, excessPenaltyYuanPerKwh: 1.68 }, ctx());
    const p = a.pricing!;
    const typed = p.usersByType['1'] + p.usersByType['2'] + p.usersByType['3'] + p.usersByType['4'];
    expect(typed + p.v2gDirect + a.delivery.evsLeftOut, 'typed + V2G + left out = the fleet').toBe(fleet.size);
    expect(p.v2gDirect).toBeGreaterThan(0);
    for (const k of ['p', 'o', 'v'] as const) expect(Math.abs(p.priceChangePct[k])).toBeLessThanOrEqual(50 + 1e-9);
    const total = (e: { p: number; o: number; v: number }) => e.p + e.o + e.v;
    expect(total(p.classEnergyKwh.after), 'the response only shifts energy between classes').toBeCloseTo(total(p.classEnergyKwh.before), 6);
    // Independent physics check of every EV's schedule, and the answer's aggregate is their grid-side sum.
    const check = checkSchedules(fleet, grid, a.schedules);
    expect(check.violations).toEqual([]);
    expect(check.scheduledEvs + check.leftOutEvs).toBe(fleet.size);
    const drawn = gridLoadKw(fleet, a.schedules).totalKw;
    a.evKw.forEach((kw, t) => expect(Math.abs(kw - drawn[t])).toBeLessThan(1e-9));
    a.netLoadKw.forEach((kw, t) => expect(Math.abs(kw - baseNetLoadKw[t] - a.evKw[t])).toBeLessThan(1e-9));
  });

  it('under a PZ far above the load pays no excess and minimises its energy cost: w_cg then changes nothing', async () => {
    const a = await elasticityPricing.respond(zone, { round: 1, targetKw: highPz, excessPenaltyYuanPerKwh: 1.68 }, ctx());
    expect(excessKwh(a.netLoadKw, highPz)).toBe(0);
    // The objective is the zone's bill (energy at the tariff + degradation) + the price-change weight + the peak tie-break.
    const x = a.pricing!.priceChangePct;
    const priceTerm = (0.01 * (Math.abs(x.p) + Math.abs(x.o) + Math.abs(x.v))) / 100;
    expect(a.costYuan).toBeCloseTo(energyYuan(a.netLoadKw) + a.degradationYuan, 6);
    expect(Math.abs(a.objective - (a.costYuan + priceTerm + 0.001 * peakKw(a.netLoadKw)))).toBeLessThan(1e-6 * a.objective);
    const free = await elasticityPricing.respond(zone, { round: 1, targetKw: highPz, excessPenaltyYuanPerKwh: 0 }, ctx());
    expect(free.objective).toBeCloseTo(a.objective, 6);
    // Cheaper than charging on arrival; the cost gaps (0.77 yuan/kWh peak to valley) dwarf the 0.01 weight:
    // the zone raises its peak price and lowers its valley price as far as it may.
    expect(a.costYuan).toBeLessThan(energyYuan(uncoNetKw));
    expect(x.p).toBeCloseTo(50, 6);
    expect(x.v).toBeCloseTo(-50, 6);
  });

  it('under a binding PZ cuts the excess below uncoordinated charging, paying more energy cost than without it', async () => {
    const bound = await elasticityPricing.respond(zone, { round: 1, targetKw: flatPz, excessPenaltyYuanPerKwh: 1.68 }, ctx());
    const free = await elasticityPricing.respond(zone, { round: 1, targetKw: highPz, excessPenaltyYuanPerKwh: 1.68 }, ctx());
    const uncoExcess = excessKwh(uncoNetKw, flatPz);
    expect(uncoExcess).toBeGreaterThan(0);
    expect(excessKwh(bound.netLoadKw, flatPz)).toBeLessThan(uncoExcess);
    expect(excessKwh(bound.netLoadKw, flatPz)).toBeLessThanOrEqual(excessKwh(free.netLoadKw, flatPz) + 1e-6);
    expect(bound.costYuan).toBeGreaterThanOrEqual(free.costYuan - 1e-6);
  });

  it('writes every stage LP; GLPK re-solves the last (the answer\'s objective) to 1e-6', async () => {
    const exporter = new LpExporter(mkdtempSync(join(tmpdir(), 'zonal-ep-respond-')), 'ep-respond');
    const a = await elasticityPricing.respond(zone, { round: 1, targetKw: flatPz, excessPenaltyYuanPerKwh: 1.68 }, { exporter, rng: createRng(1) });
    expect(exporter.files.length).toBeGreaterThanOrEqual(3);
    const glpk = solveLpFile(exporter.files.at(-1)!, 'glpsol', 30);
    expect(glpk.status, glpk.output).toBe('optimal');
    expect(Math.abs(glpk.objective! - a.objective)).toBeLessThanOrEqual(1e-6 * Math.abs(a.objective));
  }, 120_000);

  it('answers round 0 (no signal) and a consensus signal, pulled toward the reference as rho grows', async () => {
    const first = await elasticityPricing.respond(zone, { round: 0 }, ctx());
    expect(checkSchedules(fleet, grid, first.schedules).ok).toBe(true);
    const ref = new Float64Array(24).fill(unco.gridKw.reduce((a, p) => a + p, 0) / 24);
    const dist = async (rho: number) => {
      const a = await elasticityPricing.respond(zone, { round: 2, consensus: { referenceKw: ref, lambdaYuanPerKwh: tariff, rho } }, ctx());
      expect(checkSchedules(fleet, grid, a.schedules).violations).toEqual([]);
      expect(a.costYuan).toBeCloseTo(a.degradationYuan, 9); // λ prices the EV power inside the consensus terms
      return Math.hypot(...Array.from(a.evKw, (x, t) => x - ref[t]));
    };
    const [d1, d2, d3] = [await dist(0.001), await dist(0.1), await dist(10)];
    expect(d2).toBeLessThanOrEqual(d1 + 1e-6);
    expect(d3).toBeLessThanOrEqual(d2 + 1e-6);
    expect(d3).toBeLessThan(d1);
  });

  it('takes its parameters from the zone file, the shipped case\'s by default, and refuses a bad one by name', async () => {
    const schema = elasticityPricing.paramsSchema!;
    expect(schema.parse({})).toEqual({
      elasticityMatrix: shipped.elasticityMatrix, relativePriceChange: shipped.relativePriceChange,
      priceChangeWeight: shipped.priceChangeWeight, excessPenaltyYuanPerKwh: 1.68,
    });
    expect(() => parseWithSchema(schema, { relativePriceChange: { min: 0.2 } }, 'zone.json')).toThrow(/relativePriceChange\.min/);
    expect(() => parseWithSchema(schema, { excessPenalty: 2 }, 'zone.json')).toThrow(/excessPenalty/);
    // No price change allowed: x = 0 and the class energies stay at their baseline.
    const fixed = await elasticityPricing.respond({ ...zone, params: { relativePriceChange: { min: 0, max: 0 } } }, { round: 1, targetKw: highPz, excessPenaltyYuanPerKwh: 1.68 }, ctx());
    expect(fixed.pricing!.priceChangePct).toEqual({ p: 0, o: 0, v: 0 });
    for (const k of ['p', 'o', 'v'] as const) expect(fixed.pricing!.classEnergyKwh.after[k]).toBeCloseTo(fixed.pricing!.classEnergyKwh.before[k], 9);
  });
});
