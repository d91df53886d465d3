import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadIeee33, parseMatpower } from '@zonal/feeder';
import { loadScenario, parseScenario, type Scenario } from '@zonal/scenario';
import { externalSolverAvailable, LpExporter, shutdownSolver, solveLpFile } from '@zonal/solver';
import { carbonCostYuan } from './carbon';
import { runDispatch } from './dispatch';
import { uncoordinatedEvLoad } from './evBaseline';
import { buildDispatchInputs } from './inputs';
import { buildDispatchModel } from './model';

afterAll(() => shutdownSolver());

const base = loadScenario('default');
const withChanges = (patch: (s: Scenario) => void): Scenario => {
  const s = structuredClone(base);
  patch(s);
  return parseScenario(s);
};
const tmp = () => mkdtempSync(join(tmpdir(), 'zonal-dispatch-'));

/** The exported model solved again by an independent solver: its optimum must equal ours. */
function expectExternalOptimum(file: string, objective: number) {
  for (const solver of ['glpsol', 'cbc'] as const) {
    if (!externalSolverAvailable(solver)) throw new Error(`${solver} is not installed: run tools/scripts/install-system-deps.sh`);
    const ext = solveLpFile(file, solver);
    expect(ext.status, `${solver} status on ${file}`).toBe('optimal');
    // GLPK prints 10 significant digits, CBC 8 decimals: compare at 1e-7 relative.
    expect(Math.abs(ext.objective! - objective) / Math.abs(objective), `${solver} objective vs HiGHS`).toBeLessThan(1e-7);
  }
}

describe('DSO dispatch on the default scenario (EVs left out)', async () => {
  const dir = tmp();
  const exporter = new LpExporter(dir, 'dso');
  const r = await runDispatch(buildDispatchInputs(base, loadIeee33()), { exporter });

  it('writes one LP file per successive-LP round and reports the last one\'s objective', () => {
    // A lossless first solve, then loss-corrected re-solves until |V_LP − V_AC| ≤ 1e-5 pu.
    expect(r.rounds).toBeGreaterThanOrEqual(2);
    const names = Array.from({ length: r.rounds }, (_, i) => `${String(i + 1).padStart(4, '0')}-dso.lp`);
    expect(exporter.files.map((f) => f.slice(dir.length + 1))).toEqual(names);
    expectExternalOptimum(exporter.files.at(-1)!, r.objective);
  });

  it('in the injection formulation, the full branch model it stands for, exported, is re-solved by GLPK and CBC to the same optimum', async () => {
    const injDir = tmp();
    const injExporter = new LpExporter(injDir, 'dso');
    // Ratings at 1.05 × the base case with the EVs charging uncoordinated: hundreds of rating rows bind.
    // (Not the [0.95, 1.05] band: GLPK's primal simplex fails on that model in either formulation.)
    const tight = withChanges((s) => { s.network.lineRating.baseCaseMultiple = 1.05; });
    const feeder = loadIeee33();
    const inj = await runDispatch(buildDispatchInputs(tight, feeder, uncoordinatedEvLoad(tight, feeder).busLoadKw), { exporter: injExporter, formulation: 'injection' });
    expect(injExporter.files.length).toBe(inj.rounds);
    expect(inj.costs.penaltyYuan, 'limits bind').toBeGreaterThan(0);
    expectExternalOptimum(injExporter.files.at(-1)!, inj.objective);
  });

  it('splits the objective into seed 001\'s cost rows plus penalties', () => {
    const c = r.costs;
    expect(c.totalYuan).toBeCloseTo(c.purchaseYuan + c.dieselYuan + c.curtailmentYuan + c.carbonYuan + c.demandChargeYuan, 6);
    expect(c.totalYuan + c.penaltyYuan).toBeCloseTo(r.objective, 4);
    expect(c.carbonYuan).toBeCloseTo(carbonCostYuan(r.excessT, base.carbon), 6);
  });

  it('verifies the dispatched point by AC power flow: |V_LP − V_AC| ≤ 1e-5 pu, LP losses = AC losses to 0.1%', () => {
    const ac = r.acCheck;
    expect(ac.converged).toBe(true);
    expect(ac.maxAbsVDiffPu).toBeLessThan(1e-5);
    expect(Math.abs(ac.lpLossKwh - ac.lossKwh) / ac.lossKwh).toBeLessThan(1e-3);
    expect(ac.vminPu).toBeGreaterThan(0.9);
    expect(ac.violations).toEqual([]);
  });

  it('respects no-export, DER availability and the energy balance every period', () => {
    const s = r.schedule;
    for (let t = 0; t < 24; t++) {
      expect(s.pGridKw[t]).toBeGreaterThanOrEqual(-1e-7);
      const gen = s.renewableKw.reduce((a, u) => a + u[t], 0) + s.dieselKw.reduce((a, u) => a + u[t], 0);
      // supply = demand + losses (losses are positive and small)
      const surplus = s.pGridKw[t] + gen - s.loadKw[t];
      expect(surplus).toBeGreaterThan(0);
      expect(surplus).toBeLessThan(0.1 * s.loadKw[t]);
    }
  });
});

describe('a loss-correction round sets its loss estimate in the last round\'s model', async () => {
  const feeder = loadIeee33();
  // EVs charging uncoordinated under tight ratings: rating rows bind.
  const tight = withChanges((s) => { s.network.lineRating.baseCaseMultiple = 1.05; });
  const inputs = buildDispatchInputs(tight, feeder, uncoordinatedEvLoad(tight, feeder).busLoadKw);
  const reused = await runDispatch(inputs);

  it.each(['branch', 'injection'] as const)('gives the model built anew for those losses, array for array (%s formulation, every limit row in it)', (formulation) => {
    const T = inputs.grid.periods, n = inputs.net.nBus;
    // Any earlier estimate: here one with every branch at a quarter of the final one's |I|².
    const built = buildDispatchModel(inputs, reused.lossSqPu.map((l) => l.map((x) => x / 4)), [], { formulation });
    built.setLosses(reused.lossSqPu);
    const fresh = buildDispatchModel(inputs, reused.lossSqPu, [], { formulation });
    expect(reused.lossSqPu.length).toBe(T);
    expect(reused.lossSqPu[12].length).toBe(n);
    expect(built.model.numRows, 'the full model: every voltage and rating row').toBeGreaterThan(12_000);
    expect(built.model.toArrays({ copy: true })).toEqual(fresh.model.toArrays({ copy: true }));
  });

  it.each(['branch', 'injection'] as const)('solves as the rounds rebuilt each time do (an exporter makes them rebuild): same rounds, iterations and optimum (%s formulation)', async (formulation) => {
    const reused = await runDispatch(inputs, { formulation });
    const rebuilt = await runDispatch(inputs, { formulation, exporter: new LpExporter(tmp(), 'dso') });
    expect(reused.rounds).toBeGreaterThanOrEqual(2);
    expect(reused.costs.penaltyYuan, 'limits bind').toBeGreaterThan(0);
    expect(reused.rounds).toBe(rebuilt.rounds);
    expect(reused.solveIterations).toEqual(rebuilt.solveIterations);
    expect(reused.constraintStats.rows).toBe(rebuilt.constraintStats.rows);
    expect(Math.abs(reused.objective - rebuilt.objective)).toBeLessThanOrEqual(1e-9 * Math.abs(rebuilt.objective));
  });

});

describe('the carbon ladder inside the dispatch', () => {
  it('reaches every kink with a small interval (d = 2 t) and prices the excess exactly as eq 4', async () => {
    const s = withChanges((x) => { x.carbon.intervalT = 2; });
    const dir = tmp();
    const exporter = new LpExporter(dir, 'dso');
    const r = await runDispatch(buildDispatchInputs(s, loadIeee33()), { exporter });
    // With d = 2 t the default day's excess (a few tonnes) lies past the last kink (2d).
    expect(r.excessT).toBeGreaterThan(2 * s.carbon.intervalT);
    expect(r.costs.carbonYuan).toBeCloseTo(carbonCostYuan(r.excessT, s.carbon), 6);
    expectExternalOptimum(exporter.files.at(-1)!, r.objective);
  });

  it('sells quota (negative carbon cost) when the feeder emits below its quota', async () => {
    const s = withChanges((x) => { x.grid.thermalShare = 0; });
    const r = await runDispatch(buildDispatchInputs(s, loadIeee33()));
    expect(r.excessT).toBeLessThan(0);
    expect(r.costs.carbonYuan).toBeCloseTo(s.carbon.salePriceYuanPerT * r.excessT, 6);
  });
});

describe('soft limits are reported, never infeasible', () => {
  it('prices and lists voltage violations per bus and hour under a [0.95, 1.05] band', async () => {
    const s = withChanges((x) => { x.network.voltageBandPu = [0.95, 1.05]; });
    const r = await runDispatch(buildDispatchInputs(s, loadIeee33()));
    expect(r.costs.penaltyYuan).toBeGreaterThan(0);
    const under = r.acCheck.violations.filter((v) => v.kind === 'vmin');
    expect(under.length).toBeGreaterThan(0);
    expect(under.every((v) => v.value < 0.95 && v.busId >= 2 && v.busId <= 33)).toBe(true);
  });

  it('reports line overloads when the load is far above the ratings', async () => {
    const s = withChanges((x) => { x.network.loadScale = 2; x.ders.pv = []; x.ders.wind = []; x.ders.diesel = []; });
    const r = await runDispatch(buildDispatchInputs(s, loadIeee33()));
    expect(r.acCheck.violations.some((v) => v.kind === 'rating')).toBe(true);
    expect(r.costs.penaltyYuan).toBeGreaterThan(0);
  });
});

describe('a two-bus feeder, priced by hand', () => {
  // Substation (bus 1) — 1 ohm line — bus 2 with 100 kW, 0 kvar at 10 kV, 1 MVA base.
  const feeder = parseMatpower(`function mpc = two
mpc.version = '2';
mpc.baseMVA = 1;
mpc.bus = [
 1 3 0 0 0 0 1 1 0 10 1 1.1 0.9;
 2 1 0.1 0 0 0 1 1 0 10 1 1.1 0.9;
];
mpc.gen = [ 1 0 0 10 -10 1 1 1 10 0 ];
mpc.branch = [ 1 2 0.01 0 0 0 0 0 0 0 1 -360 360 ];
`, 'two');

  it('buys load + I²R at the tariff and pays the carbon ladder on grid emissions', async () => {
    const s = withChanges((x) => {
      x.network.case = 'two';
      x.ders = { pv: [], wind: [], diesel: [], capacitors: [] };
      x.profiles.load = Array(24).fill(1);
    });
    const r = await runDispatch(buildDispatchInputs(s, feeder));
    // Exact AC flow of a resistive two-bus line: P_send = load + R·I², with V2 solving
    // V2 = 1 − R·P_load/V2 (pu, x = 0): V2 = (1 + sqrt(1 − 4 R P)) / 2.
    const rPu = 0.01, pPu = 0.1;
    const v2 = (1 + Math.sqrt(1 - 4 * rPu * pPu)) / 2;
    const pSendKw = 1000 * (pPu + rPu * (pPu / v2) ** 2);
    for (let t = 0; t < 24; t++) expect(r.schedule.pGridKw[t]).toBeCloseTo(pSendKw, 6);
    const purchase = s.tariff.blocks.reduce((a, b) => a + b.priceYuanPerKwh * (b.toH - b.fromH), 0) * pSendKw;
    expect(r.costs.purchaseYuan).toBeCloseTo(purchase, 4);
    const excessT = (24 * pSendKw / 1000) * s.grid.thermalShare * s.grid.thermalEmissionTPerMwh;
    expect(r.excessT).toBeCloseTo(excessT, 9);
    expect(r.costs.carbonYuan).toBeCloseTo(carbonCostYuan(excessT, s.carbon), 6);
    expect(r.acCheck.vminPu).toBeCloseTo(v2, 9);
  });
});

describe('bad input', () => {
  it('names a DER on a bus the feeder does not have', () => {
    const s = withChanges((x) => { x.ders.pv[0].bus = 99; });
    expect(() => buildDispatchInputs(s, loadIeee33())).toThrow(/ders\.pv\[0\]\.bus: bus 99 is not in feeder/);
  });
});

describe('the substation transformer\'s rating', async () => {
  // The feeder with no DERs draws about 4.6 MVA at 1.0x load: a 4 MVA transformer cannot carry it.
  const tight = withChanges((s) => {
    s.ders.pv = []; s.ders.wind = []; s.ders.diesel = [];
    s.network.substation = { ratingKva: 4000, polygonSides: 16, overloadPenaltyYuanPerKvaH: 10 };
  });
  const dir = tmp();
  const exporter = new LpExporter(dir, 'dso');
  const r = await runDispatch(buildDispatchInputs(tight, loadIeee33()), { exporter });
  const kva = r.acSubstationKva;

  it('reports every period the AC flow puts over the rating, with value and limit, and prices the overload', () => {
    const over = kva.map((s, t) => [s, t] as const).filter(([s]) => s > 4000 * (1 + tight.network.violationTolPu));
    expect(over.length).toBeGreaterThan(0);
    const reported = r.acCheck.violations.filter((v) => v.kind === 'substation');
    expect(reported.map((v) => v.period)).toEqual(over.map(([, t]) => t));
    reported.forEach((v) => { expect(v.limit).toBe(4000); expect(v.value).toBeCloseTo(kva[v.period], 6); expect(v.busId).toBe(1); });
    // The LP's overload slack sits on the inscribed polygon: it charges at least the AC overload, less the polygon's 1.9%.
    const overloadKvah = over.reduce((a, [s]) => a + (s - 4000), 0);
    expect(r.costs.penaltyYuan).toBeGreaterThan(10 * overloadKvah * 0.9);
    expectExternalOptimum(exporter.files.at(-1)!, r.objective);
  });

  it('a rating the load fits under changes nothing', async () => {
    const loose = withChanges((s) => { s.network.substation = { ratingKva: 1e6, polygonSides: 16, overloadPenaltyYuanPerKvaH: 10 }; delete (s as Partial<Scenario>).sources; });
    const none = withChanges((s) => { delete s.network.substation; });
    const [a, b] = await Promise.all([runDispatch(buildDispatchInputs(loose, loadIeee33())), runDispatch(buildDispatchInputs(none, loadIeee33()))]);
    expect(a.objective).toBeCloseTo(b.objective, 6);
    expect(a.acCheck.violations.filter((v) => v.kind === 'substation')).toEqual([]);
  });
});
