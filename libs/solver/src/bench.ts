/**
 * Build-time linearity of the model builder, measured (never asserted in tests). The model is a
 * per-EV charging LP with the shape of a zone's: energy dynamics per EV and period, a departure
 * target per EV, a feeder limit per period coupling the fleet, and a TOU price objective. Rows for
 * 1e4, 1e5, 1e6 nonzeros: build, assembly, LP export and solve times.
 */
import { toCplexLp } from './lp-format';
import { ModelBuilder } from './model';
import type { Algorithm } from './protocol';
import { solve } from './solve';
import { configureSolver, shutdownSolver, solverConfig } from './worker-client';

export interface ModelBuildBenchRow {
  nonzeros: number;
  evs: number;
  cols: number;
  rows: number;
  buildMs: number;
  /** Per 1e6 nonzeros: flat across sizes when building is linear. */
  buildMsPerMnz: number;
  assembleMs: number;
  exportMs: number;
  exportMb: number;
  solver: Algorithm;
  solveMs: number;
  objective: number;
}

const T = 24;
const PRICE = [0.35, 0.35, 0.35, 0.35, 0.35, 0.35, 0.35, 0.35, 1.12, 1.12, 1.12, 1.12, 0.68, 0.68, 0.68, 0.68, 0.68, 1.12, 1.12, 1.12, 1.12, 1.12, 0.68, 0.68];

/** A fleet of `evs` EVs, each parked for a window of the day, 60 kWh, 7 kW, eta 0.95. */
export function buildFleetModel(evs: number): ModelBuilder {
  const eta = 0.95;
  const m = new ModelBuilder('fleet');
  const p = m.addVars('P', [evs, T], ([i, t]) => ({ ub: parked(i, t) ? 7 : 0 }));
  const e = m.addVars('E', [evs, T], { lb: 12, ub: 60 });
  const cols = [0, 0, 0];
  const coefs = [1, -1, -eta];
  for (let i = 0; i < evs; i++) {
    const arrivalKwh = 20 + (i % 17);
    for (let t = 0; t < T; t++) {
      cols[0] = e.at(i, t);
      cols[2] = p.at(i, t);
      if (t === 0) m.addConstraint('soc', [i, t], [cols[0], cols[2]], [1, -eta], '=', arrivalKwh);
      else {
        cols[1] = e.at(i, t - 1);
        m.addConstraint('soc', [i, t], cols, coefs, '=', 0);
      }
      m.setObjectiveCoef(p.at(i, t), PRICE[t]);
    }
    m.addConstraint('target', [i], [e.at(i, T - 1)], [1], '>=', 54);
  }
  const fleet = new Array<number>(evs);
  const ones = new Array<number>(evs).fill(1);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < evs; i++) fleet[i] = p.at(i, t);
    m.addConstraint('feeder', [t], fleet, ones, '<=', evs * 2.5);
  }
  return m;
}

/** Parked 9 to 17 periods in a window starting between 0 and 6: every EV can reach its target. */
function parked(i: number, t: number): boolean {
  const start = i % 7;
  return t >= start && t < start + 9 + (i % 9);
}

export async function benchModelBuild(sizes = [1e4, 1e5, 1e6], solver: Algorithm = 'ipm'): Promise<ModelBuildBenchRow[]> {
  const rows: ModelBuildBenchRow[] = [];
  // Warm the JIT first, and keep the best of three builds: a cold or interrupted run is not the builder's cost.
  buildFleetModel(200);
  for (const target of sizes) {
    // About 4 nonzeros per EV-period: 3 in its energy row, 1 in the feeder row.
    const evs = Math.max(1, Math.round(target / (4 * T)));
    let model = buildFleetModel(1);
    let buildMs = Infinity;
    for (let k = 0; k < 3; k++) {
      const start = performance.now();
      model = buildFleetModel(evs);
      buildMs = Math.min(buildMs, performance.now() - start);
    }
    let t0 = performance.now();
    model.toArrays({ copy: true });
    const assembleMs = performance.now() - t0;
    t0 = performance.now();
    const text = toCplexLp(model);
    const exportMs = performance.now() - t0;
    const sol = await solve(model, { solver });
    rows.push({
      nonzeros: model.numNonzeros,
      evs,
      cols: model.numCols,
      rows: model.numRows,
      buildMs: round(buildMs),
      buildMsPerMnz: round((buildMs / model.numNonzeros) * 1e6),
      assembleMs: round(assembleMs),
      exportMs: round(exportMs),
      exportMb: round(text.length / 2 ** 20),
      solver,
      solveMs: round(sol.solveTimeMs),
      objective: sol.objective,
    });
  }
  return rows;
}

export interface SolverWorkerBenchRow {
  case: string;
  /** Wall time of solve() for a 100-EV fleet LP, ms. */
  wallMs: number;
  /** Of which in the worker (HiGHS load, solve, read-back), ms. */
  solveMs: number;
}

/** What a worker costs: the first solve of a process, a warm solve, and a solve on a replacement worker. */
export async function benchSolverWorker(): Promise<SolverWorkerBenchRow[]> {
  const model = buildFleetModel(100);
  const timed = async (label: string): Promise<SolverWorkerBenchRow> => {
    const t0 = performance.now();
    const sol = await solve(model);
    return { case: label, wallMs: round(performance.now() - t0), solveMs: round(sol.solveTimeMs) };
  };
  await shutdownSolver();
  const rows = [await timed('first solve in the process (start worker, compile HiGHS)'), await timed('warm worker')];
  const defaults = solverConfig();
  try {
    configureSolver({ recycleAboveBytes: 1 });
    await timed('warm worker, then recycled');
    rows.push(await timed('replacement worker (module compiled once, shared)'));
  } finally {
    configureSolver(defaults);
  }
  return rows;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
