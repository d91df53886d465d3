/**
 * The main thread's side of the solver workers: `workers` lanes per process (one by default), each a
 * worker serving its jobs one at a time (a solve blocks its thread; here it blocks only the worker,
 * so NATS heartbeats keep flowing). A job goes to the lane with the fewest jobs waiting; a process
 * that runs several parties at once (the in-process harness: the oracle beside the DSO, zones in
 * parallel) uses a second lane to keep a second core busy. A worker that crashes, dies, overruns its
 * time limit or grows past `recycleAboveBytes` is terminated and the lane's next job starts a fresh
 * one. Idle workers are unref'd, so a CLI process exits once its work is done; `shutdownSolver()`
 * stops every worker at once.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { ModelArrays } from './model';
import { modelDelta } from './model-delta';
import { iisTimeLimitS, transferablesOf, type Fault, type JobOptions, type ReleaseJob, type SolveJob, type SolveReply, type WorkerMessage } from './protocol';

export interface SolverConfig {
  /** Time limit of a solve that sets none, seconds. */
  defaultTimeLimitS: number;
  /** Replace the worker after a solve leaves its WebAssembly memory above this (it never shrinks). */
  recycleAboveBytes: number;
  /** A worker silent for `timeLimitS * 1.25 + IIS time + watchdogGraceS` after a job is stopped. */
  watchdogGraceS: number;
  /** Solver workers (lanes) in this process, each up to 2 GiB of WebAssembly memory. */
  workers: number;
  /**
   * The nice value (0-19) each worker thread runs its next solves at: 10 makes this process's solves
   * give way to other processes' on a busy machine (`zonal sim`'s oracle beside the agents it
   * started). A thread only ever lowers its priority (raising it back needs privileges).
   */
  niceness: number;
}

const config: SolverConfig = { defaultTimeLimitS: 300, recycleAboveBytes: 2 ** 30, watchdogGraceS: 60, workers: 1, niceness: 0 };

export function configureSolver(change: Partial<SolverConfig>): void {
  for (const [key, value] of Object.entries(change)) {
    if (key === 'niceness') {
      if (!Number.isInteger(value) || value < 0 || value > 19) throw new RangeError(`configureSolver: niceness must be an integer from 0 to 19, got ${value}`);
      continue;
    }
    if (typeof value !== 'number' || !(value > 0) || value === Infinity) {
      throw new RangeError(`configureSolver: ${key} must be a positive finite number, got ${value}`);
    }
    if (key === 'workers' && !Number.isInteger(value)) throw new RangeError(`configureSolver: workers must be an integer, got ${value}`);
  }
  Object.assign(config, change);
}

export function solverConfig(): Readonly<SolverConfig> {
  return { ...config };
}

export type JobOutcome =
  | { type: 'reply'; reply: SolveReply }
  | { type: 'died'; message: string }
  | { type: 'watchdog'; afterS: number }
  | { type: 'load-failed'; message: string };

interface Handle {
  worker: Worker;
  ready: Promise<string | null>;
}

/** One worker's queue: jobs run one after another on its current worker. */
interface Lane {
  current: Handle | null;
  queue: Promise<unknown>;
  /** Jobs queued or running. */
  pending: number;
}

const lanes: Lane[] = [];
let nextJobId = 1;
let workersStarted = 0;
/** highs.wasm compiled (compiledHighs); undefined when that failed, null before the first try. */
let compiled: WebAssembly.Module | undefined | null = null;

/** How many workers this process has started (a crash or recycle starts another). */
export function solverWorkerStats(): { workersStarted: number; running: boolean } {
  return { workersStarted, running: lanes.some((l) => l.current !== null) };
}

/**
 * A model its worker keeps between solves (solve.ts keepModel): the lane it lives on, the worker
 * that holds it and the arrays it holds, from which the next solve's changes are found.
 */
export interface KeptSlot {
  readonly id: number;
  lane: Lane | null;
  holder: Handle | null;
  last: ModelArrays | null;
  /** The last solve's model travelled as its changes. */
  sentChanges: boolean;
}

let nextKeptId = 1;

export function newKeptSlot(): KeptSlot {
  return { id: nextKeptId++, lane: null, holder: null, last: null, sentChanges: false };
}

/** Has the worker holding the slot's model dispose of it (a worker gone since holds nothing). */
export function releaseKeptSlot(slot: KeptSlot): void {
  if (slot.holder && slot.lane?.current === slot.holder) {
    slot.holder.worker.postMessage({ kind: 'release', keptId: slot.id } satisfies ReleaseJob);
  }
  slot.holder = null;
  slot.last = null;
}

/** Runs one job on the least busy lane's worker (a kept model's: its own lane's), after any job already queued there. */
export function runJob(model: ModelArrays, options: JobOptions, fault?: Fault, kept?: KeptSlot): Promise<JobOutcome> {
  while (lanes.length < config.workers) lanes.push({ current: null, queue: Promise.resolve(), pending: 0 });
  const lane = kept?.lane && lanes.indexOf(kept.lane) < config.workers ? kept.lane : lanes.slice(0, config.workers).reduce((a, b) => (b.pending < a.pending ? b : a));
  if (kept) kept.lane = lane;
  // The lane's worker starts now, not when the job's turn comes: that turn waits for this thread to
  // yield, and a caller that queues a job and then computes (zonal sim's split builds its partition
  // while its first solve runs) would otherwise have the worker start only after it (0.2 s).
  if (!lane.current) ensureWorker(lane);
  lane.pending++;
  const job = lane.queue.then(() => execute(lane, model, options, fault, kept));
  lane.queue = job.catch(() => undefined).finally(() => { lane.pending--; });
  return job;
}

/** Stops every worker (a running solve fails with SolverFailureError); the next solve starts a new one. */
export async function shutdownSolver(): Promise<void> {
  const handles = lanes.flatMap((lane) => (lane.current ? [lane.current] : []));
  for (const lane of lanes) lane.current = null;
  await Promise.all(handles.map((h) => terminated(h.worker)));
}

async function execute(lane: Lane, model: ModelArrays, options: JobOptions, fault?: Fault, kept?: KeptSlot): Promise<JobOutcome> {
  const handle = ensureWorker(lane);
  const loadError = await handle.ready;
  if (loadError !== null) {
    await retire(lane, handle);
    return { type: 'load-failed', message: loadError };
  }
  const id = nextJobId++;
  const watchdogS = options.timeLimitS * 1.25 + iisTimeLimitS(options.timeLimitS) + config.watchdogGraceS;
  const { worker } = handle;
  worker.ref();
  const outcome = await new Promise<JobOutcome>((resolve) => {
    const finish = (o: JobOutcome) => {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      resolve(o);
    };
    const onMessage = (m: WorkerMessage) => {
      if ('id' in m && m.id === id) finish({ type: 'reply', reply: m });
    };
    const onError = (e: Error) => finish({ type: 'died', message: `uncaught ${e.name}: ${e.message}` });
    const onExit = (code: number) => finish({ type: 'died', message: `exited with code ${code}` });
    const timer = setTimeout(() => finish({ type: 'watchdog', afterS: watchdogS }), watchdogS * 1000);
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    worker.postMessage(...jobMessage(id, model, options, fault, kept, handle));
  });
  const healthy = outcome.type === 'reply' && outcome.reply.kind !== 'crashed' && outcome.reply.memoryBytes <= config.recycleAboveBytes;
  if (kept) {
    // The worker holds the model as sent; one that is being replaced holds nothing.
    kept.holder = healthy ? handle : null;
    kept.last = healthy ? model : null;
  }
  if (healthy) worker.unref();
  else await retire(lane, handle);
  return outcome;
}

/**
 * The job as posted, with what to transfer. A kept model the same worker holds travels as its
 * changes (model-delta.ts) when it has changes of that kind; otherwise whole, copied rather than
 * transferred when the slot keeps the arrays to find the next solve's changes from.
 */
function jobMessage(id: number, model: ModelArrays, options: JobOptions, fault: Fault | undefined, kept: KeptSlot | undefined, handle: Handle): [SolveJob, ArrayBuffer[]] {
  const base = { kind: 'solve' as const, id, options, fault, niceness: config.niceness };
  if (!kept) return [{ ...base, model }, transferablesOf(model)];
  const delta = kept.holder === handle && kept.last ? modelDelta(kept.last, model) : null;
  kept.sentChanges = delta !== null;
  if (delta) return [{ ...base, model: null, keep: { id: kept.id, delta } }, transferablesOf(delta)];
  return [{ ...base, model, keep: { id: kept.id, delta: null } }, []];
}

/**
 * A worker stopped: terminate()'s promise, waited for at most TERMINATE_WAIT_MS. That promise settles
 * on the worker's 'exit' event, but a stopping worker no longer holds the event loop open (Node 20),
 * so a process with nothing else left could end before it came: `zonal sim` refusing its input at
 * once ended with code 13 (an unsettled top-level await) in 4 runs of 30. The timer holds the loop
 * open until the 'exit' comes (at once: 60 runs of 60 then ended with code 2 within 0.5 s).
 */
async function terminated(worker: Worker): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([worker.terminate(), new Promise<void>((resolve) => { timer = setTimeout(resolve, TERMINATE_WAIT_MS); })]);
  clearTimeout(timer);
}

const TERMINATE_WAIT_MS = 1000;

async function retire(lane: Lane, handle: Handle): Promise<void> {
  if (lane.current === handle) lane.current = null;
  await terminated(handle.worker);
}

function ensureWorker(lane: Lane): Handle {
  if (lane.current) return lane.current;
  const wasmModule = compiledHighs();
  const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { wasmModule } });
  workersStarted++;
  const ready = new Promise<string | null>((resolve) => {
    const settle = (error: string | null) => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      resolve(error);
    };
    const onMessage = (m: WorkerMessage) => {
      if (m.kind === 'ready') settle(null);
      else if (m.kind === 'load-failed') settle(`HiGHS failed to load: ${m.message}`);
    };
    const onError = (e: Error) => settle(`the solver worker failed to start: ${e.message}`);
    const onExit = (code: number) => settle(`the solver worker exited with code ${code} while starting`);
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
  const handle: Handle = { worker, ready };
  // A worker that dies between jobs is forgotten, so the next job starts a fresh one.
  worker.on('exit', () => {
    if (lane.current === handle) lane.current = null;
  });
  worker.on('error', () => undefined);
  lane.current = handle;
  return handle;
}

/**
 * highs.wasm compiled once per process and handed to every worker: a replacement worker then
 * skips compilation and inherits the optimised code (STACK: the first solve is 4-7x slower).
 * Compiled synchronously, so a worker starts without waiting for this thread's event loop: V8
 * compiles WebAssembly lazily, so this is the module's validation, 11 ms for HiGHS's 3.5 MB.
 * When this fails, each worker compiles the module itself.
 */
function compiledHighs(): WebAssembly.Module | undefined {
  if (compiled === null) {
    try {
      compiled = new wasmApi.Module(readFileSync(createRequire(import.meta.url).resolve('highs/runtime')));
    } catch {
      compiled = undefined;
    }
  }
  return compiled;
}

/** The runtime's WebAssembly object (the "lib" setting types only its namespace, not the value). */
const wasmApi = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => WebAssembly.Module } }).WebAssembly;
