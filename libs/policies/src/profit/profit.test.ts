import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng, InputError } from '@zonal/core';
import { checkSchedules, Fleet, type EvSpec } from '@zonal/ev';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { LpExporter, shutdownSolver, solveLpFile } from '@zonal/solver';
import { defaultCasePath } from '../cases';
import { directControl } from '../direct-control/direct-control';
import { zoneProblemOf } from '../testing';
import { profit, solveProfit, type ProfitCase } from './profit';
import { dpProfit, reachAveraged, reachDetailed } from './testing';

afterAll(() => shutdownSolver());

const shippedPath = defaultCasePath('profit')!;
const shipped = (): ProfitCase => parseWithSchema(profit.caseSchema, readJsonFile(shippedPath), shippedPath);
const quietCtx = () => ({ exporter: new LpExporter(undefined), rng: createRng(1) });

interface ModelRows {
  model: string;
  profitYuan: number; boughtYuan: number; soldYuan: number; feeYuan: number; peakKw: number; objective: number;
  schedule: { chargeKwPerEv: number[]; dischargeKwPerEv: number[]; energyKwhPerEv: number[] };
}
interface Rows { averaged: ModelRows; detailed: ModelRows; ratio: number; increasePct: number }

/**
 * Replays a reported schedule against the case alone: each step's energy from the battery-side
 * powers, every step inside the simulated physics' reach, no charging and discharging at once,
 * arrival, floor and target; then the profit from prices and the fee.
 */
function replay(c: ProfitCase, r: ModelRows, reach: (c: ProfitCase, e: number) => [number, number]): number {
  const { chargeKwPerEv: ch, dischargeKwPerEv: dis, energyKwhPerEv: e } = r.schedule, dt = c.time.dtH, f = c.fleet;
  expect(e[0]).toBeCloseTo(f.arrivalKwh, 9);
  expect(e[c.time.periods]).toBeGreaterThanOrEqual(f.targetKwh - 1e-6);
  let cash = 0;
  for (let t = 0; t < c.time.periods; t++) {
    expect(Math.min(ch[t], dis[t]), `${r.model}: charging and discharging at once in period ${t}`).toBeLessThan(1e-9);
    expect(e[t + 1], `${r.model}: energy at boundary ${t + 1}`).toBeCloseTo(e[t] + (ch[t] - dis[t]) * dt, 6);
    const [lo, hi] = reach(c, e[t]);
    expect(e[t + 1], `${r.model}: step ${t} from ${e[t]} kWh`).toBeGreaterThanOrEqual(lo - 1e-6);
    expect(e[t + 1], `${r.model}: step ${t} from ${e[t]} kWh`).toBeLessThanOrEqual(hi + 1e-6);
    cash += c.pricesYuanPerKwh[t] * (dis[t] * f.eta - ch[t] / f.eta) * dt;
  }
  const profitYuan = f.count * (cash + c.chargingFeeYuanPerKwh * (e[c.time.periods] - f.arrivalKwh));
  expect(r.profitYuan).toBeCloseTo(profitYuan, 6);
  expect(r.objective).toBeCloseTo(r.profitYuan - c.peakTieBreakYuanPerKw * r.peakKw, 6);
  return profitYuan;
}

describe('profit', () => {
  it('runs its shipped case: detailed strictly beats averaged; GLPK and CBC re-solve both exported LPs', async () => {
    const c = shipped();
    const dir = mkdtempSync(join(tmpdir(), 'zonal-profit-'));
    const exporter = new LpExporter(dir, 'profit');
    const report = await profit.runCase(c, { exporter, rng: createRng(c.seed) });
    const rows = report.rows as unknown as Rows;
    expect(rows.detailed.model).toBe('detailed-lp');
    replay(c, rows.averaged, reachAveraged);
    replay(c, rows.detailed, reachDetailed);
    expect(rows.detailed.profitYuan).toBeGreaterThan(rows.averaged.profitYuan + 1);
    expect(rows.ratio).toBeCloseTo(rows.detailed.profitYuan / rows.averaged.profitYuan, 12);

    expect(exporter.files).toHaveLength(2);
    const expected = [rows.averaged.objective, rows.detailed.objective];
    exporter.files.forEach((file, i) => {
      for (const solver of ['glpsol', 'cbc'] as const) {
        const r = solveLpFile(file, solver, 40);
        expect(r.status, `${solver} on ${file}`).toBe('optimal');
        expect(Math.abs(r.objective! - expected[i]) / expected[i], `${solver} on ${file}`).toBeLessThan(1e-7);
      }
    });
    expect(report.objective).toBe(rows.detailed.objective);
  });

  it('ties with the flat TOU blocks of SPEC §3 (SPEC §7.3: the blocks leave the faster power nothing to win)', async () => {
    const tou = Array.from({ length: 24 }, (_, t) => {
      const h = (20 + t * 0.5) % 24;
      return h < 8 ? 0.35 : h >= 22 ? 0.68 : 1.12;
    });
    const c = { ...shipped(), pricesYuanPerKwh: tou };
    const a = await solveProfit(c, 'averaged', quietCtx()), d = await solveProfit(c, 'detailed-lp', quietCtx());
    expect(d.profitYuan).toBeCloseTo(a.profitYuan, 6);
  });

  it('is not always above averaged: a top-up in the last half hour rewards 100 kW above 100 kWh', async () => {
    // Cheap all night, 0.6 yuan/kWh at 07:00: the averaged EV sells 50 kWh from full and refills
    // 50 kWh to 120 kWh at 07:30; the detailed EV tops up at only 40 kW above 100 kWh. So SPEC's
    // "detailed >= averaged always" cannot hold for every price series (report, SPEC §7.3).
    const prices = Array.from({ length: 24 }, (_, t) => (t === 22 ? 0.6 : 0.1));
    const c = { ...shipped(), pricesYuanPerKwh: prices, peakTieBreakYuanPerKw: 0 };
    const a = await solveProfit(c, 'averaged', quietCtx()), d = await solveProfit(c, 'detailed-lp', quietCtx());
    expect(a.profitYuan).toBeGreaterThan(d.profitYuan + 100);
    // Not a modelling artefact: the simulated physics gives the same two optima.
    expect(dpProfit(c, reachDetailed, 0.25)).toBeCloseTo(d.profitYuan, 6);
    expect(dpProfit(c, reachAveraged, 0.25)).toBeCloseTo(a.profitYuan, 6);
  });

  it('uses the region-binary MILP for steps below 0.5 h, and says so; GLPK re-solves it', async () => {
    const base = shipped();
    const c: ProfitCase = { ...base, time: { startH: 20, periods: 48, dtH: 0.25 }, pricesYuanPerKwh: base.pricesYuanPerKwh.flatMap((p) => [p, p]) };
    const dir = mkdtempSync(join(tmpdir(), 'zonal-profit-q-'));
    const exporter = new LpExporter(dir, 'profit');
    const report = await profit.runCase(c, { exporter, rng: createRng(1) });
    const rows = report.rows as unknown as Rows;
    expect(rows.detailed.model).toBe('detailed-milp');
    expect(report.notes.join(' ')).toMatch(/region-binary MILP/);
    replay(c, rows.detailed, reachDetailed);
    replay(c, rows.averaged, reachAveraged);
    const glpk = solveLpFile(exporter.files.at(-1)!, 'glpsol', 40);
    expect(glpk.status).toBe('optimal');
    expect(Math.abs(glpk.objective! - report.objective) / report.objective).toBeLessThan(1e-7);
  });

  it('refuses bad cases by field name', async () => {
    const raw = readJsonFile(shippedPath) as Record<string, unknown>;
    const fleet = raw.fleet as Record<string, unknown>;
    const parse = (x: unknown) => parseWithSchema(profit.caseSchema, x, 'case');
    expect(() => parse({ ...raw, pricesYuanPerKwh: [1, 2, 3] })).toThrow(/pricesYuanPerKwh: has 3 prices for 24 periods/);
    expect(() => parse({ ...raw, pricesYuanPerKwh: (raw.pricesYuanPerKwh as number[]).map((p, t) => (t === 3 ? -0.1 : p)) })).toThrow(/pricesYuanPerKwh\[3\]/);
    expect(() => parse({ ...raw, fleet: { ...fleet, arrivalKwh: 10 } })).toThrow(/fleet\.arrivalKwh/);
    expect(() => parse({ ...raw, fleet: { ...fleet, targetKwh: 130 } })).toThrow(/fleet\.targetKwh/);
    expect(() => parse({ ...raw, detailedPower: { thresholdKwh: 100, pBelowKw: 40, pAboveKw: 160 } })).toThrow(/detailedPower\.pAboveKw/);
    expect(() => parse({ ...raw, time: { startH: 20, periods: 30, dtH: 1 } })).toThrow(/time\.periods/);
    // 24 kWh to 120 kWh in one half hour: at most 101 kWh (SPEC §6).
    const short = { ...shipped(), time: { startH: 7.5, periods: 1, dtH: 0.5 }, pricesYuanPerKwh: [1], fleet: { ...shipped().fleet, arrivalKwh: 24, targetKwh: 120 } };
    await expect(profit.runCase(short, quietCtx())).rejects.toThrow(InputError);
    await expect(profit.runCase(short, quietCtx())).rejects.toThrow(/^fleet\.targetKwh: .*at most 74\.00 kWh/);
  });

  it('answers the DSO like direct-control: its margin is energy sold − bought − degradation at the signal prices', async () => {
    const grid = { periods: 24, dtH: 1 };
    const tou = Float64Array.from({ length: 24 }, (_, h) => (h < 8 ? 0.35 : (h >= 8 && h < 12) || (h >= 17 && h < 22) ? 1.12 : 0.68));
    const specs: EvSpec[] = Array.from({ length: 4 }, (_, i) => ({
      id: `ev${i}`, arrivalH: 18 + i, departureH: 31, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 0.95,
      socMin: 0.2, socMax: 1, socArrival: 0.5, socTarget: 0.9, v2g: true,
    }));
    const zone = zoneProblemOf(Fleet.fromSpecs(specs), grid, new Float64Array(24).fill(30), { zoneId: 2, tariffYuanPerKwh: tou, params: { userFeeYuanPerKwh: 0 } });
    const signal = { round: 2, priceYuanPerKwh: tou.map((p, t) => p + 0.01 * (t % 7)) };
    const a = await profit.respond(zone, signal, quietCtx()), b = await directControl.respond(zone, signal, quietCtx());
    expect(a.objective).toBeCloseTo(b.objective, 6);
    expect(a.costYuan).toBeCloseTo(a.objective - 0.001 * Math.max(...a.netLoadKw), 4);
  });
});

describe('profit in the negotiation: EVs with the SOC-dependent curve (seed 000 §4, SPEC §6)', () => {
  // Seed 000's EV: 120 kWh, 160 kW below 100 kWh and 40 kW above (both ways, battery side), 24 kWh
  // floor, on grid 20:00–08:00; here on a periodic day of 48 half hours, the case's prices by night.
  const day = { periods: 48, dtH: 0.5 };
  const night = shipped().pricesYuanPerKwh; // from 20:00, 24 half hours
  const prices = Float64Array.from({ length: 48 }, (_, t) => (t >= 40 ? night[t - 40] : t < 16 ? night[t + 8] : 1.0));
  const seed000 = (i: number, over: Partial<EvSpec> = {}): EvSpec => ({
    id: `s${i}`, arrivalH: 20 + 0.5 * (i % 3), departureH: 32, capacityKwh: 120, pChargeMaxKw: 160, pDischargeMaxKw: 160, eta: 0.95,
    socMin: 0.2, socMax: 1, socArrival: 0.5, socTarget: 100 / 120, v2g: true, socDependent: { breakpointKwh: 100, pAboveKw: 40 }, ...over,
  });
  const fleetOf = (specs: EvSpec[]) => Fleet.fromSpecs(specs);
  /** The same EVs with a constant charger (no curve): what direct-control's envelopes assume. */
  const withoutCurve = (specs: EvSpec[]) => Fleet.fromSpecs(specs.map(({ socDependent: _, ...ev }) => ev));
  const zoneOf = (fleet: Fleet, params?: unknown, grid = day, tariff = prices) =>
    zoneProblemOf(fleet, grid, new Float64Array(grid.periods).fill(50), { tariffYuanPerKwh: tariff, params });
  const curveViolations = (fleet: Fleet, s: Parameters<typeof checkSchedules>[2]) =>
    checkSchedules(fleet, day, s).violations.filter((v) => /SOC-dependent/.test(v.message));

  it('schedules them within their curve and answers differently from direct-control (which assumes a constant charger)', async () => {
    const specs = Array.from({ length: 4 }, (_, i) => seed000(i));
    const fleet = fleetOf(specs);
    const a = await profit.respond(zoneOf(fleet), { round: 0 }, quietCtx()); // the shipped fee: 1.0 yuan/kWh
    expect(checkSchedules(fleet, day, a.schedules).violations).toEqual([]);
    expect(a.delivery.evsScheduled).toBe(4);
    const dc = await directControl.respond(zoneOf(withoutCurve(specs)), { round: 0 }, quietCtx());
    expect(Math.max(...a.evKw.map((x, t) => Math.abs(x - dc.evKw[t])))).toBeGreaterThan(1);
  });

  it('with no fee and a target above the breakpoint the curve binds: dearer than the constant charger, and feasible where that is not', async () => {
    // 115 kWh by 08:00: from 60 kWh one half hour reaches only 110 kWh under the curve (40 kWh at 160 kW, then 40 kW).
    const specs = Array.from({ length: 3 }, (_, i) => seed000(i, { socTarget: 115 / 120 }));
    const fleet = fleetOf(specs);
    const a = await profit.respond(zoneOf(fleet, { userFeeYuanPerKwh: 0 }), { round: 0 }, quietCtx());
    const dc = await directControl.respond(zoneOf(withoutCurve(specs)), { round: 0 }, quietCtx());
    expect(checkSchedules(fleet, day, a.schedules).violations).toEqual([]);
    expect(curveViolations(fleet, dc.schedules).length).toBeGreaterThan(0);
    expect(a.objective).toBeGreaterThan(dc.objective + 1e-3);
    expect(a.costYuan).toBeGreaterThan(dc.costYuan + 1e-3);
  });

  it('without a curve and without a fee it is direct-control: the same cost and objective', async () => {
    const fleet = withoutCurve(Array.from({ length: 4 }, (_, i) => seed000(i)));
    const zone = zoneOf(fleet, { userFeeYuanPerKwh: 0 });
    const a = await profit.respond(zone, { round: 0 }, quietCtx()), b = await directControl.respond(zone, { round: 0 }, quietCtx());
    expect(a.costYuan).toBeCloseTo(b.costYuan, 6);
    expect(a.objective).toBeCloseTo(b.objective, 6);
  });

  it('on the shipped case\'s own horizon its answer is the detailed model\'s optimum (EV by EV, not one representative EV)', async () => {
    const c = shipped();
    const grid = { periods: c.time.periods, dtH: c.time.dtH, startH: c.time.startH };
    const f = c.fleet;
    const specs = Array.from({ length: f.count }, (_, i) => seed000(i, {
      arrivalH: c.time.startH, departureH: c.time.startH + c.time.periods * c.time.dtH, capacityKwh: f.capacityKwh, eta: f.eta,
      socMin: f.minKwh / f.capacityKwh, socArrival: f.arrivalKwh / f.capacityKwh, socTarget: f.targetKwh / f.capacityKwh,
    }));
    const zone = zoneProblemOf(fleetOf(specs), grid, new Float64Array(grid.periods), {
      tariffYuanPerKwh: Float64Array.from(c.pricesYuanPerKwh), degradationYuanPerKwh: 0, peakTieBreakYuanPerKw: c.peakTieBreakYuanPerKw,
    });
    const answer = await profit.respond(zone, { round: 0 }, quietCtx());
    const detailed = await solveProfit(c, 'detailed-lp', quietCtx());
    // The case maximises profit − tie-break; the zone minimises its negative.
    expect(answer.objective).toBeCloseTo(-detailed.objective, 4);
    expect(answer.delivery.evsScheduled).toBe(f.count);
  });

  it('refuses a grid of steps shorter than the LP form is exact for, naming the zone and the EV', async () => {
    const quarter = { periods: 96, dtH: 0.25 };
    const zone = zoneOf(fleetOf([seed000(0)]), undefined, quarter, new Float64Array(96).fill(0.5));
    await expect(profit.respond(zone, { round: 0 }, quietCtx())).rejects.toThrow(InputError);
    await expect(profit.respond(zone, { round: 0 }, quietCtx())).rejects.toThrow(/^zone 1: EV s0: .*exact LP only for steps of at least 0\.5 h/);
  });
});
