import { loadIeee33 } from '@zonal/feeder';
import { loadScenario, parseScenario } from '@zonal/scenario';
import { solve } from '@zonal/solver';
import { buildDispatchInputs } from './inputs';
import { buildDispatchModel } from './model';
import { runDispatch } from './dispatch';

export interface DispatchBenchRow {
  case: string;
  periods: number;
  cols: number;
  rows: number;
  buildMs: number;
  solveMs: number;
  /** The whole successive-LP dispatch (all rounds + AC checks), warm solver. */
  dispatchMs: number;
}

/** Build and solve times of the DSO dispatch on IEEE-33: 24 × 1 h and 96 × 0.25 h. */
export async function benchDispatch(): Promise<DispatchBenchRow[]> {
  const feeder = loadIeee33();
  const rows: DispatchBenchRow[] = [];
  for (const time of [{ periods: 24, dtH: 1 }, { periods: 96, dtH: 0.25 }]) {
    const scenario = parseScenario({ ...loadScenario('default'), time });
    const inputs = buildDispatchInputs(scenario, feeder);
    await solve(buildDispatchModel(inputs, null).model); // warm the WebAssembly solver
    const t0 = performance.now();
    const { model } = buildDispatchModel(inputs, null);
    const buildMs = performance.now() - t0;
    const t1 = performance.now();
    await solve(model);
    const solveMs = performance.now() - t1;
    const t2 = performance.now();
    await runDispatch(inputs);
    rows.push({ case: 'ieee33', periods: time.periods, cols: model.numCols, rows: model.numRows, buildMs, solveMs, dispatchMs: performance.now() - t2 });
  }
  return rows;
}
