import { availableParallelism } from 'node:os';
import { configureSolver, warmSolver } from '@zonal/solver';

let started = false;

/**
 * `zonal sim`'s solver threads, started before its command's module loads (the command's `prepare`,
 * commands/index.ts): each thread's start and HiGHS's instance (≈ 0.15 s) then run beside that load
 * (≈ 0.1 s) and the split's first model, and the split's first solve waits for neither (6 and 5 paired
 * runs: 2.20 s against 2.28 s in process, 3.53 s against 3.63 s over NATS). Two lanes: the oracle
 * runs beside the negotiation (in process, beside the DSO's and the zones' solves too). Once per process.
 */
export function startSimSolver(): void {
  if (started) return;
  started = true;
  configureSolver({ workers: Math.min(2, availableParallelism()) });
  void warmSolver().catch(() => undefined);
}
