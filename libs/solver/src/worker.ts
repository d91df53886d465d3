/**
 * The solver worker thread: loads HiGHS once (from the parent's compiled WebAssembly module when
 * given, so a replacement worker starts warm) and answers solve jobs one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import loadHighs, { type Highs } from 'highs';
import { runOnHighs } from './highs-run';
import { transferablesOf, type SolveJob, type WorkerMessage } from './protocol';

const port = parentPort;
if (!port) throw new Error('worker.ts runs only as a worker thread');

const send = (m: WorkerMessage) => port.postMessage(m, transferablesOf(m));

let highs: Highs;
try {
  const wasmModule = (workerData as { wasmModule?: WebAssembly.Module } | undefined)?.wasmModule;
  highs = await loadHighs(wasmModule ? { wasmModule } : {});
} catch (e) {
  send({ kind: 'load-failed', message: e instanceof Error ? e.message : String(e) });
  process.exit(1);
}

port.on('message', (job: SolveJob) => {
  if (job.fault === 'exit') process.exit(3);
  if (job.fault === 'throw') throw new Error('deliberate fault: uncaught exception in the solver worker');
  if (job.fault === 'hang') for (;;);
  send(runOnHighs(highs, job.id, job.model, job.options));
});

send({ kind: 'ready' });
