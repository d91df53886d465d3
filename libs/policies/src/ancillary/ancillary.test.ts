import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng, InputError } from '@zonal/core';
import { Fleet, uncoordinatedProfile, type EvSpec } from '@zonal/ev';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { LpExporter, shutdownSolver, solveLpFile } from '@zonal/solver';
import { defaultCasePath } from '../cases';
import { zoneProblemOf } from '../testing';
import { ancillary } from './ancillary';
import type { AncillaryCase } from './case';

afterAll(() => shutdownSolver());
const path = defaultCasePath('ancillary')!;
const raw = readJsonFile(path) as Record<string, unknown>;
const shipped = parseWithSchema(ancillary.caseSchema, raw, path);

interface Row { totalYuan: number; subsidyYuan: number; purchaseYuan: number; peakRegulationCostYuan: number; energyRevenueYuan: number; capacityRevenueYuan: number }
type Rows = { cbdr: Row; dbdr: Row; both: Row; sweep: { cbdrTotalYuan: number; dbdrTotalYuan: number }[]; schedule: Record<string, { chargeKw: number[]; dischargeKw: number[] }> };

describe('ancillary on its shipped case (SPEC §7.5)', () => {
  it('CBDR+DBDR strictly beats CBDR alone and DBDR alone; each is the best of its sweep; books add up', async () => {
    const report = await ancillary.runCase(shipped, { exporter: new LpExporter(undefined), rng: createRng(shipped.seed) });
    const rows = report.rows as unknown as Rows;
    expect(rows.both.totalYuan).toBeGreaterThan(rows.cbdr.totalYuan + 1);
    expect(rows.both.totalYuan).toBeGreaterThan(rows.dbdr.totalYuan + 1);
    expect(rows.cbdr.totalYuan).toBeCloseTo(Math.max(...rows.sweep.map((s) => s.cbdrTotalYuan)), 9);
    expect(rows.dbdr.totalYuan).toBeCloseTo(Math.max(...rows.sweep.map((s) => s.dbdrTotalYuan)), 9);
    for (const r of [rows.cbdr, rows.dbdr, rows.both]) {
      expect(r.totalYuan).toBeCloseTo(r.energyRevenueYuan + r.capacityRevenueYuan - r.subsidyYuan - r.purchaseYuan - r.peakRegulationCostYuan, 9);
      expect(r.peakRegulationCostYuan).toBeGreaterThan(0); // the Monte Carlo spread makes every offer risky
    }
    for (const g of Object.values(rows.schedule)) {
      g.chargeKw.forEach((c, t) => expect(Math.min(c, g.dischargeKw[t]), `period ${t}`).toBeLessThan(1e-6));
    }
  }, 120_000);

  it('the last exported LP, re-solved by GLPK and by CBC, gives the reported objective (a smaller case)', async () => {
    const small: AncillaryCase = {
      ...shipped, monteCarloSamples: 20, fleet: { ...shipped.fleet, count: 100 },
      incentiveLevels: { fromYuanPerKwh: 0, toYuanPerKwh: 0.5, stepYuanPerKwh: 0.25 },
    };
    const dir = mkdtempSync(join(tmpdir(), 'zonal-anc-'));
    const exporter = new LpExporter(dir, 'ancillary');
    const report = await ancillary.runCase(small, { exporter, rng: createRng(small.seed) });
    expect(exporter.files).toHaveLength(3 + 3 + 9 + 1);
    for (const solver of ['glpsol', 'cbc'] as const) {
      const ext = solveLpFile(exporter.files.at(-1)!, solver);
      expect(ext.status, ext.output).toBe('optimal');
      expect(Math.abs(ext.objective! - report.objective)).toBeLessThan(1e-6 * Math.max(1, Math.abs(report.objective)));
    }
  }, 120_000);

  it('names the field of a bad case', () => {
    const bad = (patch: Record<string, unknown>) => () => parseWithSchema(ancillary.caseSchema, { ...raw, ...patch }, 'case.json');
    expect(bad({ willingness: { thresholdYuanPerKwh: 0.5, saturationYuanPerKwh: 0.1, shareAtSaturation: 0.9 } })).toThrow(/willingness\.saturationYuanPerKwh/);
    expect(bad({ dbdrWindowH: { fromH: 4, toH: 8 } })).toThrow(/dbdrWindowH.*overlaps cbdrWindowH/);
    expect(bad({ cbdrWindowH: { fromH: 6, toH: 2 } })).toThrow(/cbdrWindowH\.toH/);
    expect(bad({ cbdrWindowH: { fromH: 0.5, toH: 6 } })).toThrow(/cbdrWindowH\.fromH.*period boundary/);
    expect(bad({ incentiveLevels: { fromYuanPerKwh: 0, toYuanPerKwh: 0.5, stepYuanPerKwh: 0.3 } })).toThrow(/incentiveLevels\.stepYuanPerKwh/);
    expect(bad({ monteCarloSamples: 0 })).toThrow(/monteCarloSamples/);
    expect(bad({ tariff: (raw.tariff as unknown[]).slice(1) })).toThrow(/tariff: hour 0 is not priced/);
    expect(bad({ capacityYuanPerKwPerH: -1 })).toThrow(InputError);
    expect(bad({ capacityYuanPerKwPerH: 1.5 })).toThrow(/capacityYuanPerKwPerH.*exceeds peakRegulationCostYuanPerKwh/);
  });
});

describe('ancillary in the negotiation (respond: the zone\'s own users accept by willingness)', () => {
  const grid = { periods: 24, dtH: 1 };
  const tariff = new Float64Array(24).fill(0.35);
  const ctx = (seed = 1) => ({ exporter: new LpExporter(undefined), rng: createRng(seed) });
  // 01:00–05:00, 30 kWh on arrival, target 36 kWh, ceiling 60 kWh, 7 kW, eta 0.95: uncoordinated it
  // takes 6 kWh in its first hour; controlled it can take 28 kWh in 4 h (battery side).
  const night = (i: number, v2g = false): EvSpec => ({
    id: `n${i}`, arrivalH: 1, departureH: 5, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 0.95,
    socMin: 0.2, socMax: 1, socArrival: 0.5, socTarget: 0.6, v2g,
  });
  const zoneOf = (specs: EvSpec[], params?: unknown) =>
    zoneProblemOf(Fleet.fromSpecs(specs), grid, new Float64Array(24).fill(100), { tariffYuanPerKwh: tariff, params });

  it('below the willingness threshold nobody takes part: every EV charges uncoordinated, as the answer says', async () => {
    const zone = zoneOf(Array.from({ length: 10 }, (_, i) => night(i, i % 2 === 0)), { cbdrIncentiveYuanPerKwh: 0.1, dbdrIncentiveYuanPerKwh: 0 });
    const answer = await ancillary.respond(zone, { round: 0 }, ctx());
    expect(answer.regulation).toMatchObject({ cbdrWillingShare: 0, dbdrWillingShare: 0, users: { cbdrOnly: 0, dbdrOnly: 0, both: 0, uncoordinated: 10 }, valleyRegulationKwh: 0, peakRegulationKwh: 0 });
    const unco = uncoordinatedProfile(zone.fleet, grid).gridKw;
    answer.evKw.forEach((kw, t) => expect(kw, `period ${t}`).toBeCloseTo(unco[t], 9));
  });

  it('users who accept CBDR fill the valley when its margin beats the tariff; the others keep their fixed schedule', async () => {
    // Valley regulation earns 0.5 + 0.2 − 0.15 = 0.55 yuan/kWh against a 0.35 tariff: accepting EVs fill to their ceiling.
    const zone = zoneOf(Array.from({ length: 40 }, (_, i) => night(i)), { cbdrIncentiveYuanPerKwh: 0.15, dbdrIncentiveYuanPerKwh: 0 });
    const answer = await ancillary.respond(zone, { round: 0 }, ctx());
    const r = answer.regulation!;
    expect(r.cbdrWillingShare).toBeCloseTo(0.9 * (0.15 - 0.1) / 0.4, 12);
    expect(r.users.cbdrOnly).toBeGreaterThan(0);
    expect(r.users.cbdrOnly + r.users.uncoordinated).toBe(40);
    expect(r.users.dbdrOnly + r.users.both).toBe(0); // nobody is V2G-enrolled
    const accepted = r.users.cbdrOnly;
    // Each accepting EV takes 22 kWh beyond its 6 kWh baseline, grid side / 0.95.
    expect(r.valleyRegulationKwh).toBeCloseTo((accepted * 22) / 0.95, 6);
    expect(r.revenueYuan).toBeCloseTo(0.7 * r.valleyRegulationKwh, 9);
    expect(r.subsidyYuan).toBeCloseTo(0.15 * r.valleyRegulationKwh, 9);
    const batteryKwh = (answer.evKw.reduce((a, x) => a + x, 0) * 0.95);
    expect(batteryKwh).toBeCloseTo(accepted * 28 + (40 - accepted) * 6, 6);
    // The same users in every round and whatever the caller's generator has drawn before (a fork keyed by the zone).
    const rng = createRng(1);
    rng.next();
    const again = await ancillary.respond(zone, { round: 5 }, { exporter: new LpExporter(undefined), rng });
    expect(again.regulation!.users).toEqual(r.users);
    expect(Array.from(again.evKw)).toEqual(Array.from(answer.evKw));
  });

  it('refuses an incentive that is not one of the case\'s levels, naming the zone and the field', async () => {
    const zone = zoneOf([night(0)], { cbdrIncentiveYuanPerKwh: 0.12 });
    await expect(ancillary.respond(zone, { round: 0 }, ctx())).rejects.toThrow(/policy\.params.*cbdrIncentiveYuanPerKwh.*not one of the case's incentive levels/);
  });
});
