/**
 * Power-flow speed: one sweep solve (runPowerFlow on a prebuilt radial index) on IEEE-33 and on
 * seeded synthetic feeders of 1 000 and 5 000 buses. Goals: IEEE-33 well under 0.1 ms, 5 000 buses
 * under 10 ms per solve.
 */
import type { Feeder } from './types';
import { loadIeee33 } from './ieee33';
import { makeSyntheticFeeder } from './synthetic';
import { buildRadialNetwork } from './radial';
import { netLoads, runPowerFlow } from './powerflow';

export interface PowerFlowBenchRow {
  case: string;
  buses: number;
  msPerSolve: number;
  iterations: number;
}

export interface PowerFlowBenchOptions {
  /** Time spent measuring each case after warm-up (the solve count adapts to it). */
  minTimeMs?: number;
  /** Time spent warming up each case (lets V8 optimise the sweep before it is timed). */
  warmupMs?: number;
}

const BENCH_SEED = 20251123;
const DEFAULTS = { minTimeMs: 500, warmupMs: 150 };
const MIN_SOLVES = 10;

function timeSolves(feeder: Feeder, opts: Required<PowerFlowBenchOptions>): PowerFlowBenchRow {
  const net = buildRadialNetwork(feeder);
  const { pKw, qKvar } = netLoads(feeder, 1);
  let iterations = 0;
  const solveFor = (ms: number): { solves: number; elapsedMs: number } => {
    const start = performance.now();
    let solves = 0, elapsedMs = 0;
    while (solves < MIN_SOLVES || elapsedMs < ms) {
      iterations = runPowerFlow(net, pKw, qKvar).iterations;
      solves++;
      elapsedMs = performance.now() - start;
    }
    return { solves, elapsedMs };
  };
  solveFor(opts.warmupMs);
  const { solves, elapsedMs } = solveFor(opts.minTimeMs);
  return { case: feeder.name, buses: feeder.buses.length, msPerSolve: elapsedMs / solves, iterations };
}

export function benchPowerFlow(options: PowerFlowBenchOptions = {}): PowerFlowBenchRow[] {
  const opts = { ...DEFAULTS, ...options };
  const feeders = [
    loadIeee33(),
    makeSyntheticFeeder({ buses: 1000, seed: BENCH_SEED }),
    makeSyntheticFeeder({ buses: 5000, seed: BENCH_SEED }),
  ];
  return feeders.map((f) => timeSolves(f, opts));
}
