import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng, InputError } from '@zonal/core';
import { aggregateEnvelope, Fleet, type EvSpec } from '@zonal/ev';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { LpExporter, shutdownSolver, solveLpFile } from '@zonal/solver';
import { defaultCasePath } from '../cases';
import type { ZoneProblem } from '../policy';
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
  }, 30_000);

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
  }, 30_000);

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

describe('ancillary in the negotiation (respond)', () => {
  it('fills a charge-only EV parked in the CBDR window to its ceiling: valley regulation pays more than the tariff', async () => {
    // 01:00–05:00, 30 kWh on arrival, ceiling 60 kWh, 7 kW, eta 0.95: 28 kWh in 4 h (battery side).
    const spec: EvSpec = {
      id: 'a', arrivalH: 1, departureH: 5, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 0.95,
      socMin: 0.2, socMax: 1, socArrival: 0.5, socTarget: 0.6, v2g: false,
    };
    const grid = { periods: 24, dtH: 1 };
    const tariff = new Float64Array(24).fill(0.35);
    const zone: ZoneProblem = {
      zoneId: 1, grid, envelope: aggregateEnvelope(Fleet.fromSpecs([spec]), grid), eta: 0.95, baseNetLoadKw: new Float64Array(24).fill(100),
      tariffYuanPerKwh: tariff, degradationYuanPerKwh: 0.05, peakTieBreakYuanPerKw: 0.001,
    };
    const answer = await ancillary.respond(zone, { round: 0 }, { exporter: new LpExporter(undefined), rng: createRng(1) });
    const batteryKwh = answer.evKw.reduce((a, x) => a + x, 0) * 0.95;
    expect(batteryKwh).toBeCloseTo(28, 6);
    // cost: 100 kW x 24 h x 0.35 + the EVs' draw; revenue (0.5 + 0.2) per grid kWh, tie-break on the 100 + 7/0.95 kW peak
    const gridKwh = 28 / 0.95;
    expect(answer.objective).toBeCloseTo(100 * 24 * 0.35 + gridKwh * (0.35 - 0.7) + 0.001 * (100 + 7 / 0.95), 6);
  });
});
