/**
 * Crash recovery: a worker that throws, exits, hangs or grows too large is replaced, the failed solve
 * gets a typed error, and the next solve succeeds on a fresh worker.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SolverFailureError, SolverLimitError } from './errors';
import { solve, solveWithFault, warmSolver } from './solve';
import { arbitrageModel } from './testing/models';
import { configureSolver, shutdownSolver, solverConfig, solverWorkerStats } from './worker-client';

const defaults = solverConfig();
afterEach(() => configureSolver(defaults));
afterAll(() => shutdownSolver());

/** The arbitrage model's optimum, from a healthy worker: later solves must reproduce it. */
let reference: number;

async function expectHealthySolve(): Promise<void> {
  expect((await solve(arbitrageModel())).objective).toBeCloseTo(reference, 9);
}

describe('solver worker recovery', () => {
  it('reuses one worker across solves', async () => {
    reference = (await solve(arbitrageModel())).objective;
    const started = solverWorkerStats().workersStarted;
    await expectHealthySolve();
    await expectHealthySolve();
    expect(solverWorkerStats().workersStarted).toBe(started);
  });

  it('an uncaught exception in the worker fails that solve with SolverFailureError, then a fresh worker solves', async () => {
    const started = solverWorkerStats().workersStarted;
    const err = await solveWithFault(arbitrageModel(), {}, 'throw').catch((e) => e);
    expect(err).toBeInstanceOf(SolverFailureError);
    expect(err.message).toMatch(/model "arbitrage": the solver worker died \(uncaught Error: deliberate fault/);
    await expectHealthySolve();
    expect(solverWorkerStats().workersStarted).toBe(started + 1);
  });

  it('a worker that exits mid-solve fails that solve, then a fresh worker solves', async () => {
    const started = solverWorkerStats().workersStarted;
    await expect(solveWithFault(arbitrageModel(), {}, 'exit')).rejects.toThrow(/worker died \(exited with code 3\)/);
    await expectHealthySolve();
    expect(solverWorkerStats().workersStarted).toBe(started + 1);
  });

  it('a worker that stops answering is stopped by the watchdog (SolverLimitError), then a fresh worker solves', async () => {
    configureSolver({ watchdogGraceS: 0.3 });
    const err = await solveWithFault(arbitrageModel(), { timeLimitS: 0.1 }, 'hang').catch((e) => e);
    expect(err).toBeInstanceOf(SolverLimitError);
    expect(err.message).toMatch(/did not answer within .* s \(time limit 0.1 s\); its worker was stopped/);
    await expectHealthySolve();
  });

  it('a solve queued behind a crashing one still gets its answer', async () => {
    const [crashed, healthy] = await Promise.allSettled([solveWithFault(arbitrageModel(), {}, 'exit'), solve(arbitrageModel())]);
    expect(crashed.status).toBe('rejected');
    expect(healthy.status === 'fulfilled' && healthy.value.objective).toBeCloseTo(reference, 9);
  });

  it('recycles the worker when its memory passes the threshold', async () => {
    configureSolver({ recycleAboveBytes: 1 });
    const started = solverWorkerStats().workersStarted;
    await expectHealthySolve();
    await expectHealthySolve();
    expect(solverWorkerStats().workersStarted).toBe(started + 1);
    expect(solverWorkerStats().running).toBe(false);
  });

  it('shutdownSolver stops the worker; the next solve starts another', async () => {
    await expectHealthySolve();
    await shutdownSolver();
    expect(solverWorkerStats().running).toBe(false);
    await expectHealthySolve();
    expect(solverWorkerStats().running).toBe(true);
  });

  it('with two lanes, solves run on two workers at once and give the one worker\'s optimum', async () => {
    await shutdownSolver();
    configureSolver({ workers: 2 });
    const started = solverWorkerStats().workersStarted;
    const objectives = (await Promise.all(Array.from({ length: 6 }, () => solve(arbitrageModel())))).map((s) => s.objective);
    for (const o of objectives) expect(o).toBeCloseTo(reference, 9);
    expect(solverWorkerStats().workersStarted).toBe(started + 2);
    await shutdownSolver();
  });
});

/** A thread's nice value from its `stat` file (Linux: field 19). */
function niceOf(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  // The command name (field 2) may hold spaces: the fields after its closing parenthesis start at field 3.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** The nice value of each thread of this process. */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => niceOf(`/proc/self/task/${tid}/stat`));
}

describe('solver niceness', () => {
  it('is refused outside the integers 0-19', () => {
    for (const bad of [-1, 20, 1.5, Number.NaN]) expect(() => configureSolver({ niceness: bad })).toThrow(/niceness must be an integer from 0 to 19/);
  });

  it.skipIf(process.platform !== 'linux')('a solve at niceness 10 runs on a worker thread of nice value 10, the main thread unchanged', async () => {
    const before = threadNiceValues().filter((n) => n === 10).length;
    configureSolver({ niceness: 10 });
    expect((await solve(arbitrageModel())).objective).toBeCloseTo(reference, 9);
    expect(threadNiceValues().filter((n) => n === 10).length).toBe(before + 1);
    expect(niceOf('/proc/self/stat')).toBe(0);
  });
});

describe('warmSolver', () => {
  it('starts a worker on every lane, so a first real solve starts no worker', async () => {
    await shutdownSolver();
    configureSolver({ workers: 2 });
    const started = solverWorkerStats().workersStarted;
    await warmSolver();
    expect(solverWorkerStats().workersStarted).toBe(started + 2);
    await Promise.all([expectHealthySolve(), expectHealthySolve()]);
    expect(solverWorkerStats().workersStarted).toBe(started + 2);
  });

  it('starts the workers before it returns, not when this thread next yields (a caller may compute meanwhile)', async () => {
    await shutdownSolver();
    configureSolver({ workers: 2 });
    const started = solverWorkerStats().workersStarted;
    const warming = warmSolver();
    expect(solverWorkerStats().workersStarted).toBe(started + 2);
    await warming;
    await expectHealthySolve();
    expect(solverWorkerStats().workersStarted).toBe(started + 2);
  });
});
