/**
 * solve(): checks the model against HiGHS's limits (SPEC §8), writes it to the LP exporter if one
 * is given, ships it to the solver worker and maps the answer back to columns and rows, or to a
 * typed error that names the model and the families involved.
 *
 * Duals follow HiGHS: rowDuals[i] = d(objective)/d(rhs_i), the change of the optimal objective (in
 * the model's own sense) per unit increase of the row's active bound. Minimising, a binding `<=`
 * row has a dual <= 0 and a binding `>=` row a dual >= 0; the dual of a power-balance equality
 * `generation - load = demand` is the marginal cost of demand (+price).
 */
import { ZonalError } from '@zonal/core';
import { InfeasibleModelError, SolverFailureError, SolverLimitError, UnboundedModelError, UnsupportedModelError } from './errors';
import type { LpExporter } from './lp-export';
import { ModelBuilder, type ModelArrays } from './model';
import type { Algorithm, Fault, JobOptions, SimplexBasis, WarmPricing, WarmSimplex } from './protocol';
import type { VarBlock } from './var-block';
import { newKeptSlot, releaseKeptSlot, runJob, solverConfig, type JobOutcome, type KeptSlot } from './worker-client';

export interface SolveOptions {
  /** LP algorithm: 'ipm' (interior point, with crossover) for large LPs. Ignored for a MIP or QP. */
  solver?: Algorithm;
  /** Default: solverConfig().defaultTimeLimitS (300 s). */
  timeLimitS?: number;
  /** Relative MIP gap at which HiGHS stops (its default 1e-4). */
  mipRelGap?: number;
  /** HiGHS presolve; default true. */
  presolve?: boolean;
  /** When given, the model is written (one file per solve) before it is solved. */
  exportLp?: LpExporter;
  /**
   * Start simplex from this basis (`Solution.basis` of an earlier solve of an LP with the same
   * columns and rows, e.g. the previous loss-correction round). Ignored, with a cold
   * start, when the shape differs or the model is a MIP or QP; the optimum is the same either way.
   */
  warmStart?: SimplexBasis | null;
  /** Pricing from that basis (protocol.ts WarmPricing): 'devex' (default) for a few pivots, 'steepest-edge' for many. */
  warmPricing?: WarmPricing;
  /** The simplex that goes on from that basis (protocol.ts WarmSimplex): 'dual' (default), or 'primal' when mostly the objective changed. */
  warmSimplex?: WarmSimplex;
  /**
   * Keep the model in the solver worker for the next solve with the same handle (an LP's; a MIP or
   * QP is sent whole each time). When that next model is this one with costs or bounds changed and
   * columns or rows appended, only the changes travel and HiGHS starts from the basis this solve
   * ended on (`warmStart` is then not installed): with its own factorisation and pricing state when
   * this solve itself started from a basis, afresh from the basis when HiGHS presolved this one
   * (highs-run.ts KeptModels). Otherwise the model is sent whole.
   */
  keep?: KeptModel;
}

/**
 * A model the solver worker keeps between solves (SolveOptions.keep): what a loop that re-solves
 * one growing model (successive LP rounds, limit rows added) holds, to skip reloading the model
 * into HiGHS and refactorising its basis each time. `release()` when done: it holds worker memory.
 */
export class KeptModel {
  /** @internal */
  readonly slot: KeptSlot = newKeptSlot();

  release(): void {
    releaseKeptSlot(this.slot);
  }
}

export function keepModel(): KeptModel {
  return new KeptModel();
}

export interface Solution {
  /** 'time-limit-feasible': stopped by the time limit at a feasible (not proven optimal) point. */
  status: 'optimal' | 'time-limit-feasible';
  /** Includes the objective constant. */
  objective: number;
  value(col: number): number;
  /** The values of a block's columns, row-major like the block. */
  values(block: VarBlock): Float64Array;
  colValues: Float64Array;
  /** Empty for a MIP or a stopped solve (see hasDuals); sign convention in this file's header. */
  rowDuals: Float64Array;
  hasDuals: boolean;
  dual(row: number): number;
  rowActivity: Float64Array;
  /** HiGHS's relative gap for a MIP, null for an LP/QP. */
  mipGap: number | null;
  /** The final simplex basis of an LP solved to optimality (null otherwise), for `warmStart`. */
  basis: SimplexBasis | null;
  /** The solve started from `warmStart`'s basis. */
  warmStarted: boolean;
  /** Simplex iterations (a MIP: its LP iterations); HiGHS is deterministic, so this is a machine-independent measure of the work. */
  iterations: number;
  /** In the worker: loading the arrays into HiGHS, solving, reading the solution. */
  solveTimeMs: number;
  /** In this thread: assembling the builder's arrays and checking them. */
  buildTimeMs?: number;
}

export async function solve(model: ModelBuilder, opts: SolveOptions = {}): Promise<Solution> {
  return solveWithFault(model, opts);
}

/**
 * Starts this process's solver workers (each lane's) and has each solve a one-variable LP: the
 * worker's start and HiGHS's WebAssembly instance, a second or more on a busy machine, are then paid
 * while the process waits for its first message, and its first real solve queues behind nothing
 * longer than this. (A process's first real solve still runs before V8 has optimised HiGHS's hot
 * loops; a warm-up large enough to have it optimise them held the DSO's clearing back a second.)
 */
export async function warmSolver(): Promise<void> {
  const m = new ModelBuilder('warm-up');
  m.setObjectiveCoef(m.addVar('x', [], { lb: 0, ub: 1 }), 1);
  await Promise.all(Array.from({ length: solverConfig().workers }, () => solve(m)));
}

/** solve() with a deliberate worker fault, for the crash-recovery tests. */
export async function solveWithFault(model: ModelBuilder, opts: SolveOptions, fault?: Fault): Promise<Solution> {
  const jobOptions = checkOptions(model.name, opts);
  const t0 = performance.now();
  const arrays = model.toArrays({ copy: true });
  checkSupported(model, arrays);
  const buildTimeMs = performance.now() - t0;
  opts.exportLp?.write(model);
  if (arrays.numCols === 0) return solveWithoutColumns(model, arrays, buildTimeMs);
  const isMip = arrays.colInteger.includes(1);
  const kept = opts.keep && !isMip && arrays.hessian === null ? opts.keep.slot : undefined;
  const outcome = await runJob(arrays, jobOptions, fault, kept);
  const solution = toSolution(model, outcome, jobOptions, isMip, arrays.hessian !== null, buildTimeMs);
  if (SOLVE_LOG) logSolve(model.name, arrays, jobOptions, solution, kept?.sentChanges ?? false);
  return solution;
}

/** `ZONAL_SOLVE_LOG=1`: one stderr line per solve, to see where a run's solver time goes. */
const SOLVE_LOG = Boolean(process.env.ZONAL_SOLVE_LOG);

function logSolve(name: string, arrays: ModelArrays, job: JobOptions, s: Solution, sentChanges: boolean): void {
  const start = `${sentChanges ? 'kept, ' : ''}${job.basis || sentChanges ? `warm${job.warmSimplex === 'primal' ? ' primal' : job.warmPricing ? ` ${job.warmPricing}` : ''}` : 'cold'}`;
  process.stderr.write(`[solve] ${name}: ${arrays.numRows} rows x ${arrays.numCols} cols, ${job.solver} ${start}, ${s.iterations} iterations, ` +
    `build ${(s.buildTimeMs ?? 0).toFixed(0)} ms, solve ${s.solveTimeMs.toFixed(0)} ms\n`);
}

function checkOptions(modelName: string, opts: SolveOptions): JobOptions {
  const where = `solve of model "${modelName}"`;
  const timeLimitS = opts.timeLimitS ?? solverConfig().defaultTimeLimitS;
  if (!(timeLimitS > 0) || !Number.isFinite(timeLimitS)) throw new ZonalError(`timeLimitS must be a positive number of seconds, got ${timeLimitS}`, where);
  const solver = opts.solver ?? 'choose';
  if (solver !== 'choose' && solver !== 'simplex' && solver !== 'ipm' && solver !== 'hipo') throw new ZonalError(`solver must be choose, simplex, ipm or hipo, got "${String(solver)}"`, where);
  if (opts.warmPricing !== undefined && opts.warmPricing !== 'devex' && opts.warmPricing !== 'steepest-edge') {
    throw new ZonalError(`warmPricing must be devex or steepest-edge, got "${String(opts.warmPricing)}"`, where);
  }
  if (opts.warmSimplex !== undefined && opts.warmSimplex !== 'dual' && opts.warmSimplex !== 'primal') {
    throw new ZonalError(`warmSimplex must be dual or primal, got "${String(opts.warmSimplex)}"`, where);
  }
  if (opts.mipRelGap !== undefined && !(opts.mipRelGap >= 0 && opts.mipRelGap < 1)) {
    throw new ZonalError(`mipRelGap must be in [0, 1), got ${opts.mipRelGap}`, where);
  }
  return {
    solver,
    timeLimitS,
    ...(opts.mipRelGap !== undefined ? { mipRelGap: opts.mipRelGap } : {}),
    ...(opts.presolve === false ? { presolve: false } : {}),
    ...(opts.warmStart ? { basis: opts.warmStart, ...(opts.warmPricing ? { warmPricing: opts.warmPricing } : {}), ...(opts.warmSimplex ? { warmSimplex: opts.warmSimplex } : {}) } : {}),
  };
}

/** HiGHS's limits (SPEC §8): no MIQP; its QP solver needs a convex objective and finite bounds. */
function checkSupported(model: ModelBuilder, arrays: ModelArrays): void {
  const q = arrays.hessian;
  if (!q) return;
  const quadratic = `model "${model.name}" has a quadratic objective`;
  const firstInteger = arrays.colInteger.indexOf(1);
  if (firstInteger >= 0) {
    throw new UnsupportedModelError(
      `${quadratic} and an integer variable ${model.colName(firstInteger)}: HiGHS has no MIQP`,
      model.name,
      'solve the QP without integer variables, or a piecewise-linear MILP variant',
    );
  }
  for (let j = 0; j < arrays.numCols; j++) {
    if (!Number.isFinite(arrays.colLower[j]) || !Number.isFinite(arrays.colUpper[j])) {
      throw new UnsupportedModelError(
        `${quadratic}, and variable ${model.colName(j)} has bounds [${arrays.colLower[j]}, ${arrays.colUpper[j]}]: HiGHS's QP solver needs finite bounds on every variable`,
        model.name,
        'give the variable finite bounds that the optimum cannot reach',
      );
    }
  }
  // A convex objective has a non-negative diagonal (non-positive when maximising): a cheap necessary test.
  const sign = arrays.sense === 'maximize' ? -1 : 1;
  for (let j = 0; j < arrays.numCols; j++) {
    for (let p = q.starts[j]; p < q.starts[j + 1]; p++) {
      if (q.rows[p] === j && sign * q.values[p] < 0) {
        throw new UnsupportedModelError(
          `${quadratic} that is not ${sign > 0 ? 'convex' : 'concave'} in ${model.colName(j)} (its square has coefficient ${q.values[p] / 2} while ${arrays.sense === 'maximize' ? 'maximising' : 'minimising'})`,
          model.name,
        );
      }
    }
  }
}

/** HiGHS calls a model without columns "empty" even when a row reads 0 >= 1; settle it here. */
function solveWithoutColumns(model: ModelBuilder, arrays: ModelArrays, buildTimeMs: number): Solution {
  const violated: string[] = [];
  for (let i = 0; i < arrays.numRows; i++) {
    if (arrays.rowLower[i] > 0 || arrays.rowUpper[i] < 0) violated.push(model.rowFamily(i));
  }
  if (violated.length) throw new InfeasibleModelError(model.name, unique(violated));
  return new SolutionImpl(model.name, 'optimal', arrays.objectiveConstant, new Float64Array(0), new Float64Array(arrays.numRows), new Float64Array(arrays.numRows), 0, buildTimeMs);
}

/** Maps a worker outcome to a Solution or a typed error (exported for tests). */
export function toSolution(model: ModelBuilder, outcome: JobOutcome, opts: JobOptions, isMip: boolean, isQp: boolean, buildTimeMs: number): Solution {
  const name = model.name;
  switch (outcome.type) {
    case 'load-failed':
      throw new SolverFailureError(`model "${name}": ${outcome.message}`, name);
    case 'died':
      throw new SolverFailureError(`model "${name}": the solver worker died (${outcome.message}); the next solve starts a fresh one`, name);
    case 'watchdog':
      throw new SolverLimitError(
        `model "${name}": the solver did not answer within ${round(outcome.afterS)} s (time limit ${opts.timeLimitS} s); its worker was stopped`,
        name,
        'time',
      );
    case 'reply':
      break;
  }
  const r = outcome.reply;
  switch (r.kind) {
    case 'solved':
      return new SolutionImpl(name, r.status, r.objective, r.colValue, r.rowValue, r.rowDual, r.solveTimeMs, buildTimeMs, r.mipGap, r.basis, r.warmStarted, r.iterations);
    case 'infeasible': {
      const rows = unique(Array.from(r.iisRows, (i) => model.rowFamily(i)));
      const cols = unique(Array.from(r.iisCols, (j) => model.colFamily(j)));
      let note: string | undefined;
      if (isMip) {
        note = rows.length === 0 && cols.length === 0
          ? 'no conflict among rows and bounds alone: the integer restrictions cause it'
          : 'the integer restrictions may take part';
      }
      throw new InfeasibleModelError(name, rows, cols, note);
    }
    case 'unbounded':
      throw new UnboundedModelError(name, unique(Array.from(r.rayCols, (j) => model.colFamily(j))), r.orInfeasible ?? false);
    case 'limit':
      throw new SolverLimitError(`model "${name}": ${r.message}`, name, 'time', opts.solver === 'ipm' ? 'raise timeLimitS' : "raise timeLimitS, or try solver: 'ipm' for a large LP");
    case 'failure':
      throw new SolverFailureError(`model "${name}": ${r.message}`, name);
    case 'crashed':
      if (r.outOfMemory) {
        throw new SolverLimitError(
          // HiGHS's own words here are WebAssembly's abort ("RuntimeError: Aborted()"), which says nothing more.
          `model "${name}" needs more memory than HiGHS has (2 GiB of WebAssembly memory) at ${model.numRows} rows × ${model.numCols} columns`,
          name,
          'memory',
          'solve a smaller model: coarser envelope groups (a zone file\'s envelopeGrouping), or the network split into areas (`zonal network-split`)',
        );
      }
      throw new SolverFailureError(
        `model "${name}": HiGHS failed (${r.message}); the next solve starts a fresh instance`,
        name,
        isQp ? 'HiGHS rejects a quadratic objective that is not convex: check the quadratic terms' : undefined,
      );
  }
}

class SolutionImpl implements Solution {
  readonly hasDuals: boolean;
  readonly rowDuals: Float64Array;

  constructor(
    private readonly modelName: string,
    readonly status: 'optimal' | 'time-limit-feasible',
    readonly objective: number,
    readonly colValues: Float64Array,
    readonly rowActivity: Float64Array,
    duals: Float64Array | null,
    readonly solveTimeMs: number,
    readonly buildTimeMs: number,
    readonly mipGap: number | null = null,
    readonly basis: SimplexBasis | null = null,
    readonly warmStarted = false,
    readonly iterations = 0,
  ) {
    this.hasDuals = duals !== null;
    this.rowDuals = duals ?? new Float64Array(0);
  }

  value(col: number): number {
    if (!Number.isInteger(col) || col < 0 || col >= this.colValues.length) {
      throw new RangeError(`solution of model "${this.modelName}": column ${col} does not exist (it has ${this.colValues.length})`);
    }
    return this.colValues[col];
  }

  values(block: VarBlock): Float64Array {
    if (block.start + block.size > this.colValues.length) {
      throw new RangeError(`solution of model "${this.modelName}": block ${block.family} is not part of this model`);
    }
    return this.colValues.slice(block.start, block.start + block.size);
  }

  dual(row: number): number {
    if (!this.hasDuals) {
      throw new ZonalError(
        this.status === 'optimal' ? 'a MIP has no duals (fix the integers and solve the LP for prices)' : 'a solve stopped by its time limit has no valid duals',
        `solution of model "${this.modelName}"`,
      );
    }
    if (!Number.isInteger(row) || row < 0 || row >= this.rowDuals.length) {
      throw new RangeError(`solution of model "${this.modelName}": row ${row} does not exist (it has ${this.rowDuals.length})`);
    }
    return this.rowDuals[row];
  }
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
