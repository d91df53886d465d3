/**
 * The solver worker thread: loads HiGHS once (from the parent's compiled WebAssembly module when
 * given, so a replacement worker starts warm) and answers solve jobs one at a time.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { Highs } from 'highs';
import { loadHighsDirect } from './highs-direct';
import { runOnHighs, type KeptModels } from './highs-run';
import { transferablesOf, type WorkerJob, type WorkerMessage } from './protocol';

const port = parentPort;
if (!port) throw new Error('worker.ts runs only as a worker thread');

const send = (m: WorkerMessage) => port.postMessage(m, transferablesOf(m));

let highs: Highs;
try {
  const wasmModule = (workerData as { wasmModule?: WebAssembly.Module } | undefined)?.wasmModule;
  highs = await loadHighsDirect(wasmModule);
} catch (e) {
  send({ kind: 'load-failed', message: e instanceof Error ? e.message : String(e) });
  process.exit(1);
}

// On Linux a thread's nice value is its own: setPriority(0, n) in this thread leaves the process's others as they are.
let niceness = 0;
/** The models callers asked this worker to keep between solves (solve.ts keepModel). */
const kept: KeptModels = new Map();
port.on('message', (job: WorkerJob) => {
  if (job.kind === 'release') {
    kept.get(job.keptId)?.model.dispose();
    kept.delete(job.keptId);
    return;
  }
  if (job.niceness !== undefined && job.niceness > niceness) {
    try {
      setPriority(0, job.niceness);
    } catch {
      // Not permitted here: the solve runs at the priority it has.
    }
    niceness = job.niceness;
  }
  if (job.fault === 'exit') process.exit(3);
  if (job.fault === 'throw') throw new Error('deliberate fault: uncaught exception in the solver worker');
  if (job.fault === 'hang') for (;;);
  send(runOnHighs(highs, job.id, job.model, job.options, job.keep && { models: kept, ...job.keep }));
});

send({ kind: 'ready' });
