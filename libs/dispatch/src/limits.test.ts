import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFeeder, loadIeee33, loadMatpowerFile, runPowerFlow, type Feeder } from '@zonal/feeder';
import { loadScenario, parseScenario, type Scenario } from '@zonal/scenario';
import { LpExporter, shutdownSolver, solve } from '@zonal/solver';
import { runDispatch, type DispatchResult } from './dispatch';
import { uncoordinatedEvLoad } from './evBaseline';
import { buildDispatchInputs, type DispatchInputs } from './inputs';
import { LimitWorkingSet } from './limits';
import { buildDispatchModel, type FlexibleLoad } from './model';

afterAll(() => shutdownSolver());

const base = loadScenario('default');
const variant = (patch: (s: Scenario) => void): Scenario => {
  const s = structuredClone(base);
  patch(s);
  return parseScenario(s);
};
/** Ratings at 1.05 × the base-case flow: with the EVs charging uncoordinated, hundreds of polygon rows bind. */
const tightRatings = variant((s) => { s.network.lineRating.baseCaseMultiple = 1.05; });
/** A [0.95, 1.05] band: the far buses sit below it, so the voltage rows bind. */
const tightBand = variant((s) => { s.network.voltageBandPu = [0.95, 1.05]; });
const matpower = (name: string) => loadMatpowerFile(fileURLToPath(new URL(`../../feeder/data/matpower/${name}`, import.meta.url)));

/** The day's EVs charging uncoordinated on the feeder: the load `zonal dispatch` takes. */
const inputsWithEvs = (s: Scenario, feeder: Feeder): DispatchInputs => buildDispatchInputs(s, feeder, uncoordinatedEvLoad(s, feeder).busLoadKw);

const violationList = (r: DispatchResult) => r.acCheck.violations.map((v) => `${v.kind} bus ${v.busId} period ${v.period}`).sort();

/**
 * The lazy dispatch against the full model. Each LP: at the same loss estimate, the same optimum
 * (1e-9 relative; limits.ts says why). The successive LP as a whole: the same rounds, the same AC
 * violations, the objective within 1e-7. Not 1e-9 there: where an LP has many optimal points (the
 * lossless first round does not care which PV unit it curtails), the lazy and the full model may
 * stop at different ones, whose AC losses start the next round differently — the full model solved
 * by interior point instead of simplex differs as much (case69: 3.5e-8).
 */
async function expectSameAsFull(inp: () => DispatchInputs, opts: { flexible?: FlexibleLoad[] } = {}) {
  const full = await runDispatch(inp(), { ...opts, constraints: 'full' });
  const lazy = await runDispatch(inp(), { ...opts, constraints: 'lazy' });
  expect(Math.abs(lazy.objective - full.objective) / Math.abs(full.objective), 'relative objective gap, lazy vs full dispatch').toBeLessThan(1e-7);
  expect(violationList(lazy), 'AC violations of the lazy point vs the full one').toEqual(violationList(full));
  expect(lazy.rounds, 'loss-correction rounds').toBe(full.rounds);
  expect(Math.abs(lazy.acCheck.lossKwh - full.acCheck.lossKwh), 'AC losses (kWh), another optimal point').toBeLessThan(1e-4 * full.acCheck.lossKwh);
  expectSameDispatch(lazy, full);
  expectEveryViolationModelled(lazy);
  const s = lazy.constraintStats;
  expect(s.mode).toBe('lazy');
  expect(full.constraintStats.limitRows).toEqual(full.constraintStats.fullLimitRows);
  expect(s.limitRows.polygon + s.limitRows.voltage, 'limit rows the lazy model carried').toBeLessThan(s.fullLimitRows.polygon + s.fullLimitRows.voltage);

  const oneLp = { ...opts, maxLossRounds: 0, initialLossSqPu: full.lossSqPu };
  const [fullLp, lazyLp] = [await runDispatch(inp(), { ...oneLp, constraints: 'full' }), await runDispatch(inp(), { ...oneLp, constraints: 'lazy' })];
  expect(Math.abs(lazyLp.objective - fullLp.objective) / Math.abs(fullLp.objective), 'relative objective gap, lazy vs full LP at the same loss estimate').toBeLessThan(1e-9);
  return { full, lazy };
}

const maxAbsDiff = (a: readonly number[], b: readonly number[]) => a.reduce((m, v, t) => Math.max(m, Math.abs(v - b[t])), 0);
const perPeriodSum = (units: readonly number[][], T: number) => Array.from({ length: T }, (_, t) => units.reduce((a, u) => a + u[t], 0));

/**
 * The dispatch itself: purchase (P and Q), diesel and the PV and wind output per period, each cost
 * row. Where the shipped feeders have one optimal point, bit for bit; case69's first (lossless) LP
 * has several — which of two PV units it curtails costs the same — so there the units' split may
 * differ, and with it the losses the next round starts from, by a few watts per period.
 */
function expectSameDispatch(lazy: DispatchResult, full: DispatchResult): void {
  const a = lazy.schedule, b = full.schedule, T = b.pGridKw.length;
  expect(maxAbsDiff(a.pGridKw, b.pGridKw), 'grid purchase per period (kW)').toBeLessThan(0.05);
  expect(maxAbsDiff(a.qGridKvar, b.qGridKvar), 'grid reactive power per period (kvar)').toBeLessThan(0.05);
  expect(maxAbsDiff(perPeriodSum(a.dieselKw, T), perPeriodSum(b.dieselKw, T)), 'diesel per period (kW)').toBeLessThan(0.05);
  expect(maxAbsDiff(perPeriodSum(a.renewableKw, T), perPeriodSum(b.renewableKw, T)), 'PV + wind output per period (kW)').toBeLessThan(0.1);
  expect(maxAbsDiff(a.evKw, b.evKw), 'EV power per period (kW)').toBeLessThan(0.05);
  for (const key of Object.keys(full.costs) as Array<keyof DispatchResult['costs']>) {
    expect(Math.abs(lazy.costs[key] - full.costs[key]), `cost row ${key} (yuan)`).toBeLessThan(1e-6 * Math.abs(full.objective));
  }
}

/**
 * Every limit the AC check finds broken is a row of the final LP — priced there, never left out:
 * the generated row set converged. Substation overloads are always in the model.
 */
function expectEveryViolationModelled(r: DispatchResult): void {
  const { limits } = r;
  const missing = r.acCheck.violations.filter((v) => {
    if (v.kind === 'substation') return false;
    const j = limits.busPosition(v.busId);
    if (v.kind !== 'rating') return !limits.has(limits.voltageKey(j, v.period, v.kind === 'vmax'));
    return !Array.from({ length: limits.sides }, (_, k) => limits.polygonKey(j, v.period, k)).some((key) => limits.has(key));
  });
  expect(missing.map((v) => `${v.kind} bus ${v.busId} period ${v.period}`), 'AC violations whose rows the LP left out').toEqual([]);
}

describe('lazy limit rows (constraint generation) reach the full model\'s optimum', () => {
  it('IEEE-33, the default scenario with its EVs uncoordinated', async () => {
    const { lazy } = await expectSameAsFull(() => inputsWithEvs(base, loadIeee33()));
    // 16 violations before coordination (README): the rows near them are in, a few dozen of 13 824.
    expect(lazy.acCheck.violations.length).toBeGreaterThan(0);
    expect(lazy.constraintStats.limitRows.polygon).toBeGreaterThan(0);
    expect(lazy.constraintStats.limitRows.polygon).toBeLessThan(200);
  });

  it('exports, per round, the full model the lazy one stands for (GLPK re-solves it in dispatch.test.ts)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zonal-lazy-'));
    const exporter = new LpExporter(dir, 'dso');
    const r = await runDispatch(inputsWithEvs(base, loadIeee33()), { exporter });
    expect(exporter.files.length).toBe(r.rounds);
    const text = readFileSync(exporter.files.at(-1)!, 'utf8');
    const rowsOf = (family: string) => text.match(new RegExp(`^ ${family}\\(`, 'gm'))?.length ?? 0;
    expect(rowsOf('srate')).toBe(r.constraintStats.fullLimitRows.polygon);
    expect(rowsOf('vmin') + rowsOf('vmax')).toBe(r.constraintStats.fullLimitRows.voltage);
  });

  it('IEEE-33 with tight ratings: hundreds of polygon rows bind', async () => {
    const { full, lazy } = await expectSameAsFull(() => inputsWithEvs(tightRatings, loadIeee33()));
    expect(full.costs.penaltyYuan, 'overload penalties: the rows bind').toBeGreaterThan(1000);
    expect(lazy.constraintStats.limitRows.polygon).toBeGreaterThan(300);
    expect(violationList(lazy).some((v) => v.startsWith('rating'))).toBe(true);
  });

  it('IEEE-33 under a [0.95, 1.05] band: the voltage rows bind', async () => {
    const { lazy } = await expectSameAsFull(() => inputsWithEvs(tightBand, loadIeee33()));
    expect(lazy.constraintStats.limitRows.voltage).toBeGreaterThan(0);
    expect(violationList(lazy).some((v) => v.startsWith('vmin'))).toBe(true);
  });

  it('IEEE-33 with a planner\'s tightened ratings and narrowed band (the negotiation\'s ratingScale)', async () => {
    await expectSameAsFull(() => {
      const inp = inputsWithEvs(base, loadIeee33());
      const T = inp.grid.periods, n = inp.net.nBus;
      const branch = Array.from({ length: T }, () => new Float64Array(n).fill(1));
      const voltageMarginPu = Array.from({ length: T }, () => new Float64Array(n));
      // The lateral 19–22 at midday to 80%, the far end of the main feeder's band narrowed by 10 mpu.
      for (let t = 11; t < 16; t++) for (let j = 18; j < 22; j++) branch[t][j] = 0.8;
      for (let t = 17; t < 22; t++) voltageMarginPu[t][17] = 0.01;
      return { ...inp, ratingScale: { branch, substation: new Float64Array(T).fill(0.95), voltageMarginPu } };
    });
  });

  it('IEEE-33 with a flexible load the dispatch places (a zone\'s EVs over its buses)', async () => {
    const inp = () => buildDispatchInputs(tightRatings, loadIeee33());
    const T = 24, share = (s: number) => new Float64Array(T).fill(s);
    const zone: FlexibleLoad = { name: 'zone', lbKw: new Float64Array(T).fill(-100), ubKw: new Float64Array(T).fill(900), busShares: [{ busPos: 21, share: share(0.5) }, { busPos: 17, share: share(0.5) }] };
    await expectSameAsFull(inp, { flexible: [zone] });
  });

  for (const name of ['case69.m', 'case85.m', 'case118zh.m', 'case136ma.m', 'case141.m']) {
    it(`${name}, default scenario and tight ratings`, async () => {
      const feeder = matpower(name);
      await expectSameAsFull(() => inputsWithEvs(base, feeder));
      await expectSameAsFull(() => inputsWithEvs(tightRatings, feeder));
    });
  }
});

describe('the generated row set converges', () => {
  it('the AC check after the last solve: every limit an AC point breaks is a row it names (IEEE-33 at 2.5× load)', () => {
    // The rows `runDispatch` takes in when the AC flow of its last point breaks a limit it left out
    // (a safety net: the LP's margins and the seeding from the expected flows leave it nothing to do
    // on the shipped cases). Here on an AC point far past every limit, against the AC check's rules.
    const s = variant((x) => { x.network.loadScale = 2.5; x.network.voltageBandPu = [0.95, 1.05]; x.network.lineRating.baseCaseMultiple = 1.05; });
    const inp = buildDispatchInputs(s, loadIeee33());
    const flows = inp.loadPKw.map((p, t) => runPowerFlow(inp.net, p, inp.loadQKvar[t]));
    const built = buildDispatchModel(inp, null, [], { constraints: 'lazy' });
    const { limits, model } = built;
    const broken = new Set(limits.brokenAc(flows));
    let violations = 0;
    flows.forEach((pf, t) => {
      for (let j = 0; j < inp.net.nBus; j++) {
        if (j === inp.net.slackPos) continue;
        const sKva = Math.hypot(pf.branchPKw[j], pf.branchQKvar[j]);
        const sides = Array.from({ length: limits.sides }, (_, k) => limits.polygonKey(j, t, k));
        if (sKva > inp.sMaxKva[j]) { violations++; expect(sides.some((k) => broken.has(k)), `rating of branch ${j} at ${t}`).toBe(true); }
        // Within the polygon's inscribed circle no side is broken.
        if (sKva < inp.sMaxKva[j] * Math.cos(Math.PI / limits.sides)) expect(sides.some((k) => broken.has(k))).toBe(false);
        expect(broken.has(limits.voltageKey(j, t, false)), `vmin of bus ${j} at ${t}`).toBe(pf.vmPu[j] <= 0.95);
        if (pf.vmPu[j] < 0.95) violations++;
      }
    });
    expect(violations, 'the point breaks limits').toBeGreaterThan(100);
    // Rows already in a model are not named again.
    const first = [...broken][0];
    limits.add(model, built, first);
    expect(limits.brokenAc(flows)).not.toContain(first);
  });

  it('rows only grow, and a second pass over the rows found adds none (IEEE-33, tight ratings and band)', async () => {
    const s = variant((x) => { x.network.lineRating.baseCaseMultiple = 1.05; x.network.voltageBandPu = [0.95, 1.05]; });
    const inp = inputsWithEvs(s, loadIeee33());
    const first = await runDispatch(inp);
    expectEveryViolationModelled(first);
    const held = inp.workingSet!.size;
    const again = await runDispatch(inp);
    expect(again.constraintStats.generationSolves).toBe(0);
    expect(inp.workingSet!.size).toBe(held);
    expectEveryViolationModelled(again);
  });
});

describe('the working set', () => {
  it('carries the rows found to the next dispatch of the same inputs (and of copies), which then solves once a round', async () => {
    const inp = inputsWithEvs(tightRatings, loadFeeder('ieee33'));
    const first = await runDispatch(inp);
    expect(first.constraintStats.limitRows.polygon).toBeGreaterThan(0);
    const held = inp.workingSet!.size;
    expect(held).toBeGreaterThan(0);
    // A planner's copy of the inputs (as the negotiation makes) shares the set.
    const again = await runDispatch({ ...inp });
    expect(again.constraintStats.generationSolves).toBe(0);
    expect(again.constraintStats.solves).toBe(again.rounds);
    expect(again.objective).toBeCloseTo(first.objective, 6);
    expect(inp.workingSet!.size).toBe(held);
  });

  it('an earlier dispatch\'s basis starts another dispatch of the network with its limit rows first, so it fits', async () => {
    const first = await runDispatch(inputsWithEvs(tightRatings, loadIeee33()));
    expect(first.basis?.limitKeys?.length).toBe(first.constraintStats.limitRows.polygon + first.constraintStats.limitRows.voltage);
    // Fresh inputs (an empty working set): the rows come from the basis alone.
    const warm = await runDispatch(inputsWithEvs(tightRatings, loadIeee33()), { warmStart: first.basis });
    expect(Math.abs(warm.objective - first.objective) / first.objective).toBeLessThan(1e-9);
    expect(warm.solveIterations.reduce((a, b) => a + b), 'simplex iterations from the basis against cold').toBeLessThan(first.solveIterations.reduce((a, b) => a + b) / 2);
  });

  it('a working set saved and restored holds the same rows in the same order, and the copy grows apart from the original', async () => {
    const inp = inputsWithEvs(tightRatings, loadIeee33());
    const first = await runDispatch(inp);
    const saved = inp.workingSet!.saved();
    expect(saved.rows.length).toBeGreaterThan(10);
    const copy = LimitWorkingSet.from(JSON.parse(JSON.stringify(saved)));
    expect(copy.rows()).toEqual(inp.workingSet!.rows());
    // A dispatch from the copy is the original's second dispatch: the same rows first, the same optimum.
    const again = await runDispatch(inp, { workingSet: copy });
    expect(again.objective).toBeCloseTo(first.objective, 6);
    const unused = Array.from({ length: 3 }, (_, k) => -1 - k);
    unused.forEach((key) => copy.add(key));
    expect(inp.workingSet!.rows()).toEqual(saved.rows);
    copy.restore(saved);
    expect(copy.rows()).toEqual(saved.rows);
  });

  it('a fresh working set, given explicitly, starts from nothing and gives the same optimum', async () => {
    const inp = inputsWithEvs(tightRatings, loadIeee33());
    const warm = await runDispatch(inp);
    const cold = await runDispatch(inp, { workingSet: new LimitWorkingSet() });
    expect(Math.abs(cold.objective - warm.objective) / warm.objective).toBeLessThan(1e-9);
  });
});

/**
 * The injection formulation (network-terms.ts) against the branch one. Each LP at the same loss
 * estimate: the same optimum to 1e-9 (it is the branch LP's projection onto the decided columns).
 * The successive LP as a whole: the same rounds and AC violations, the objective within 5e-7: another
 * optimal point of a degenerate LP starts the next round's losses differently, as lazy vs full do
 * (case69, whose lossless LP does not care which PV unit it curtails: 1.05e-7 measured).
 */
async function expectSameAsBranch(inp: () => DispatchInputs, opts: { flexible?: FlexibleLoad[] } = {}) {
  const branch = await runDispatch(inp(), { ...opts, formulation: 'branch' });
  const injection = await runDispatch(inp(), { ...opts, formulation: 'injection' });
  expect(Math.abs(injection.objective - branch.objective) / Math.abs(branch.objective), 'relative objective gap, injection vs branch').toBeLessThan(5e-7);
  expect(violationList(injection), 'AC violations').toEqual(violationList(branch));
  expect(injection.rounds, 'loss-correction rounds').toBe(branch.rounds);
  expect(Math.abs(injection.acCheck.maxAbsVDiffPu - branch.acCheck.maxAbsVDiffPu), 'LP vs AC voltage gap (pu)').toBeLessThan(1e-6);
  expectSameDispatch(injection, branch);
  expectEveryViolationModelled(injection);
  expect(injection.constraintStats.cols, 'columns: the decided ones and the slacks of the rows in').toBeLessThan(branch.constraintStats.cols / 4);

  const oneLp = { ...opts, maxLossRounds: 0, initialLossSqPu: branch.lossSqPu };
  for (const constraints of ['lazy', 'full'] as const) {
    const [b, i] = [await runDispatch(inp(), { ...oneLp, constraints }), await runDispatch(inp(), { ...oneLp, constraints, formulation: 'injection' })];
    expect(Math.abs(i.objective - b.objective) / Math.abs(b.objective), `relative objective gap, one ${constraints} LP at the same loss estimate`).toBeLessThan(1e-9);
  }
  return { branch, injection };
}

describe('the injection formulation reaches the branch model\'s optimum', () => {
  it('flows and voltages: the injection terms at the branch optimum\'s decided values are its flow and voltage columns (1e-9)', async () => {
    const inp = inputsWithEvs(tightRatings, loadIeee33());
    const T = inp.grid.periods;
    const zone: FlexibleLoad = { name: 'zone', lbKw: new Float64Array(T).fill(-100), ubKw: new Float64Array(T).fill(900), busShares: [{ busPos: 21, share: new Float64Array(T).fill(0.25) }, { busPos: 17, share: new Float64Array(T).fill(0.75) }] };
    const first = await runDispatch(inp, { flexible: [zone], maxLossRounds: 0 });
    const loss = first.lossSqPu;
    const b = buildDispatchModel(inp, loss, [zone], { constraints: 'full' });
    const sol = await solve(b.model);
    const i = buildDispatchModel(inp, loss, [zone], { constraints: 'lazy', formulation: 'injection' });
    // The decided columns' values carried over block by block.
    const x = new Float64Array(i.model.numCols);
    const blocks = (v: typeof b.vars) => [v.pGrid, v.qGrid, v.renewable, v.diesel, ...v.flexKw];
    blocks(i.vars).forEach((blk, k) => { const from = blocks(b.vars)[k]; for (let e = 0; e < blk.size; e++) x[blk.start + e] = sol.colValues[from.start + e]; });
    const want = b.network.point(sol.colValues), got = i.network.point(x);
    let worst = { p: 0, q: 0, w: 0 };
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < inp.net.nBus; j++) {
        worst = { p: Math.max(worst.p, Math.abs(got.pKw[t][j] - want.pKw[t][j])), q: Math.max(worst.q, Math.abs(got.qKvar[t][j] - want.qKvar[t][j])), w: Math.max(worst.w, Math.abs(got.wSq[t][j] - want.wSq[t][j])) };
        // The expressions the limit rows are written with evaluate to the same flows.
        const terms = i.network.w(j, t);
        expect(terms.cols.reduce((a, c, e) => a + terms.coefs[e] * x[c], terms.constant)).toBeCloseTo(want.wSq[t][j], 9);
      }
    }
    expect(worst.p, 'kW').toBeLessThan(1e-9 * 5000);
    expect(worst.q, 'kvar').toBeLessThan(1e-9 * 5000);
    expect(worst.w, 'pu²').toBeLessThan(1e-9);
  });

  it('IEEE-33, the default scenario with its EVs uncoordinated', async () => {
    await expectSameAsBranch(() => inputsWithEvs(base, loadIeee33()));
  });

  it('IEEE-33 with tight ratings, a [0.95, 1.05] band, and a flexible load the dispatch places', async () => {
    await expectSameAsBranch(() => inputsWithEvs(tightRatings, loadIeee33()));
    await expectSameAsBranch(() => inputsWithEvs(tightBand, loadIeee33()));
    const T = 24, share = (s: number) => new Float64Array(T).fill(s);
    const zone: FlexibleLoad = { name: 'zone', lbKw: new Float64Array(T).fill(-100), ubKw: new Float64Array(T).fill(900), busShares: [{ busPos: 21, share: share(0.5) }, { busPos: 17, share: share(0.5) }] };
    await expectSameAsBranch(() => buildDispatchInputs(tightRatings, loadIeee33()), { flexible: [zone] });
  });

  it('the prices of demand per bus (the pbal duals) are the branch model\'s, where a voltage row and rating rows bind', async () => {
    const T = 24, share = (s: number) => new Float64Array(T).fill(s);
    const zone: FlexibleLoad = { name: 'zone', lbKw: new Float64Array(T).fill(0), ubKw: new Float64Array(T).fill(900), busShares: [{ busPos: 21, share: share(0.5) }, { busPos: 17, share: share(0.5) }] };
    const s = variant((x) => { x.network.lineRating.baseCaseMultiple = 1.05; x.network.voltageBandPu = [0.95, 1.05]; });
    const duals: Float64Array[][] = [];
    for (const formulation of ['branch', 'injection'] as const) {
      await runDispatch(buildDispatchInputs(s, loadIeee33()), { flexible: [zone], formulation, onSolved: (built, sol) => { duals.push(built.demandDuals(sol)); } });
    }
    const [b, i] = duals;
    let worst = 0, spread = 0;
    b.forEach((row, t) => row.forEach((y, j) => { worst = Math.max(worst, Math.abs(i[t][j] - y)); spread = Math.max(spread, Math.abs(y - row[0])); }));
    expect(spread, 'the prices differ from bus to bus: limits bind').toBeGreaterThan(0.01);
    expect(worst, 'yuan per kW per period').toBeLessThan(1e-6);
  });

  for (const name of ['case69.m', 'case85.m', 'case118zh.m', 'case136ma.m', 'case141.m']) {
    it(`${name}, default scenario and tight ratings`, async () => {
      const feeder = matpower(name);
      await expectSameAsBranch(() => inputsWithEvs(base, feeder));
      await expectSameAsBranch(() => inputsWithEvs(tightRatings, feeder));
    });
  }
});
