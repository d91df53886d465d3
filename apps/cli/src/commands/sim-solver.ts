import { availableParallelism } from 'node:os';
import { configureSolver, warmSolver } from '@zonal/solver';

/**
 * `zonal sim`'s solver thread, started before its command's module loads (the command's `prepare`,
 * commands/index.ts): the thread's start and HiGHS's instance (≈ 0.15 s) then run beside that load
 * (≈ 0.1 s) and the split's first model, and the split's first solve waits for neither (6 and 5
 * paired runs: 2.20 s against 2.28 s in process, 3.53 s against 3.63 s over NATS). One thread: the
 * split solves one model at a time, and over NATS the harness's one solve after it is its oracle.
 */
export function startSimSolver(): void {
  configureSolver({ workers: 1 });
  void warmSolver().catch(() => undefined);
}

/**
 * In process, the harness's second solver thread, started once the split is done (it would only
 * have taken a core from the split's start): the oracle then solves beside the DSO's clearing, and
 * the zones' solves run two at a time.
 */
export function startInProcessLane(): void {
  configureSolver({ workers: Math.min(2, availableParallelism()) });
  void warmSolver().catch(() => undefined);
}
