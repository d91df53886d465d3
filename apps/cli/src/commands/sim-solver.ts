import { availableParallelism } from 'node:os';
import { configureSolver, warmSolver } from '@zonal/solver';

/**
 * `zonal sim`'s solver threads, started before its command's module loads: each thread's start and
 * HiGHS's instance (≈ 0.15 s) then run beside that load (≈ 0.1 s) and the split's first model, and
 * the split's first solve waits for neither. Two lanes: the oracle runs beside the negotiation (in
 * process, beside the DSO's and the zones' solves too).
 */
let started = false;

export function startSimSolver(): void {
  if (started) return;
  started = true;
  configureSolver({ workers: Math.min(2, availableParallelism()) });
  void warmSolver().catch(() => undefined);
}
