import { runPowerFlow, type PowerFlowResult } from '@zonal/feeder';
import { basisWithRows, keepModel, solve, type KeptModel, type LpExporter, type SimplexBasis, type Solution, type WarmPricing } from '@zonal/solver';
import { carbonCostYuan } from './carbon';
import type { DispatchInputs } from './inputs';
import { LimitWorkingSet, type ConstraintMode, type LimitRowCounts, type LimitRows } from './limits';
import { buildDispatchModel, type BuiltDispatch, type DispatchVars, type FlexibleLoad, type LimitSlacks } from './model';
import type { NetworkFormulation, NetworkPoint } from './network-terms';

export interface DispatchOptions {
  /** Writes every solved model (one file per successive-LP round). */
  exporter?: LpExporter;
  solver?: 'choose' | 'simplex' | 'ipm' | 'hipo';
  timeLimitS?: number;
  /** Loads the dispatch decides (zones' EVs), with their own terms added by `extend`. */
  flexible?: readonly FlexibleLoad[];
  /** Adds terms to each round's model (an envelope, degradation, coordination terms). */
  extend?: (built: BuiltDispatch) => void;
  /** Called with the final round's model and solution (to read duals of rows `extend` added). */
  onSolved?: (built: BuiltDispatch, sol: Solution) => void;
  /** Branch |I|² (pu) to start from instead of a lossless first round; with it, `rounds` may be 0. */
  initialLossSqPu?: Float64Array[];
  /** Most loss-correction re-solves (default: the scenario's lossCorrection.maxRounds; 0 = one solve). */
  maxLossRounds?: number;
  /** A basis of an earlier dispatch of the same shape (`DispatchResult.basis`) to start the first round from. */
  warmStart?: DispatchBasis | null;
  /**
   * Without `warmStart`: a basis built for the first round's model once it is built (a coarser model's
   * optimum carried over, libs/coordination clearing-start.ts), or null for a cold start. Far from the
   * optimum by nature, so its solve prices by steepest edge.
   */
  warmStartFor?: (built: BuiltDispatch) => SimplexBasis | null;
  /**
   * 'lazy' (default): the voltage and line-rating rows enter where the LP's flows come near them
   * (constraint generation, limits.ts), with the same optimum as 'full', which builds every row.
   */
  constraints?: ConstraintMode;
  /** The limit rows to start from and to grow (default: the inputs' own, `DispatchInputs.workingSet`). */
  workingSet?: LimitWorkingSet;
  /**
   * With a row the point nears, add its side at every other period the flexible loads could bring
   * their flows to it (default true: fewer re-solves where the loads move within their bounds). A
   * column-generation master (libs/coordination clearing-columns.ts), whose loads move only between
   * its columns, sets false: over the zones' whole bounds a 1 000-bus feeder's 6 000 near rows became 98 000.
   */
  limitsAcrossPeriods?: boolean;
  /**
   * How every warm-started solve prices (default: steepest edge when many rows came in since the
   * basis, else devex). A column-generation master sets devex: HiGHS's exact steepest-edge weights
   * for its warm basis took 399 s of a 1 614-iteration solve on the 1 000-bus case (primal simplex
   * from it, tried too: 5 000 iterations a master at 20 000 EVs against devex's 2 000).
   */
  warmPricing?: WarmPricing;
  /**
   * How the model holds the network (network-terms.ts): 'injection', only the decided columns, the
   * flows and voltages as expressions in them, so the model grows with the DERs, the flexible loads
   * and the limits that bind, not with the buses; 'branch', a column for every flow and voltage. Each
   * LP has the same optimum in both (limits.test.ts). 'auto' (default): injection from
   * INJECTION_FROM_BUSES buses, branch below (see there).
   */
  formulation?: NetworkFormulation | 'auto';
}

/**
 * A dispatch's final simplex basis, with the limit rows its model held after the rest, in order
 * (lazy only): a later dispatch started from it puts the same rows first, so the basis fits.
 */
export type DispatchBasis = SimplexBasis & { limitKeys?: readonly number[] };

/** How the last round's model was built: its rows, and the limit rows in it against the full model's. */
export interface ConstraintStats {
  mode: ConstraintMode;
  /** How the model held the network (network-terms.ts). */
  formulation: NetworkFormulation;
  /** Columns and rows of the final LP. */
  cols: number;
  rows: number;
  /** Voltage and polygon rows in the final LP, and in the full model. */
  limitRows: LimitRowCounts;
  fullLimitRows: LimitRowCounts;
  /** Solves in all, and those that added limit rows found near binding (lazy only). */
  solves: number;
  generationSolves: number;
}

/** Seed 001's cost table (yuan per day); penalties on their own row, outside `totalYuan`. */
export interface CostTable {
  purchaseYuan: number;
  dieselYuan: number;
  curtailmentYuan: number;
  carbonYuan: number;
  demandChargeYuan: number;
  totalYuan: number;
  penaltyYuan: number;
}

export interface Violation {
  /** A bus voltage, a branch rating (the branch into `busId`), or the substation transformer's rating (at the slack bus). */
  kind: 'vmin' | 'vmax' | 'rating' | 'substation';
  busId: number;
  /** Period index (0-based) and its start time in hours. */
  period: number;
  hour: number;
  /** AC voltage (pu) for vmin/vmax, AC apparent flow into the bus (kVA) for rating, the purchase's |S| (kVA) for substation. */
  value: number;
  limit: number;
}

export interface AcCheck {
  converged: boolean;
  lossKwh: number;
  lossKvarh: number;
  /** Losses the last LP carried (its branch-current estimate), for LP vs AC. */
  lpLossKwh: number;
  vminPu: number;
  vminBusId: number;
  vminPeriod: number;
  maxAbsVDiffPu: number;
  violations: Violation[];
  /** Per period: AC losses (kW) and the lowest bus voltage (pu). */
  lossKwByPeriod: number[];
  vminPuByPeriod: number[];
}

export interface DispatchSchedule {
  pGridKw: number[];
  qGridKvar: number[];
  dieselKw: number[][];
  renewableKw: number[][];
  curtailedKw: number[][];
  evKw: number[];
  loadKw: number[];
}

export interface DispatchResult {
  /** The optimiser's objective: costs.totalYuan + costs.penaltyYuan + whatever `extend` added. */
  objective: number;
  costs: CostTable;
  emissionsT: number;
  quotaT: number;
  excessT: number;
  rounds: number;
  schedule: DispatchSchedule;
  acCheck: AcCheck;
  solveMs: number[];
  /** Simplex iterations of each solve (`Solution.iterations`). */
  solveIterations: number[];
  /** Grid-side power of each flexible load per period (kW). */
  flexKw: Float64Array[];
  /** Branch |I|² (pu) per period from the AC check of the final point: the next round's loss estimate. */
  lossSqPu: Float64Array[];
  /** AC flow into each bus position from its parent and that branch's loss, per period (kW). */
  acBranchPKw: Float64Array[];
  acBranchLossKw: Float64Array[];
  /** AC voltage magnitude of each bus position, and apparent flow into it from its parent (kVA), per period. */
  acVmPu: Float64Array[];
  acBranchKva: Float64Array[];
  /** AC apparent power drawn at the substation per period (kVA): what its transformer carries. */
  acSubstationKva: number[];
  /** The final LP's simplex basis, to warm-start a later dispatch of the same shape (null for a QP). */
  basis: DispatchBasis | null;
  constraintStats: ConstraintStats;
  /** The voltage and rating rows the final LP held (`has(key)`; every row with 'full'). */
  limits: LimitRows;
}

/**
 * Low-carbon economic dispatch with loss correction by successive LP (SPEC §3): solve with no
 * losses, run the AC sweep at the dispatched point, fix each branch's |I|² at the AC value and
 * solve again, until the LP's voltages are within `lossCorrection.tolPu` of the AC sweep's (or
 * `maxRounds` re-solves); the last sweep is the AC check of the final point. With lazy constraints
 * each round solves until its point keeps every limit row it left out (limits.ts): every round's LP
 * point is the full model's optimum, so the rounds and the result are the full model's.
 */
export async function runDispatch(inp: DispatchInputs, opts: DispatchOptions = {}): Promise<DispatchResult> {
  // Each solve after the first is the last one's model with loss constants moved and limit rows
  // appended: the solver worker keeps it and takes only those changes (solver keepModel; the default
  // oracle's second loss re-solve of its 12 062-row LP: 30-75 ms, 135-215 ms sent whole).
  const keep = keepModel();
  try {
    return await successiveLp(inp, opts, keep);
  } finally {
    keep.release();
  }
}

async function successiveLp(inp: DispatchInputs, opts: DispatchOptions, keep: KeptModel): Promise<DispatchResult> {
  const { maxRounds: scenarioRounds, tolPu } = inp.scenario.network.lossCorrection;
  const maxRounds = opts.maxLossRounds ?? scenarioRounds;
  const flexible = opts.flexible ?? [];
  const mode = opts.constraints ?? 'lazy';
  const formulation = formulationFor(inp, opts.formulation);
  const working = opts.workingSet ?? inp.workingSet ?? new LimitWorkingSet();
  let lossSqPu: Float64Array[] | null = opts.initialLossSqPu ?? null;
  const solveMs: number[] = [], solveIterations: number[] = [];
  let generationSolves = 0;
  // A round changes the loss constants and may add limit rows, so the last optimum's basis (with the
  // new rows' slacks basic: dual feasible) is a few pivots from the next one.
  let basis: SimplexBasis | null = opts.warmStart ?? null;
  /** The basis is a lossless round's: with loads the dispatch moves, the first loss-aware round is far from it. */
  let basisLossless = false;
  /** The basis came from `warmStartFor`, not from a solve of this model. */
  let basisBuilt = false;
  const movable = flexible.some((f) => f.ubKw.some((ub, t) => ub > f.lbKw[t]));
  let limitKeys: readonly number[] = mode === 'lazy' ? opts.warmStart?.limitKeys ?? [] : [];
  // Where the flows are expected: before the first solve, the fixed loads with the DERs at what they
  // can give; after it, the last round's AC point, which the next (loss-corrected) LP lands close to.
  let expected: PowerFlowResult[] | null = mode === 'lazy' ? expectedFlows(inp, flexible) : null;
  let last: BuiltDispatch | null = null;
  for (let round = 0; ; round++) {
    const built: BuiltDispatch = last && lossSqPu ? nextRound(last, inp, lossSqPu, flexible, mode, formulation, working, limitKeys, expected, opts) : buildRound(inp, lossSqPu, flexible, mode, formulation, working, limitKeys, expected, opts);
    last = built;
    if (round === 0 && !basis && opts.warmStartFor) {
      basis = opts.warmStartFor(built);
      basisBuilt = basis !== null;
    }
    const lossAware = lossSqPu !== null;
    let sol: Solution;
    let flows: PowerFlowResult[];
    let final: boolean;
    let point: NetworkPoint | undefined;
    for (;;) {
      point = undefined;
      sol = await solve(built.model, {
        solver: opts.solver, timeLimitS: opts.timeLimitS, exportLp: mode === 'full' && formulation === 'branch' && !built.model.isQuadratic ? opts.exporter : undefined,
        warmStart: basis && basisWithRows(basis, built.model.numRows, built.model.numCols),
        warmPricing: basis ? opts.warmPricing ?? pricingFor(basis, built.model.numRows, basisBuilt || (basisLossless && lossAware && movable)) : undefined,
        keep,
      });
      basisBuilt = false;
      solveMs.push(sol.solveTimeMs);
      solveIterations.push(sol.iterations);
      if (sol.basis) { basis = sol.basis; basisLossless = !lossAware; }
      let add: number[] = [];
      if (mode === 'lazy') {
        // The LP point against the rows it left out: any it breaks or nears goes in, with the same
        // sides at the periods the flexible loads could reach them.
        point = built.network.point(sol.colValues);
        add = built.limits.nearBinding(sol, built, point);
        // concat, not push(...): a first pass on a city's network finds hundreds of thousands (past the call stack's arguments).
        if (add.length && opts.limitsAcrossPeriods !== false) add = add.concat(built.limits.acrossPeriods(add, sol, point, built.vars.flexKw, flexible));
      }
      if (add.length === 0) {
        point ??= built.network.point(sol.colValues);
        flows = acFlows(inp, sol, built.vars, flexible);
        // A lossless first round is never final; after that, stop once the LP's voltages meet the AC's.
        final = round >= maxRounds || (lossAware && maxVoltageGapPu(inp, point, flows) <= tolPu);
        // The AC flow of the point checks it too. A round that is not the last hands the rows its AC
        // point comes near to the next (`expected`); the last one takes in any row its AC point
        // breaks and solves again, so a limit the AC check reports is one the LP priced, never one
        // it left out. The LP point keeps every row left out by a margin, so this adds rows only
        // when the loss estimate is far from the point (a re-plan at another point's losses).
        if (final && mode === 'lazy') add = built.limits.brokenAc(flows);
        if (add.length === 0) break;
      }
      for (const key of add) { working.add(key); built.limits.add(built.model, built, key); }
      generationSolves++;
    }
    limitKeys = built.limits.added;
    // What the next dispatch of these inputs starts from: the rows this optimum binds or nears.
    if (mode === 'lazy') for (const key of built.limits.nearBinding(sol, built, point, true)) working.add(key);
    if (final) {
      opts.onSolved?.(built, sol);
      const vars = built.vars;
      return {
        objective: sol.objective,
        ...emissions(inp, sol, vars),
        costs: costTable(inp, sol, vars, built.slacks),
        rounds: round + 1,
        schedule: schedule(inp, sol, vars),
        acCheck: acCheck(inp, sol, vars, point, flows, flexible),
        solveMs,
        solveIterations,
        flexKw: vars.flexKw.map((b) => sol.values(b)),
        lossSqPu: flows.map((pf) => pf.branchCurrentSqPu),
        acBranchPKw: flows.map((pf) => pf.branchPKw),
        acBranchLossKw: flows.map((pf) => pf.branchLossKw),
        acVmPu: flows.map((pf) => Float64Array.from(pf.vmPu)),
        acBranchKva: flows.map((pf) => Float64Array.from(pf.branchPKw, (p, j) => Math.hypot(p, pf.branchQKvar[j]))),
        acSubstationKva: flows.map((pf) => Math.hypot(pf.pSubKw, pf.qSubKvar)),
        basis: sol.basis && (mode === 'lazy' ? { ...sol.basis, limitKeys: built.limits.added } : sol.basis),
        constraintStats: {
          mode, formulation: built.formulation, cols: built.model.numCols, rows: built.model.numRows,
          limitRows: mode === 'full' ? built.limits.fullCounts() : built.limits.counts(),
          fullLimitRows: built.limits.fullCounts(),
          solves: solveMs.length, generationSolves,
        },
        limits: built.limits,
      };
    }
    lossSqPu = flows.map((pf) => pf.branchCurrentSqPu);
    if (mode === 'lazy') expected = flows;
  }
}

/**
 * Pricing from a basis: steepest edge where the solve is far from the basis — many rows came in since
 * (a first pass over a negotiation's envelopes finds tens of thousands) or the losses first enter a
 * dispatch whose loads move (the zones' EVs shift between periods: 19 700 iterations from the lossless
 * round's basis on the 1 000-bus, 100 000-EV oracle, 405 s with Devex) —, whose exact weights cost a
 * BTRAN per row up front and then save more than that; Devex where it is a few pivots away (a later
 * loss-correction round, a pass that found a few rows, the losses entering a dispatch of fixed loads:
 * 5 000 buses, 379 534 rows, 10 s in all with Devex, 51 s with steepest edge). Solver protocol.ts
 * WarmPricing has more.
 */
function pricingFor(basis: SimplexBasis, numRows: number, farOff: boolean): WarmPricing {
  return farOff || numRows - basis.rowStatus.length >= STEEPEST_EDGE_NEW_ROWS_SHARE * numRows ? 'steepest-edge' : 'devex';
}

/** Share of the model's rows new since the basis above which the warm start prices by steepest edge. */
const STEEPEST_EDGE_NEW_ROWS_SHARE = 0.05;

/**
 * Feeders from this many buses are dispatched in the injection formulation by default. Both give each
 * LP the same optimum, but not always the same optimal point: with the losses held at an estimate, an
 * LP whose EVs can charge in several periods at one price is indifferent between them, the AC losses of
 * those points are not (2 230 and 2 234 kWh on small-test's oracle), and the successive LP goes on from
 * the point it got (small-test's oracle: 44 682.82 and 44 687.00 yuan, 9e-5 apart). Below this size the
 * branch model is fast already (IEEE-33 × 24: 0.07 s) and every figure in the README was measured with
 * its points; from here the injection one is what keeps the dispatch in seconds (1 000 buses: 0.2 s
 * against 0.9 s; 5 000: 0.5 s against 4.5 s).
 */
export const INJECTION_FROM_BUSES = 500;

function formulationFor(inp: DispatchInputs, asked: DispatchOptions['formulation']): NetworkFormulation {
  if (asked === 'branch' || asked === 'injection') return asked;
  return inp.net.nBus >= INJECTION_FROM_BUSES ? 'injection' : 'branch';
}

/**
 * One round's model: the network, the caller's terms (`extend`), then — lazy — the limit rows: the
 * last round's in their order (so its basis fits this model's first rows), whatever else the working
 * set holds (rows other dispatches of these inputs found), and those the expected flows come near (a
 * guess: it saves a solve when right, costs a few rows when not, and changes no optimum). With an
 * exporter, a lazy or injection round writes the full branch model it stands for (every limit row,
 * every flow and voltage a named column), whose optimum an external solver then finds equal to the
 * one solved; `extend` runs on that model first, and last on the model solved, whose rows the caller
 * keeps. (Not the injection model itself: GLPK's simplex stalled on the default scenario's second
 * round written that way, no optimum after 600 s.)
 */
function buildRound(
  inp: DispatchInputs, lossSqPu: Float64Array[] | null, flexible: readonly FlexibleLoad[], mode: ConstraintMode, formulation: NetworkFormulation,
  working: LimitWorkingSet, lastKeys: readonly number[], expected: readonly PowerFlowResult[] | null, opts: DispatchOptions,
): BuiltDispatch {
  if ((mode === 'lazy' || formulation === 'injection') && opts.exporter?.enabled) {
    const full = buildDispatchModel(inp, lossSqPu, flexible, { constraints: 'full', formulation: 'branch' });
    opts.extend?.(full);
    if (!full.model.isQuadratic) opts.exporter.write(full.model);
  }
  const built = buildDispatchModel(inp, lossSqPu, flexible, { constraints: mode, formulation });
  opts.extend?.(built);
  if (mode === 'lazy') {
    working.bind(built.limits.shape);
    for (const key of lastKeys) built.limits.add(built.model, built, key);
    addKnownLimitRows(built, working, expected);
  }
  return built;
}

/**
 * A loss-correction round's model: the last round's with the new loss estimate set in place
 * (`setLosses`), or built anew when an exporter writes each round's full model.
 * The same model either way — the last round's rows in their order, then the working set's and the
 * expected flows' — without rebuilding the network and the callers' terms (`extend`, run once: on
 * the default scenario's oracle, a quarter of a second a round of envelope groups).
 */
function nextRound(
  last: BuiltDispatch, inp: DispatchInputs, lossSqPu: Float64Array[], flexible: readonly FlexibleLoad[], mode: ConstraintMode, formulation: NetworkFormulation,
  working: LimitWorkingSet, lastKeys: readonly number[], expected: readonly PowerFlowResult[] | null, opts: DispatchOptions,
): BuiltDispatch {
  if (opts.exporter?.enabled) return buildRound(inp, lossSqPu, flexible, mode, formulation, working, lastKeys, expected, opts);
  last.setLosses(lossSqPu);
  if (mode === 'lazy') addKnownLimitRows(last, working, expected);
  return last;
}

/** The limit rows the working set holds and those the expected flows come near, where the model has none yet. */
function addKnownLimitRows(built: BuiltDispatch, working: LimitWorkingSet, expected: readonly PowerFlowResult[] | null): void {
  const { limits, model } = built;
  for (const key of working.rows()) if (!limits.has(key)) limits.add(model, built, key);
  if (expected) for (const key of limits.nearBindingAc(expected)) if (!limits.has(key)) limits.add(model, built, key);
}

/**
 * The flows before any solve: fixed loads, PV and wind at their available output, diesel at its
 * least, each flexible load at the point of its bounds nearest zero.
 */
function expectedFlows(inp: DispatchInputs, flexible: readonly FlexibleLoad[]): PowerFlowResult[] {
  return Array.from({ length: inp.grid.periods }, (_, t) => {
    const p = Float64Array.from(inp.loadPKw[t]);
    for (const f of flexible) {
      const x = Math.min(Math.max(0, f.lbKw[t]), f.ubKw[t]);
      for (const b of f.busShares) p[b.busPos] += b.share[t] * x;
    }
    for (const u of inp.renewables) p[u.busPos] -= u.availableKw[t];
    for (const d of inp.diesels) p[d.busPos] -= d.mustRun ? d.pMaxKw : d.pMinKw;
    return runPowerFlow(inp.net, p, inp.loadQKvar[t]);
  });
}

/** Available PV and wind energy the dispatch left unused over the day (kWh). */
export function curtailedKwh(d: DispatchResult, dtH: number): number {
  return d.schedule.curtailedKw.reduce((a, unit) => a + unit.reduce((x, y) => x + y, 0), 0) * dtH;
}

function maxVoltageGapPu(inp: DispatchInputs, point: NetworkPoint, flows: PowerFlowResult[]): number {
  let gap = 0;
  flows.forEach((pf, t) => {
    for (let j = 0; j < inp.net.nBus; j++) gap = Math.max(gap, Math.abs(Math.sqrt(Math.max(0, point.wSq[t][j])) - pf.vmPu[j]));
  });
  return gap;
}

/** Net injections of the dispatched point, per period, run through the AC sweep. */
function acFlows(inp: DispatchInputs, sol: Solution, v: DispatchVars, flexible: readonly FlexibleLoad[]): PowerFlowResult[] {
  const out: PowerFlowResult[] = [];
  for (let t = 0; t < inp.grid.periods; t++) {
    const p = Float64Array.from(inp.loadPKw[t]);
    flexible.forEach((f, k) => {
      const x = sol.value(v.flexKw[k].at(t));
      for (const b of f.busShares) p[b.busPos] += b.share[t] * x;
    });
    const q = Float64Array.from(inp.loadQKvar[t]);
    inp.renewables.forEach((u, k) => { p[u.busPos] -= sol.value(v.renewable.at(k, t)); });
    inp.diesels.forEach((d, g) => { p[d.busPos] -= sol.value(v.diesel.at(g, t)); });
    inp.capacitors.forEach((c, k) => { q[c.busPos] -= c.stepKvar * Math.round(sol.value(v.capSteps!.at(k, t))); });
    out.push(runPowerFlow(inp.net, p, q));
  }
  return out;
}

function costTable(inp: DispatchInputs, sol: Solution, v: DispatchVars, slacks: LimitSlacks): CostTable {
  const s = inp.scenario, dt = inp.grid.dtH;
  let purchase = 0, diesel = 0, curtailment = 0, penalty = 0;
  const vPen = s.network.voltagePenaltyYuanPerPuBusH * dt;
  const sPen = s.network.lineRating.overloadPenaltyYuanPerKvaH * dt;
  for (let t = 0; t < inp.grid.periods; t++) {
    purchase += inp.priceYuanPerKwh[t] * sol.value(v.pGrid.at(t)) * dt;
    inp.diesels.forEach((d, g) => { diesel += d.costYuanPerKwh * sol.value(v.diesel.at(g, t)) * dt; });
    inp.renewables.forEach((u, k) => {
      curtailment += s.curtailment.costYuanPerKwh * Math.max(0, u.availableKw[t] - sol.value(v.renewable.at(k, t))) * dt;
    });
    const x = sol.colValues;
    for (let j = 0; j < inp.net.nBus; j++) {
      penalty += vPen * (slacks.value('vOver', j, t, x) + slacks.value('vUnder', j, t, x));
      if (Number.isFinite(inp.sMaxKva[j])) penalty += sPen * slacks.value('sOver', j, t, x);
    }
    if (v.subOver) penalty += s.network.substation!.overloadPenaltyYuanPerKvaH * dt * sol.value(v.subOver.at(t));
  }
  // The carbon row is the ladder evaluated at the optimum's excess, not the epigraph variable:
  // the two agree at an optimum, and a test holds them to it.
  const carbon = carbonCostYuan(sol.value(v.excessT), s.carbon);
  const dc = s.tariff.demandCharge;
  const demandCharge = v.peakKva === null ? 0 : (dc.yuanPerKvaMonth / dc.daysPerMonth) * sol.value(v.peakKva);
  const total = purchase + diesel + curtailment + carbon + demandCharge;
  return { purchaseYuan: purchase, dieselYuan: diesel, curtailmentYuan: curtailment, carbonYuan: carbon, demandChargeYuan: demandCharge, totalYuan: total, penaltyYuan: penalty };
}

function emissions(inp: DispatchInputs, sol: Solution, v: DispatchVars) {
  const s = inp.scenario, dt = inp.grid.dtH;
  const gridEf = s.grid.thermalShare * s.grid.thermalEmissionTPerMwh;
  let emissionsT = 0, quotaT = 0;
  for (let t = 0; t < inp.grid.periods; t++) {
    emissionsT += (gridEf * sol.value(v.pGrid.at(t)) * dt) / 1000;
    inp.diesels.forEach((d, g) => {
      const mwh = (sol.value(v.diesel.at(g, t)) * dt) / 1000;
      emissionsT += d.emissionTPerMwh * mwh;
      quotaT += s.carbon.quotaTPerMwh * mwh;
    });
    inp.renewables.forEach((_u, k) => { quotaT += (s.carbon.quotaTPerMwh * sol.value(v.renewable.at(k, t)) * dt) / 1000; });
  }
  return { emissionsT, quotaT, excessT: emissionsT - quotaT };
}

function schedule(inp: DispatchInputs, sol: Solution, v: DispatchVars): DispatchSchedule {
  const T = inp.grid.periods;
  const per = (f: (t: number) => number) => Array.from({ length: T }, (_, t) => f(t));
  const flexTotal = (t: number) => v.flexKw.reduce((a, b) => a + sol.value(b.at(t)), 0);
  return {
    pGridKw: per((t) => sol.value(v.pGrid.at(t))),
    qGridKvar: per((t) => sol.value(v.qGrid.at(t))),
    dieselKw: inp.diesels.map((_d, g) => per((t) => sol.value(v.diesel.at(g, t)))),
    renewableKw: inp.renewables.map((_u, k) => per((t) => sol.value(v.renewable.at(k, t)))),
    curtailedKw: inp.renewables.map((u, k) => per((t) => Math.max(0, u.availableKw[t] - sol.value(v.renewable.at(k, t))))),
    evKw: per((t) => inp.evPKw[t].reduce((a, b) => a + b, 0) + flexTotal(t)),
    loadKw: per((t) => inp.loadPKw[t].reduce((a, b) => a + b, 0) + flexTotal(t)),
  };
}

function acCheck(inp: DispatchInputs, sol: Solution, v: DispatchVars, point: NetworkPoint, flows: PowerFlowResult[], flexible: readonly FlexibleLoad[]): AcCheck {
  const [vMin, vMax] = inp.scenario.network.voltageBandPu;
  const tol = inp.scenario.network.violationTolPu;
  const dt = inp.grid.dtH;
  const buses = inp.net.feeder.buses;
  const violations: Violation[] = [];
  let lossKwh = 0, lossKvarh = 0, lpLossKwh = 0, vminPu = Infinity, vminBusId = 0, vminPeriod = 0, maxDiff = 0;
  let converged = true;
  const lossKwByPeriod: number[] = [], vminPuByPeriod: number[] = [];
  flows.forEach((pf, t) => {
    converged &&= pf.converged;
    lossKwh += pf.lossKw * dt;
    lossKwByPeriod.push(pf.lossKw);
    vminPuByPeriod.push(Math.min(...pf.vmPu));
    lossKvarh += pf.lossKvar * dt;
    const hour = t * dt;
    for (let j = 0; j < inp.net.nBus; j++) {
      const vm = pf.vmPu[j];
      if (vm < vminPu) { vminPu = vm; vminBusId = buses[j].id; vminPeriod = t; }
      maxDiff = Math.max(maxDiff, Math.abs(Math.sqrt(Math.max(0, point.wSq[t][j])) - vm));
      if (vm < vMin - tol) violations.push({ kind: 'vmin', busId: buses[j].id, period: t, hour, value: vm, limit: vMin });
      if (vm > vMax + tol) violations.push({ kind: 'vmax', busId: buses[j].id, period: t, hour, value: vm, limit: vMax });
      const sMax = inp.sMaxKva[j];
      const sKva = Math.hypot(pf.branchPKw[j], pf.branchQKvar[j]);
      if (Number.isFinite(sMax) && sKva > sMax * (1 + tol)) {
        violations.push({ kind: 'rating', busId: buses[j].id, period: t, hour, value: sKva, limit: sMax });
      }
    }
    const sub = inp.scenario.network.substation;
    const subKva = Math.hypot(pf.pSubKw, pf.qSubKvar);
    if (sub && subKva > sub.ratingKva * (1 + tol)) {
      violations.push({ kind: 'substation', busId: buses[inp.net.slackPos].id, period: t, hour, value: subKva, limit: sub.ratingKva });
    }
    // The LP's own losses are what its energy balance leaves over: supply minus demand.
    let supplyKw = sol.value(v.pGrid.at(t)) - inp.loadPKw[t].reduce((a, b) => a + b, 0);
    flexible.forEach((_f, k) => { supplyKw -= sol.value(v.flexKw[k].at(t)); });
    inp.renewables.forEach((_u, k) => { supplyKw += sol.value(v.renewable.at(k, t)); });
    inp.diesels.forEach((_d, g) => { supplyKw += sol.value(v.diesel.at(g, t)); });
    lpLossKwh += supplyKw * dt;
  });
  return { converged, lossKwh, lossKvarh, lpLossKwh, vminPu, vminBusId, vminPeriod, maxAbsVDiffPu: maxDiff, violations, lossKwByPeriod, vminPuByPeriod };
}
