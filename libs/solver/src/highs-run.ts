/**
 * One solve on a loaded HiGHS instance (highs-js 1.15.3): model arrays in, a reply out. Runs inside
 * the solver worker; it is also callable in-process for tests. Findings it encodes (STACK.md and
 * our own probes, see the tests):
 * - After a time limit, simplex may report a point that is not feasible: use it only when
 *   `primal_solution_status` says feasible.
 * - Presolve may answer "unbounded or infeasible"; a second run without presolve tells which.
 * - Any exception from the instance, above all `RuntimeError: Aborted()` (a C++ throw, e.g.
 *   std::bad_alloc at the 2 GiB WebAssembly limit), leaves it unusable: reply `crashed`.
 */
import type { Highs, Model, ModelData } from 'highs';
import { HighsOutOfMemory, passesDirect, passLp, setBasis } from './highs-direct';
import type { ModelArrays } from './model';
import type { ModelDelta } from './model-delta';
import { iisTimeLimitS, type JobOptions, type SimplexBasis, type SolveReply, type WarmPricing, type WarmSimplex } from './protocol';

/** A heap this close to the 2 GiB ceiling when HiGHS aborts means the abort was an allocation failure. */
const OUT_OF_MEMORY_BYTES = 1.9 * 2 ** 30;

const IIS_ROW_PRIORITY = 6;
/** HiGHS's `simplex_dual_edge_weight_strategy` for Devex pricing, and its default (HiGHS chooses). */
const DEVEX = 1;
const CHOOSE_PRICING = -1;
/** HiGHS's simplex_strategy for primal simplex. */
const PRIMAL_SIMPLEX = 4;

/**
 * The models a worker keeps between solves, by the caller's id (protocol.ts SolveJob.keep).
 * `presolved`: its last solve started from no basis, so HiGHS presolved it and holds the presolved
 * LP's simplex state, from which a changed model solved on (measured: 10.2 s for the 4 pivots of a
 * loss round of the 1 000-bus branch dispatch, against 1.1 s loaded anew with the basis).
 */
export type KeptModels = Map<number, { model: Model; presolved: boolean }>;

/** A solve of a kept model: the worker's store, the model's id, and its changes (null: `arrays` is the model whole). */
export interface KeptSolve {
  models: KeptModels;
  id: number;
  delta: ModelDelta | null;
}

const STATUS_NAMES: Record<number, string> = {
  0: 'not set', 1: 'load error', 2: 'model error', 3: 'presolve error', 4: 'solve error', 5: 'postsolve error',
  6: 'empty', 7: 'optimal', 8: 'infeasible', 9: 'unbounded or infeasible', 10: 'unbounded', 11: 'objective bound',
  12: 'objective target', 13: 'time limit', 14: 'iteration limit', 15: 'unknown', 16: 'solution limit', 17: 'interrupted',
};

/**
 * `ZONAL_HIGHS_OPTIONS='{"simplex_strategy": 4}'`: HiGHS options (a JSON object) set on every solve
 * after Zonal's own (a warm start still sets its own pricing), to try a setting on a real run (README,
 * the environment variables beside ZONAL_SOLVE_LOG). An experiment's knob, not for production.
 */
const EXTRA_OPTIONS: Record<string, string | number | boolean> = parseExtraOptions(process.env.ZONAL_HIGHS_OPTIONS);

export function parseExtraOptions(text: string | undefined): Record<string, string | number | boolean> {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`ZONAL_HIGHS_OPTIONS is not JSON: ${text}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('ZONAL_HIGHS_OPTIONS must be a JSON object of HiGHS options');
  for (const [k, v] of Object.entries(parsed)) {
    if (!['string', 'number', 'boolean'].includes(typeof v)) throw new Error(`ZONAL_HIGHS_OPTIONS.${k} must be a string, number or boolean`);
  }
  return parsed as Record<string, string | number | boolean>;
}

export function runOnHighs(highs: Highs, id: number, arrays: ModelArrays | null, options: JobOptions, keep?: KeptSolve): SolveReply {
  const t0 = performance.now();
  const done = <R extends object>(r: R) => ({ id, memoryBytes: highs.memoryBytes, solveTimeMs: performance.now() - t0, ...r });
  let model: Model | undefined;
  try {
    const loaded = loadModel(highs, arrays, keep);
    model = loaded.model;
    // A delta is an LP's (model-delta.ts): no integers, no Hessian.
    const isMip = arrays?.colInteger.includes(1) ?? false;
    const isQp = (arrays?.hessian ?? null) !== null;
    model.options.set({
      output_flag: false,
      time_limit: options.timeLimitS,
      // For a MIP, "simplex"/"ipm" would make HiGHS drop the integrality; a QP takes its active-set
      // solver ("choose") or an interior point ("ipm", "hipo"), never simplex.
      solver: isMip ? 'choose' : isQp && options.solver === 'simplex' ? 'choose' : options.solver,
      ...(options.mipRelGap !== undefined ? { mip_rel_gap: options.mipRelGap } : {}),
      // Set every time: a kept model holds the last solve's options.
      presolve: options.presolve === false ? 'off' : 'choose',
      // The default IIS strategy ("light") finds only a row that contradicts its own variables'
      // bounds; row priority finds conflicts among rows, within its own time budget.
      iis_strategy: IIS_ROW_PRIORITY,
      iis_time_limit: iisTimeLimitS(options.timeLimitS),
      ...EXTRA_OPTIONS,
    });
    // A kept model goes on from the basis its last solve left (options.basis is that solve's, or not this model's).
    if (keep?.delta) setWarmPricing(model, options.warmPricing ?? 'devex');
    const warmStarted = keep?.delta
      ? loaded.hadBasis
      : options.basis !== undefined && arrays !== null && !isMip && !isQp && startFrom(highs, model, options.basis, arrays, options.warmPricing ?? 'devex', options.warmSimplex ?? 'dual');
    let status: number = model.run().modelStatus;
    let presolved = !warmStarted && options.presolve !== false;
    if (status === highs.constants.modelStatus.unboundedOrInfeasible) {
      model.options.set('presolve', 'off');
      model.clearSolver();
      status = model.run().modelStatus;
      presolved = true; // not so, but a solver state to start afresh from all the same
    }
    if (keep) keep.models.set(keep.id, { model, presolved });
    const outcome = interpret(highs, model, status, isMip, options);
    if (outcome.kind !== 'solved') return done(outcome);
    return done({ ...outcome, basis: isMip || isQp || outcome.status !== 'optimal' ? null : finalBasis(highs, model), warmStarted });
  } catch (e) {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return done({ kind: 'crashed' as const, message, outOfMemory: e instanceof HighsOutOfMemory || highs.memoryBytes >= OUT_OF_MEMORY_BYTES });
  } finally {
    if (!keep) {
      try {
        model?.dispose();
      } catch {
        // An aborted instance may refuse even this; the worker is being replaced anyway.
      }
    }
  }
}

/**
 * The model to solve: the arrays loaded into a new HiGHS model, or a kept one with its changes made
 * (`hadBasis`: its last solve left a valid basis, which it goes on from). A kept model its last
 * solve presolved starts afresh from that basis (KeptModels); one solved from a basis goes on from
 * HiGHS's own state, factorisation included.
 */
function loadModel(highs: Highs, arrays: ModelArrays | null, keep: KeptSolve | undefined): { model: Model; hadBasis: boolean } {
  if (keep?.delta) {
    const kept = keep.models.get(keep.id);
    if (!kept) throw new Error(`kept model ${keep.id} is not in this worker`);
    const { model } = kept;
    const hadBasis = safely(() => Number(model.info.get('basis_validity')) === highs.constants.basisValidity.valid) ?? false;
    const basis = hadBasis && kept.presolved ? model.getBasis() : null;
    applyDelta(model, keep.delta);
    if (basis) {
      model.clearSolver();
      const extended = extendedBasis(basis, keep.delta);
      setBasis(highs, model, extended.colStatus, extended.rowStatus);
    }
    return { model, hadBasis };
  }
  if (!arrays) throw new Error('a solve job carries neither a model nor changes to a kept one');
  if (keep) {
    keep.models.get(keep.id)?.model.dispose();
    keep.models.delete(keep.id);
  }
  if (!passesDirect(highs) || arrays.colInteger.includes(1) || arrays.hessian) return { model: highs.createModel(toModelData(highs, arrays)), hadBasis: false };
  // An LP, the common case, straight into HiGHS's memory (highs-direct.ts).
  const model = highs.createModel();
  try {
    passLp(highs, model, arrays);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, hadBasis: false };
}

/** HiGHS's basis statuses (protocol.ts SimplexBasis). */
const AT_LOWER = 0, BASIC = 1, AT_UPPER = 2, AT_ZERO = 3;

/** A basis of the model before `d`, for the model after it: appended rows basic, appended columns at a bound (free ones at zero). */
function extendedBasis(b: { colStatus: ArrayLike<number>; rowStatus: ArrayLike<number> }, d: ModelDelta): SimplexBasis {
  const colStatus = new Int32Array(d.numCols), rowStatus = new Int32Array(d.numRows).fill(BASIC);
  colStatus.set(b.colStatus);
  rowStatus.set(b.rowStatus);
  const oldCols = b.colStatus.length;
  for (let j = oldCols; j < d.numCols; j++) {
    const lower = d.newCols.lower[j - oldCols], upper = d.newCols.upper[j - oldCols];
    colStatus[j] = Number.isFinite(lower) ? AT_LOWER : Number.isFinite(upper) ? AT_UPPER : AT_ZERO;
  }
  return { colStatus, rowStatus };
}

/** The kept model's changes in HiGHS's own terms: bounds and costs in place, then columns and rows appended. */
function applyDelta(model: Model, d: ModelDelta): void {
  const set = (indices: Int32Array) => ({ kind: 'set' as const, indices });
  if (d.objectiveConstant !== null) model.changeObjectiveOffset(d.objectiveConstant);
  if (d.colCost.indices.length) model.changeColsCost(set(d.colCost.indices), d.colCost.values);
  if (d.colBounds.indices.length) model.changeColsBounds(set(d.colBounds.indices), d.colBounds.lower, d.colBounds.upper);
  if (d.rowBounds.indices.length) model.changeRowsBounds(set(d.rowBounds.indices), d.rowBounds.lower, d.rowBounds.upper);
  const { numCols: oldCols, numRows: oldRows } = model.getDimensions();
  const newCols = d.numCols - oldCols;
  if (newCols > 0) {
    model.addCols({
      cost: d.newCols.cost, lower: d.newCols.lower, upper: d.newCols.upper,
      matrix: { format: 'csc', numRows: oldRows, numCols: newCols, starts: new Int32Array(newCols + 1), indices: new Int32Array(0), values: new Float64Array(0) },
    });
  }
  const newRows = d.numRows - oldRows;
  if (newRows > 0) {
    model.addRows({
      lower: d.newRows.lower, upper: d.newRows.upper,
      matrix: { format: 'csr', numRows: newRows, numCols: d.numCols, starts: d.newRows.starts, indices: d.newRows.indices, values: d.newRows.values },
    });
  }
}

/** A kept model's next solve prices as a warm start asks (set every time: the model holds the last solve's choice). */
function setWarmPricing(model: Model, pricing: WarmPricing): void {
  model.options.set('simplex_dual_edge_weight_strategy', pricing === 'devex' ? DEVEX : CHOOSE_PRICING);
}

/**
 * Installs a basis from an earlier solve of an LP of the same shape; false (and a cold start) when
 * its sizes do not match or HiGHS refuses it. A valid basis makes HiGHS skip presolve and run simplex
 * from it: worth it when the model barely changes (a loss-correction round moves a few constants:
 * 30 s -> 9 s on the 1 000-bus dispatch), not when presolve does much of the work (ADMM rounds,
 * measured as fast or slower).
 */
function startFrom(highs: Highs, model: Model, basis: SimplexBasis, arrays: ModelArrays, pricing: WarmPricing, simplex: WarmSimplex): boolean {
  if (basis.colStatus.length !== arrays.numCols || basis.rowStatus.length !== arrays.numRows) return false;
  try {
    setBasis(highs, model, basis.colStatus, basis.rowStatus);
    // protocol.ts WarmPricing and WarmSimplex say when which pays; 'steepest-edge' and 'dual' are HiGHS's own choices, left as they are.
    if (pricing === 'devex') model.options.set('simplex_dual_edge_weight_strategy', DEVEX);
    if (simplex === 'primal') model.options.set('simplex_strategy', PRIMAL_SIMPLEX);
    return true;
  } catch {
    model.clearSolver();
    return false;
  }
}

function finalBasis(highs: Highs, model: Model): SimplexBasis | null {
  const valid = safely(() => Number(model.info.get('basis_validity')) === highs.constants.basisValidity.valid);
  if (!valid) return null;
  const b = safely(() => model.getBasis());
  return b ? { colStatus: Int32Array.from(b.colStatus), rowStatus: Int32Array.from(b.rowStatus) } : null;
}

type Outcome = SolveReply extends infer R ? (R extends unknown ? Omit<R, 'id' | 'memoryBytes' | 'solveTimeMs'> : never) : never;

function interpret(highs: Highs, model: Model, status: number, isMip: boolean, options: JobOptions): Outcome {
  const S = highs.constants.modelStatus;
  const primalFeasible = () => model.info.get('primal_solution_status') === highs.constants.solutionStatus.feasible;
  switch (status) {
    case S.optimal:
      return solved(model, 'optimal', isMip, true);
    case S.timeLimit:
      if (primalFeasible()) return solved(model, 'time-limit-feasible', isMip, false);
      return { kind: 'limit', message: `stopped at the time limit of ${options.timeLimitS} s with no feasible point` };
    case S.infeasible: {
      const iis = safely(() => model.getIis());
      // A column of the IIS whose bound code is "free" is there for its coefficients, not its bounds.
      const boundCols = iis ? iis.colIndex.filter((_, k) => iis.colBound[k] !== highs.constants.iis.boundFree) : new Int32Array(0);
      return { kind: 'infeasible', iisRows: iis?.rowIndex ?? new Int32Array(0), iisCols: boundCols };
    }
    case S.unbounded:
    case S.unboundedOrInfeasible: {
      const ray = status === S.unbounded ? safely(() => model.getPrimalRay()) : undefined;
      const rayCols: number[] = [];
      ray?.values.forEach((v, j) => { if (Math.abs(v) > 1e-9) rayCols.push(j); });
      return { kind: 'unbounded', rayCols: Int32Array.from(rayCols), ...(status === S.unboundedOrInfeasible ? { orInfeasible: true } : {}) };
    }
    default:
      return { kind: 'failure', message: `HiGHS ended with status "${STATUS_NAMES[status] ?? status}"` };
  }
}

function solved(model: Model, status: 'optimal' | 'time-limit-feasible', isMip: boolean, withDuals: boolean): Outcome {
  const sol = model.getSolution();
  return {
    basis: null, warmStarted: false,
    kind: 'solved',
    iterations: Number(safely(() => model.info.get(isMip ? 'mip_total_lp_iterations' : 'simplex_iteration_count')) ?? 0),
    status,
    objective: model.getObjectiveValue(),
    colValue: withoutNegativeZero(sol.colValue),
    rowValue: withoutNegativeZero(sol.rowValue),
    rowDual: withDuals && !isMip ? withoutNegativeZero(sol.rowDual) : null,
    mipGap: isMip ? Number(model.info.get('mip_gap')) : null,
  };
}

/** HiGHS reports -0 for many zero duals; -0 prints as "-0" and fails Object.is(x, 0). */
function withoutNegativeZero(a: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) if (a[i] === 0) a[i] = 0;
  return a;
}

/** IIS and rays are diagnostics: when HiGHS cannot give one, the error is reported without it. */
function safely<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

export function toModelData(highs: Highs, m: ModelArrays): ModelData {
  const isMip = m.colInteger.includes(1);
  return {
    numCols: m.numCols,
    numRows: m.numRows,
    sense: m.sense === 'maximize' ? highs.constants.objectiveSense.maximize : highs.constants.objectiveSense.minimize,
    offset: m.objectiveConstant,
    colCost: m.colCost,
    colLower: m.colLower,
    colUpper: m.colUpper,
    rowLower: m.rowLower,
    rowUpper: m.rowUpper,
    matrix: { format: 'csr', numRows: m.numRows, numCols: m.numCols, starts: m.rowStarts, indices: m.colIndex, values: m.values },
    ...(isMip ? { integrality: Int32Array.from(m.colInteger) } : {}),
    ...(m.hessian
      ? { hessian: { format: 'triangular' as const, dimension: m.numCols, starts: m.hessian.starts, indices: m.hessian.rows, values: m.hessian.values } }
      : {}),
  };
}
