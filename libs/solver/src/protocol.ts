/**
 * Messages between the main thread and the solver worker. Models travel as typed arrays whose
 * buffers are transferred, not copied; replies carry typed arrays back the same way.
 */
import type { ModelArrays } from './model';
import type { ModelDelta } from './model-delta';

export type Algorithm = 'choose' | 'simplex' | 'ipm' | 'hipo';

export interface JobOptions {
  solver: Algorithm;
  timeLimitS: number;
  mipRelGap?: number;
  /** HiGHS presolve (default on). */
  presolve?: boolean;
  /** A simplex basis to start from (an LP of the same shape solved before). */
  basis?: SimplexBasis;
  /** Dual simplex pricing from that basis (default 'devex'). */
  warmPricing?: WarmPricing;
  /** The simplex that goes on from that basis (default 'dual'). */
  warmSimplex?: WarmSimplex;
}

/**
 * Which simplex goes on from a warm basis. 'dual' (HiGHS's own) suits a model whose bounds or rows
 * changed: the basis stays dual feasible. 'primal' suits one whose objective changed and little
 * else (an ADMM zone's re-solve: new targets and prices, the same constraints): the basis stays
 * primal feasible and primal simplex goes on from it, where dual simplex must first win back dual
 * feasibility. The default scenario's round-2 zone re-solves: 13, 11 and 10 iterations against 538,
 * 390 and 269; not for a basis from another model (the oracle's from the sums' clearing: 213 769
 * iterations against 39 841).
 */
export type WarmSimplex = 'dual' | 'primal';

/**
 * Dual simplex pricing from a warm basis. 'steepest-edge' (HiGHS's default choice) first computes every
 * row's exact weight, one BTRAN per row, then takes good steps; 'devex' starts its weights at 1 and
 * takes poorer ones. Measured on the 1 000-bus dispatch with 20 zones' envelopes: a 6-iteration
 * re-solve of 105 000 rows took 25 s with steepest edge, 0.4 s with Devex; a re-solve after 33 000
 * limit rows came in took 47 000 iterations and 198 s with steepest edge, 68 000 and 1 427 s with
 * Devex (100 000 EVs; with 10 000 EVs 36 s against 52 s).
 */
export type WarmPricing = 'devex' | 'steepest-edge';

/**
 * HiGHS's basis status of every column and row (0 at lower, 1 basic, 2 at upper, 3 zero, 4
 * nonbasic): what a simplex solve ends on and another can start from.
 */
export interface SimplexBasis {
  colStatus: Int32Array;
  rowStatus: Int32Array;
}

/** Time HiGHS may spend looking for an IIS after proving infeasibility, s. */
export function iisTimeLimitS(timeLimitS: number): number {
  return Math.min(timeLimitS, 60);
}

/** Deliberate failures for tests of crash recovery; never set outside tests. */
export type Fault = 'throw' | 'exit' | 'hang';

export interface SolveJob {
  kind: 'solve';
  id: number;
  /** The whole model; null when `keep.delta` carries what changed in the model the worker keeps. */
  model: ModelArrays | null;
  /**
   * A model the worker keeps after the solve, under `id` (solve.ts keepModel): sent whole (`delta`
   * null: any model kept under the id is replaced) or as the changes since its last solve, which
   * HiGHS then solves from the basis that solve ended on (highs-run.ts KeptModels).
   */
  keep?: { id: number; delta: ModelDelta | null };
  options: JobOptions;
  fault?: Fault;
  /** The nice value the worker thread solves at (configureSolver's `niceness`). */
  niceness?: number;
}

/** Disposes of the model the worker keeps under `keptId`. */
export interface ReleaseJob {
  kind: 'release';
  keptId: number;
}

export type WorkerJob = SolveJob | ReleaseJob;

interface ReplyBase {
  id: number;
  /** Size of the worker's WebAssembly memory after the job (it never shrinks). */
  memoryBytes: number;
  /** Time in the worker from receiving the model to the reply, ms. */
  solveTimeMs: number;
}

export type SolveReply = ReplyBase &
  (
    | {
        kind: 'solved';
        status: 'optimal' | 'time-limit-feasible';
        objective: number;
        colValue: Float64Array;
        rowValue: Float64Array;
        /** null for a MIP or a stopped solve: those duals mean nothing. */
        rowDual: Float64Array | null;
        mipGap: number | null;
        /** The final simplex basis of an LP solved to optimality, when HiGHS has a valid one. */
        basis: SimplexBasis | null;
        /** Whether the basis passed in was accepted as the starting point. */
        warmStarted: boolean;
        /** Simplex iterations HiGHS took (0 for an interior point without crossover, a MIP's LP iterations for a MIP). */
        iterations: number;
      }
    | { kind: 'infeasible'; iisRows: Int32Array; iisCols: Int32Array }
    /** `orInfeasible`: HiGHS could not tell unbounded from infeasible, even without presolve. */
    | { kind: 'unbounded'; rayCols: Int32Array; orInfeasible?: boolean }
    | { kind: 'limit'; message: string }
    | { kind: 'failure'; message: string }
    /** The HiGHS instance threw (e.g. `RuntimeError: Aborted()`): the worker must be replaced. */
    | { kind: 'crashed'; message: string; outOfMemory: boolean }
  );

export type WorkerMessage = { kind: 'ready' } | { kind: 'load-failed'; message: string } | SolveReply;

/** Every ArrayBuffer a message holds, for postMessage's transfer list. */
export function transferablesOf(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const visit = (v: unknown): void => {
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
    } else if (v && typeof v === 'object') {
      for (const x of Object.values(v)) visit(x);
    }
  };
  visit(value);
  return [...out];
}
