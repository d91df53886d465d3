import { loadIeee33, makeSyntheticFeeder, type Feeder } from '@zonal/feeder';
import { loadScenario, parseScenario, type Scenario } from '@zonal/scenario';
import { solve } from '@zonal/solver';
import { runDispatch } from './dispatch';
import { uncoordinatedEvLoad } from './evBaseline';
import { buildDispatchInputs } from './inputs';
import type { ConstraintMode } from './limits';
import { buildDispatchModel } from './model';
import type { NetworkFormulation } from './network-terms';

export interface DispatchBenchRow {
  case: string;
  periods: number;
  constraints: ConstraintMode;
  formulation: NetworkFormulation;
  cols: number;
  /** Rows of the final LP, and of the full model (every voltage and rating-polygon row). */
  rows: number;
  fullRows: number;
  /** Voltage + polygon rows in the final LP, of the full model's. */
  limitRows: string;
  /** LP solves in all (loss-correction rounds, and the constraint-generation re-solves). */
  solves: number;
  /** The LP solves' time in the solver worker, summed. */
  solveMs: number;
  /** The whole successive-LP dispatch (model builds, all solves, AC checks), warm solver. */
  dispatchMs: number;
  objective: number;
}

interface BenchCase {
  name: string;
  feeder: () => Feeder;
  periods: number;
  modes: Array<[ConstraintMode, NetworkFormulation]>;
}

const ALL: BenchCase['modes'] = [['full', 'branch'], ['lazy', 'branch'], ['lazy', 'injection']];
/** 'full' on the 5 000-bus feeder (2.4 million rows) needs more than HiGHS's 2 GiB: lazy only. */
const CASES: BenchCase[] = [
  { name: 'ieee33', feeder: loadIeee33, periods: 24, modes: ALL },
  { name: 'ieee33', feeder: loadIeee33, periods: 96, modes: ALL },
  { name: 'synthetic 1 000', feeder: () => makeSyntheticFeeder({ buses: 1000, seed: 20251123 }), periods: 24, modes: ALL },
  { name: 'synthetic 5 000', feeder: () => makeSyntheticFeeder({ buses: 5000, seed: 20251123 }), periods: 24, modes: [['lazy', 'branch'], ['lazy', 'injection']] },
];

/**
 * `zonal dispatch` (the default scenario's EVs charging uncoordinated) on IEEE-33 and on synthetic
 * feeders of 1 000 and 5 000 buses, with every limit row built ('full') and with the rows generated
 * where the flows come near them ('lazy', the default), each from a fresh working set; lazy in the
 * branch formulation and in the injection one (network-terms.ts).
 */
export async function benchDispatch(): Promise<DispatchBenchRow[]> {
  const rows: DispatchBenchRow[] = [];
  const warm = buildDispatchInputs(loadScenario('default'), loadIeee33());
  await solve(buildDispatchModel(warm, null).model); // warm the WebAssembly solver
  for (const c of CASES) {
    const feeder = c.feeder();
    const scenario = scenarioFor(c, feeder);
    const evKw = uncoordinatedEvLoad(scenario, feeder).busLoadKw;
    for (const [mode, formulation] of c.modes) {
      const inputs = buildDispatchInputs(scenario, feeder, evKw);
      const t0 = performance.now();
      const r = await runDispatch(inputs, { constraints: mode, formulation });
      const dispatchMs = performance.now() - t0;
      const s = r.constraintStats;
      const held = s.limitRows.polygon + s.limitRows.voltage, all = s.fullLimitRows.polygon + s.fullLimitRows.voltage;
      rows.push({
        case: c.name, periods: c.periods, constraints: mode, formulation, cols: s.cols, rows: s.rows, fullRows: s.rows - held + all,
        limitRows: `${held} of ${all}`, solves: s.solves, solveMs: r.solveMs.reduce((a, b) => a + b, 0), dispatchMs, objective: r.objective,
      });
    }
  }
  return rows;
}

function scenarioFor(c: BenchCase, feeder: Feeder): Scenario {
  const base = loadScenario('default');
  return parseScenario({ ...base, network: { ...base.network, case: feeder.name }, time: { periods: c.periods, dtH: 24 / c.periods } });
}
